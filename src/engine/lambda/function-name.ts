/** A function reference as the Lambda API accepts it, reduced to its parts. */
export interface FunctionReference {
  name: string;
  qualifier?: string;
  /** Account ID when the reference was an ARN or partial ARN. */
  accountId?: string;
  region?: string;
}

const namePattern = /^[a-zA-Z0-9-_]{1,64}$/;

/**
 * Parses what `FunctionName` may be: `my-function`, `my-function:$LATEST`,
 * `123456789012:function:my-function`, or `arn:aws:lambda:us-east-1:123456789012:function:my-function[:qualifier]`.
 * Returns undefined when it is none of these.
 */
export function parseFunctionReference(reference: string): FunctionReference | undefined {
  const full = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(
    reference,
  );
  if (full) return build(full[3], full[4], full[2], full[1]);
  const partial = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/.exec(reference);
  if (partial) return build(partial[2], partial[3], partial[1], undefined);
  const plain = /^([^:]+)(?::([^:]+))?$/.exec(reference);
  if (plain) return build(plain[1], plain[2], undefined, undefined);
  return undefined;
}

function build(
  name: string | undefined,
  qualifier: string | undefined,
  accountId: string | undefined,
  region: string | undefined,
): FunctionReference | undefined {
  if (!name || !namePattern.test(name)) return undefined;
  return {
    name,
    ...(qualifier ? { qualifier } : {}),
    ...(accountId ? { accountId } : {}),
    ...(region ? { region } : {}),
  };
}
