/** The deployed handler: `index.mjs` exporting `handler`, at the root of dist/function.zip. */
export const FUNCTION_HANDLER = "index.handler";
