import { parseJsonLogLine } from "../pipeline/logs.ts";

/** What one structured (Powertools) log line of the ingest function says about a record. */
export interface FunctionLogFacts {
  requestId?: string;
  bucket?: string;
  key?: string;
  /** `written`, `duplicate`, `skipped:<reason>` or `failed`; absent on lines that are not about a record. */
  outcome?: string;
  pk?: string;
  sk?: string;
  level?: string;
  message?: string;
  /** Why a record was skipped or failed, when the line says. */
  detail?: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * Reads the fields the dashboard maps invocations with from one function log line; undefined for lines that
 * are not JSON (the runtime's START/END/REPORT lines, plain console output).
 *
 * @example parseFunctionLogLine('{"outcome":"written","key":"uploads/a.jpg","requestId":"r1"}')?.outcome === "written"
 */
export function parseFunctionLogLine(message: string): FunctionLogFacts | undefined {
  const line = parseJsonLogLine(message);
  if (!line) return undefined;
  const facts: FunctionLogFacts = {};
  // Powertools adds `function_request_id` from the Lambda context; the ingest also logs `requestId` itself.
  const fields: Array<[keyof FunctionLogFacts, unknown]> = [
    ["requestId", line.requestId ?? line.function_request_id],
    ["bucket", line.bucket],
    ["key", line.key],
    ["outcome", line.outcome],
    ["pk", line.pk],
    ["sk", line.sk],
    ["level", line.level],
    ["message", line.message],
    ["detail", line.errorMessage ?? line.reason],
  ];
  for (const [name, value] of fields) {
    const found = text(value);
    if (found !== undefined) facts[name] = found;
  }
  return facts;
}
