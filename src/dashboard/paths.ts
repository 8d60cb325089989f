/** Where `pipeline up` serves the dashboard on the engine's edge, and its stack-health API under it. */
export const DASHBOARD_PREFIX = "/_pipeline";
/** The route the dashboard serves (routes.ts) and the path `pipeline status` reads, one literal for both. */
export const HEALTH_API = "/api/health";
export const HEALTH_API_PATH = `${DASHBOARD_PREFIX}${HEALTH_API}`;
