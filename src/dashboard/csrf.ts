/**
 * POSTs to the dashboard must carry this header (value `1`): a cross-site form or `fetch` cannot send it without
 * a CORS preflight. Shared by the server (routes.ts) and the page (client/api.ts), so it has no imports.
 */
export const CSRF_HEADER = "x-pipeline-dashboard";
