/** The engine's fault options, as `/_localstack/info` reports them and `up --*-fault-rate` sets them. */
export interface FaultSettings {
  s3ErrorRate?: number;
  dynamodbErrorRate?: number;
  deliveryCopies?: number;
}

/**
 * The faults an engine injects, as one phrase (`faults injected: S3 fault rate 1`), or undefined when none is on:
 * what `up`, `status`, `verify`'s report and the dashboard say beside anything that fails.
 */
export function describeFaults(faults: FaultSettings | undefined): string | undefined {
  if (!faults) return undefined;
  const parts: string[] = [];
  if (faults.s3ErrorRate) parts.push(`S3 fault rate ${faults.s3ErrorRate}`);
  if (faults.dynamodbErrorRate) parts.push(`DynamoDB fault rate ${faults.dynamodbErrorRate}`);
  if ((faults.deliveryCopies ?? 1) > 1) parts.push(`every S3 event delivered ${faults.deliveryCopies} times`);
  return parts.length ? `faults injected: ${parts.join(", ")}` : undefined;
}
