/** Where `pipeline up` serves the dashboard on the engine's edge, and its stack-health API under it. */
export const DASHBOARD_PREFIX = "/_pipeline";
export const HEALTH_API_PATH = `${DASHBOARD_PREFIX}/api/health`;
