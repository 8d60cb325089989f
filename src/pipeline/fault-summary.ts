/** The engine's fault options, as `/_localstack/info` reports them and `up --*-fault-rate` sets them. */
export interface FaultSettings {
  s3ErrorRate?: number;
  dynamodbErrorRate?: number;
  deliveryCopies?: number;
}

/** A rate from 0 to 1 as a percentage (`1` → `100%`, `0.05` → `5%`). */
const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;

/**
 * The faults an engine injects, as one phrase that says what a user will see fail (`faults injected: S3 answers 5xx
 * (503 SlowDown or 500 InternalError) to 100% of the function's reads`), or undefined when none is on: what `up`,
 * `status`, `upload --wait`, `verify` and the dashboard say beside anything that fails. The errors are the ones the
 * engine injects (src/engine/s3/access.ts, src/engine/dynamodb/index.ts), for calls made with the function's role.
 */
export function describeFaults(faults: FaultSettings | undefined): string | undefined {
  if (!faults) return undefined;
  const parts: string[] = [];
  if (faults.s3ErrorRate)
    parts.push(
      `S3 answers 5xx (503 SlowDown or 500 InternalError) to ${percent(faults.s3ErrorRate)} of the function's reads`,
    );
  if (faults.dynamodbErrorRate)
    parts.push(
      `DynamoDB answers ProvisionedThroughputExceededException or 500 InternalServerError to ${percent(faults.dynamodbErrorRate)} of the function's calls`,
    );
  if ((faults.deliveryCopies ?? 1) > 1) parts.push(`every S3 event delivered ${faults.deliveryCopies} times`);
  return parts.length ? `faults injected: ${parts.join(", ")}` : undefined;
}
