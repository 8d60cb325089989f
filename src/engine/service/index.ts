/**
 * The service shape: one declaration per service (declaration.ts), one dispatcher (dispatcher.ts), the protocol
 * codecs (codecs/) and the typed error every operation throws (errors.ts). Services import from here.
 */
export { jsonResponse } from "./codecs/json.ts";
export {
  decodeQueryInput,
  parseQueryForm,
  type QueryForm,
  QueryParams,
  renderQueryError,
  repeatedParameterError,
} from "./codecs/query.ts";
export { createRouter, restJsonError } from "./codecs/rest.ts";

export {
  type AnyOperation,
  type OperationCall,
  operation,
  type RawResponse,
  respondWith,
  type ServiceDeclaration,
} from "./declaration.ts";
export { createDispatcher, type DispatcherContext } from "./dispatcher.ts";
export { ServiceError } from "./errors.ts";
export type { InputIssue } from "./validation.ts";
