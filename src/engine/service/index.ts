/**
 * The service shape: one declaration per service (declaration.ts), one dispatcher (dispatcher.ts), the protocol
 * codecs (codecs/) and the typed error every operation throws (errors.ts). Services import from here.
 */
export {
  decodeJsonBody,
  jsonError,
  jsonOutput,
  jsonResponse,
  renderJsonError,
  speaksJson,
} from "./codecs/json.ts";
export {
  decodeQueryInput,
  parseQueryForm,
  type QueryForm,
  QueryParams,
  queryError,
  queryResponse,
  renderQueryError,
  repeatedParameterError,
} from "./codecs/query.ts";
export { jsonObjectBody, matchRoute, restJsonError, restXmlError } from "./codecs/rest.ts";
export { toXml } from "./codecs/xml.ts";
export {
  type AnyOperation,
  type AuthorizationCheck,
  type Denial,
  type OperationCall,
  type OperationDeclaration,
  operation,
  type ProtocolName,
  RawResponse,
  type ResourceTarget,
  respondWith,
  type ServiceDeclaration,
  type ServiceProtocols,
} from "./declaration.ts";
export { createDispatcher, type DispatcherContext } from "./dispatcher.ts";
export { ServiceError, type ServiceErrorOptions } from "./errors.ts";
export { type Validation, validateInput } from "./validation.ts";
