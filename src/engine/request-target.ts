/**
 * A request target (`/path?query`) as the edge reads it: the raw path as sent, the path as WHATWG URL would
 * normalise it, and the query's parameters. A plain target (an absolute path of characters URL leaves alone, no dot
 * segment, no backslash, no fragment, not `//`) is split directly, which is the same answer without building a URL: most
 * requests are plain, and the URL parse was the largest single cost of the edge's own work on a small S3 GET.
 */
export interface RequestTarget {
  rawPath: string;
  /** `new URL(target, base).pathname`: dot segments resolved, backslashes made slashes, unsafe characters escaped. */
  pathname: string;
  query: URLSearchParams;
}

/**
 * Characters the URL parser keeps as they are in a path, and no `.`-segment or `%2e` that it would resolve; not
 * `//`, which URL reads as a host (`//h/x` is path `/x` of host `h`).
 */
const plainPath = /^\/(?!\/)[A-Za-z0-9\-_~!$&'()*+,;=:@/%.]*$/;
const dotSegment = /(?:^|\/)\.{1,2}(?:\/|$)|%2e/i;
/**
 * What the URL parser changes in a query before its parameters are read: a fragment ends it, it strips C0 controls
 * and spaces at the ends and tabs and newlines anywhere (Node's HTTP parser lets none of them through), and it
 * encodes a character past ASCII as UTF-8, where Node's URLSearchParams reads `%aaé` differently (fast-check found it).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const queryNotPlain = /[#\u0000-\u0020\u007f-\uffff]/;

/**
 * A query no code may change, for a target shared by many requests: a change would reach every later request, so
 * it is refused (no code changes a request's query; the edge and the services only read it).
 */
class ReadOnlyQuery extends URLSearchParams {
  override append(): never {
    return refuseChange();
  }
  override delete(): never {
    return refuseChange();
  }
  override set(): never {
    return refuseChange();
  }
  override sort(): never {
    return refuseChange();
  }
}

function refuseChange(): never {
  throw new TypeError("a request's query is read-only");
}

/** `/`, the target of every request of the JSON and query protocols (DynamoDB, SQS, Logs, IAM, STS): read once. */
const rootTarget: RequestTarget = Object.freeze({ rawPath: "/", pathname: "/", query: new ReadOnlyQuery() });

/** Never throws: a target URL cannot parse is read as it was sent. */
export function parseRequestTarget(target: string): RequestTarget {
  if (target === "/") return rootTarget;
  const queryAt = target.indexOf("?");
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? "" : target.slice(queryAt + 1);
  if (
    plainPath.test(rawPath) &&
    !dotSegment.test(rawPath) &&
    !queryNotPlain.test(rawQuery) &&
    // URLSearchParams drops a leading `?` that URL would read as part of the first name.
    !rawQuery.startsWith("?")
  )
    return { rawPath, pathname: rawPath, query: new URLSearchParams(rawQuery) };
  let url: URL;
  try {
    url = new URL(target, "http://edge");
  } catch {
    // Not a URL at all (`//..]` names an invalid host): no normalisation to do, and no route can match it.
    return { rawPath, pathname: rawPath, query: new URLSearchParams(rawQuery.split("#")[0]) };
  }
  return { rawPath, pathname: url.pathname, query: url.searchParams };
}
