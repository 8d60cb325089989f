import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, stat } from "node:fs/promises";
import { accountRootArn, assumedRoleArn } from "./arn.ts";
import type { DurableStore } from "./store/index.ts";
import type { Caller, RequestHead } from "./types.ts";

/**
 * Temporary credentials (STS AssumeRole, a Lambda execution environment's role) that the engine keeps nothing of.
 * Everything a session is travels in its keys, authenticated with the engine's secret (made per process, or kept
 * in the data directory with `--persist`, so sessions outlive a restart there):
 * - the access key id (`ASIA` + 16 base32 characters, as STS's) carries a random part and a tag that only this
 *   engine can compute, so a key it issued is known as its own once the session is long gone;
 * - the secret access key is derived from the access key id (S3 checks signatures with it);
 * - the session token carries the role, the session name and the expiry, and a MAC binding them to the key.
 * So a client assuming roles in a loop costs the engine no memory (the store kept 505 bytes per session, forever),
 * and an expired session is refused instead of acting as its role: before, the engine answered AssumeRole with an
 * `Expiration` and honoured the keys after it. Unknown keys still act as the account's administrator, as any key
 * does on LocalStack. docs/security.md, "Temporary credentials".
 */

/** Why a request's temporary credentials are refused: past their expiry, or not a session this engine issued. */
export interface CredentialRefusal {
  refused: "expired" | "invalid";
}

/** Issued temporary credentials (the SDK's shape), and the caller requests signed with them act as. */
export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When they stop working; none for a function's execution environment, whose keys last as long as it. */
  expiration?: Date;
  caller: Caller;
}

/** What the session token carries (its JSON, before the MAC). */
interface TokenClaims {
  /** The access key the token belongs to. */
  k: string;
  /** The role's ARN. */
  r: string;
  /** The session's name. */
  s: string;
  /** Expiry in ms since the epoch; 0: none. */
  e: number;
}

/** A verified token's caller and expiry, kept so a session's later requests skip the MAC. */
interface VerifiedSession {
  caller: Caller;
  expiresAtMs: number;
}

/** Sessions remembered as verified; past this the oldest is forgotten (it is verified again when next seen). */
const VERIFIED_CACHE_ENTRIES = 1024;
const SESSION_KEY_PREFIX = "ASIA";
/** RFC 4648 base32: the characters of STS's access key ids. */
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export interface CredentialStoreOptions {
  /**
   * Whether sessions are checked: false with IAM not enforced (`--no-enforce-iam`, `--like localstack`), where an
   * expired session still acts as its role and a token that is not the engine's acts as the administrator, like
   * any key on LocalStack, which checks no credentials.
   */
  enforce?: boolean;
  /** The clock expiries are read against (ms since the epoch). */
  now?: () => number;
  /**
   * The secret the tags, secrets and MACs are made with ({@link SESSION_SECRET_BYTES} bytes): with `--persist`,
   * the one kept in the data directory ({@link persistedSessionSecret}), so sessions outlive a restart there (on
   * AWS nothing restarts under them); otherwise one made for this process.
   */
  secret?: Buffer;
}

/** The length of the engine's session secret (an HMAC-SHA256 key). */
const SESSION_SECRET_BYTES = 32;

/** The one record of the session secret's journal. */
interface SessionSecretRecord {
  secret: string;
}

/** A record's secret; undefined when it is not {@link SESSION_SECRET_BYTES} bytes of base64. */
function sessionSecretOf(record: unknown): Buffer | undefined {
  const text = (record as Partial<SessionSecretRecord> | null)?.secret;
  const secret = typeof text === "string" ? Buffer.from(text, "base64") : undefined;
  return secret?.length === SESSION_SECRET_BYTES ? secret : undefined;
}

/**
 * `pipeline repair`'s check of the session secret's journal: a record that is not a secret is dropped (the next
 * start makes a new one; sessions issued before are then refused as unknown), and the loss named.
 */
export async function keepIntactSessionSecret(
  _dataDir: string,
  records: unknown[],
): Promise<{ records: unknown[]; lost: string[] }> {
  const kept = records.filter((record) => sessionSecretOf(record) !== undefined);
  const dropped = records.length - kept.length;
  return {
    records: kept,
    lost:
      dropped === 0
        ? []
        : [`${dropped} session secret record(s) of the wrong shape: sessions issued before will be refused`],
  };
}

/**
 * The session secret kept in a `--persist` data directory, made and written (durably) on the first start: with it
 * a session issued before a restart is still the engine's own, unexpired until its `Expiration`, as the AWS CLI's
 * cached role credentials (`~/.aws/cli/cache`) expect. The journal sits in `directory`, which STS's section declares
 * as its storage, so `pipeline repair` reads and mends it as any other; a record that is not a secret of the right
 * length is damage, refused at start.
 */
export async function persistedSessionSecret(store: DurableStore, directory: string): Promise<Buffer> {
  const path = store.path(directory);
  // A file with bytes but no secret lost it (a torn last line, dropped by the journal with its own notice).
  const hadBytes = ((await stat(path).catch(() => undefined))?.size ?? 0) > 0;
  let kept: Buffer | undefined;
  const journal = await store.open<SessionSecretRecord>(directory, (records) => {
    const last = records.at(-1);
    if (!last) return [];
    kept = sessionSecretOf(last);
    if (!kept)
      throw store.damaged(`${path}: its session secret is not ${SESSION_SECRET_BYTES} bytes of base64`);
    return [last];
  });
  // Readable by its owner only: whoever reads it can mint sessions for any of the engine's roles.
  await chmod(path, 0o600);
  if (kept) return kept;
  if (hadBytes)
    store.notice(
      `${directory}: ${path} held no session secret; a new one is made, so temporary credentials issued before this start are refused`,
    );
  const made = randomBytes(SESSION_SECRET_BYTES);
  await journal.append({ secret: made.toString("base64") });
  return made;
}

export class CredentialStore {
  readonly #accountId: string;
  /** The account root's ARN, made once: every request signed with an unknown key acts as it. */
  readonly #rootArn: string;
  /** The key for the tags, secrets and MACs: made per process, or kept in the data directory with `--persist`. */
  readonly #key: Buffer;
  readonly #enforce: boolean;
  readonly #now: () => number;
  readonly #verified = new Map<string, VerifiedSession>();

  constructor(accountId: string, options: CredentialStoreOptions = {}) {
    this.#accountId = accountId;
    this.#rootArn = accountRootArn(accountId);
    this.#enforce = options.enforce ?? true;
    this.#now = options.now ?? (() => Date.now());
    this.#key = options.secret ?? randomBytes(SESSION_SECRET_BYTES);
  }

  /**
   * Issues temporary credentials for a role: for `durationSeconds` (STS AssumeRole's 900 to 43200), or with no
   * expiry (a function's execution environment).
   */
  issueForRole(roleArn: string, sessionName: string, durationSeconds?: number): IssuedSession {
    const nonce = randomBytes(6);
    const accessKeyId = SESSION_KEY_PREFIX + base32(Buffer.concat([nonce, this.#tag(nonce)]));
    // Whole seconds, as STS's Expiration is written: the instant the response names is the one enforced.
    const expiresAtMs =
      durationSeconds === undefined ? 0 : Math.floor(this.#now() / 1000) * 1000 + durationSeconds * 1000;
    const claims: TokenClaims = { k: accessKeyId, r: roleArn, s: sessionName, e: expiresAtMs };
    const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
    return {
      accessKeyId,
      secretAccessKey: this.#secret(accessKeyId),
      sessionToken: `${payload}.${this.#mac(payload).toString("base64url")}`,
      ...(expiresAtMs === 0 ? {} : { expiration: new Date(expiresAtMs) }),
      caller: roleCaller(this.#accountId, roleArn, sessionName, accessKeyId),
    };
  }

  /** The secret of a known access key (the `test` key or one issued here); undefined otherwise. */
  secretOf(accessKeyId: string): string | undefined {
    if (accessKeyId === "test") return "test";
    return this.#issuedHere(accessKeyId) ? this.#secret(accessKeyId) : undefined;
  }

  /**
   * Who a request signed with `accessKeyId` acts as. A key this engine issued needs its session token (the
   * `X-Amz-Security-Token` header, or query parameter of a presigned URL), unexpired; any other key is accepted,
   * as on LocalStack, and acts as the account's administrator.
   */
  resolve(
    accessKeyId: string | undefined,
    head?: Pick<RequestHead, "headers" | "query">,
  ): Caller | CredentialRefusal {
    // The token is looked for only beside a key that may be a session's: most requests sign with `test`.
    if (!accessKeyId?.startsWith(SESSION_KEY_PREFIX)) return this.administrator(accessKeyId ?? "anonymous");
    return this.resolveWithToken(accessKeyId, head ? sessionTokenOf(head) : undefined);
  }

  /** As {@link resolve}, for credentials whose token comes apart from a request head (a form upload's field). */
  resolveWithToken(accessKeyId: string, token: string | undefined): Caller | CredentialRefusal {
    if (!accessKeyId.startsWith(SESSION_KEY_PREFIX)) return this.administrator(accessKeyId);
    // A token whose MAC is this engine's was issued here for that key: no tag to check on the way to its caller.
    const session = token ? this.#session(accessKeyId, token) : undefined;
    if (session === undefined) {
      // A key of this engine's, or one with a token an engine made for it (an earlier run's without `--persist`:
      // its secret is gone), is refused rather than let act as the administrator.
      const engineMade =
        this.#issuedHere(accessKeyId) ||
        (token !== undefined && claimsOf(tokenParts(token)?.payload)?.k === accessKeyId);
      return engineMade && this.#enforce ? { refused: "invalid" } : this.administrator(accessKeyId);
    }
    if (this.#enforce && session.expiresAtMs !== 0 && this.#now() >= session.expiresAtMs)
      return { refused: "expired" };
    return session.caller;
  }

  /** How many sessions are remembered as verified (at most 1,024): what the engine keeps of sessions. */
  get verifiedSessions(): number {
    return this.#verified.size;
  }

  /** The account's administrator, as a request signed with `accessKeyId` (not one issued here) acts. */
  administrator(accessKeyId = "anonymous"): Caller {
    return { accessKeyId, accountId: this.#accountId, arn: this.#rootArn };
  }

  /** The session `token` stands for, when it is this engine's and belongs to `accessKeyId`. */
  #session(accessKeyId: string, token: string): VerifiedSession | undefined {
    const known = this.#verified.get(token);
    if (known) return known.caller.accessKeyId === accessKeyId ? known : undefined;
    const claims = this.#claims(token);
    if (claims?.k !== accessKeyId) return undefined;
    const verified = {
      caller: roleCaller(this.#accountId, claims.r, claims.s, accessKeyId),
      expiresAtMs: claims.e,
    };
    if (this.#verified.size >= VERIFIED_CACHE_ENTRIES) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(token, verified);
    return verified;
  }

  /** A token's claims when its MAC is this engine's and its JSON has their shape; undefined otherwise. */
  #claims(token: string): TokenClaims | undefined {
    const parts = tokenParts(token);
    if (!parts) return undefined;
    const expected = this.#mac(parts.payload);
    if (parts.mac.length !== expected.length || !timingSafeEqual(parts.mac, expected)) return undefined;
    return claimsOf(parts.payload);
  }

  /** Whether `accessKeyId` is one this engine issued: `ASIA`, then its random part and its tag. */
  #issuedHere(accessKeyId: string): boolean {
    if (accessKeyId.length !== SESSION_KEY_PREFIX.length + 16) return false;
    const bytes = fromBase32(accessKeyId.slice(SESSION_KEY_PREFIX.length));
    if (bytes === undefined) return false;
    return timingSafeEqual(bytes.subarray(6), this.#tag(bytes.subarray(0, 6)));
  }

  #tag(nonce: Uint8Array): Buffer {
    return this.#hmac("key", nonce).subarray(0, 4);
  }

  #secret(accessKeyId: string): string {
    return this.#hmac("secret", accessKeyId).subarray(0, 30).toString("base64");
  }

  #mac(payload: string): Buffer {
    return this.#hmac("token", payload).subarray(0, 16);
  }

  #hmac(purpose: string, data: string | Uint8Array): Buffer {
    return createHmac("sha256", this.#key).update(purpose).update(data).digest();
  }
}

/**
 * The caller a role session is: what requests signed with the session's keys act as, and what a service acting
 * as a role in-process (Lambda sending a failed event as the execution role) names.
 */
export function roleCaller(
  accountId: string,
  roleArn: string,
  sessionName: string,
  accessKeyId: string,
): Caller {
  const roleName = roleArn.split("/").pop() ?? roleArn;
  return {
    accessKeyId,
    accountId,
    arn: assumedRoleArn(accountId, roleName, sessionName),
    role: { roleName, roleArn, sessionName },
  };
}

/** The session token a request carries: SigV4's header, or a presigned URL's query parameter. */
function sessionTokenOf(head: Pick<RequestHead, "headers" | "query">): string | undefined {
  const header = head.headers["x-amz-security-token"];
  if (typeof header === "string") return header;
  return head.query.get("X-Amz-Security-Token") ?? undefined;
}

/** A token's two parts: its claims' JSON (base64url) and its MAC; undefined when it has no such parts. */
function tokenParts(token: string): { payload: string; mac: Buffer } | undefined {
  const dot = token.indexOf(".");
  if (dot <= 0) return undefined;
  return { payload: token.slice(0, dot), mac: Buffer.from(token.slice(dot + 1), "base64url") };
}

/** The claims a token's payload holds, its MAC unchecked; undefined when it holds none. */
function claimsOf(payload: string | undefined): TokenClaims | undefined {
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return isTokenClaims(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

function isTokenClaims(value: unknown): value is TokenClaims {
  if (typeof value !== "object" || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.k === "string" &&
    typeof claims.r === "string" &&
    typeof claims.s === "string" &&
    typeof claims.e === "number"
  );
}

/** RFC 4648 base32 without padding; `bytes.length * 8` must be a multiple of 5 (10 bytes: 16 characters). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** The bytes of unpadded base32 whose length is a multiple of 8; undefined for any other text. */
export function fromBase32(text: string): Buffer | undefined {
  if (text.length % 8 !== 0) return undefined;
  const out = Buffer.alloc((text.length * 5) / 8);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text) {
    const digit = BASE32.indexOf(char);
    if (digit < 0) return undefined;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}
