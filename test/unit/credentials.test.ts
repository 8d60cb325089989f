import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base32, CredentialStore, fromBase32, persistedSessionSecret } from "../../src/engine/credentials.ts";
import { repairStore } from "../../src/engine/repair.ts";
import { DurableStore, journalPath, StoreDamagedError } from "../../src/engine/store/index.ts";
import { encodeLine } from "../../src/engine/store/journal.ts";

const roleArn = "arn:aws:iam::000000000000:role/reader";
const withToken = (token: string | undefined) => ({
  headers: token === undefined ? {} : { "x-amz-security-token": token },
  query: new URLSearchParams(),
});
const administrator = { accountId: "000000000000", arn: "arn:aws:iam::000000000000:root" };

/** A store whose clock the test moves. */
function clockedStore(options: { enforce?: boolean } = {}) {
  let now = Date.UTC(2026, 11, 7, 12, 0, 0, 400);
  const store = new CredentialStore("000000000000", { ...options, now: () => now });
  return { store, advance: (ms: number) => (now += ms) };
}

describe("temporary credentials", () => {
  it("issues STS-shaped keys whose session acts as the role until its expiry, to the second it names", () => {
    const { store, advance } = clockedStore();
    const issued = store.issueForRole(roleArn, "s1", 900);
    expect(issued.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    // Whole seconds: 12:00:00.400 + 900 s is written (and enforced) as 12:15:00.
    expect(issued.expiration?.toISOString()).toBe("2026-12-07T12:15:00.000Z");
    expect(store.resolve(issued.accessKeyId, withToken(issued.sessionToken))).toEqual(issued.caller);
    expect(issued.caller).toMatchObject({
      arn: "arn:aws:sts::000000000000:assumed-role/reader/s1",
      role: { roleArn, roleName: "reader", sessionName: "s1" },
    });
    advance(900_000 - 401);
    expect(store.resolve(issued.accessKeyId, withToken(issued.sessionToken))).toEqual(issued.caller);
    advance(1);
    expect(store.resolve(issued.accessKeyId, withToken(issued.sessionToken))).toEqual({ refused: "expired" });
  });

  it("reads the token of a presigned URL from its query", () => {
    const { store } = clockedStore();
    const issued = store.issueForRole(roleArn, "s1", 3600);
    const head = { headers: {}, query: new URLSearchParams({ "X-Amz-Security-Token": issued.sessionToken }) };
    expect(store.resolve(issued.accessKeyId, head)).toEqual(issued.caller);
  });

  it("never expires a function environment's keys", () => {
    const { store, advance } = clockedStore();
    const issued = store.issueForRole(roleArn, "fn");
    expect(issued.expiration).toBeUndefined();
    advance(400 * 86_400_000);
    expect(store.resolve(issued.accessKeyId, withToken(issued.sessionToken))).toEqual(issued.caller);
  });

  it("refuses its own key without its token, with another session's, or with one altered", () => {
    const { store } = clockedStore();
    const one = store.issueForRole(roleArn, "one", 3600);
    const other = store.issueForRole("arn:aws:iam::000000000000:role/admin", "other", 3600);
    const [payload = "", mac = ""] = one.sessionToken.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, r: other.caller.role?.roleArn })).toString(
      "base64url",
    );
    for (const token of [
      undefined,
      "",
      other.sessionToken,
      `${forged}.${mac}`,
      `${payload}.`,
      payload,
      "x.y",
    ]) {
      expect(store.resolve(one.accessKeyId, withToken(token))).toEqual({ refused: "invalid" });
    }
  });

  it("lets any key it did not issue act as the administrator, and refuses an earlier run's session", () => {
    const { store } = clockedStore();
    const earlierRun = new CredentialStore("000000000000").issueForRole(roleArn, "s", 3600);
    const keys = ["test", "AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE", "ASIA", earlierRun.accessKeyId];
    for (const key of keys) {
      expect(store.resolve(key, withToken("IQoJb3JpZ2luX2VjEXAMPLE"))).toEqual({
        ...administrator,
        accessKeyId: key,
      });
    }
    // The engine restarted: the key of its MACs is gone, so the session is neither verified nor the administrator.
    expect(store.resolve(earlierRun.accessKeyId, withToken(earlierRun.sessionToken))).toEqual({
      refused: "invalid",
    });
    expect(store.resolve("ASIAIOSFODNN7EXAMPLE", withToken(earlierRun.sessionToken))).toEqual({
      ...administrator,
      accessKeyId: "ASIAIOSFODNN7EXAMPLE",
    });
    expect(store.resolve(undefined)).toEqual({ ...administrator, accessKeyId: "anonymous" });
    expect(store.secretOf(earlierRun.accessKeyId)).toBeUndefined();
    expect(store.secretOf("test")).toBe("test");
  });

  it("checks nothing when IAM is not enforced: expired sessions act as their role, bad tokens as the administrator", () => {
    const { store, advance } = clockedStore({ enforce: false });
    const issued = store.issueForRole(roleArn, "s1", 900);
    advance(3_600_000);
    expect(store.resolve(issued.accessKeyId, withToken(issued.sessionToken))).toEqual(issued.caller);
    expect(store.resolve(issued.accessKeyId, withToken(undefined))).toEqual({
      ...administrator,
      accessKeyId: issued.accessKeyId,
    });
  });

  it("derives each key's secret, so S3's signature check needs no record of it", () => {
    const { store } = clockedStore();
    const issued = store.issueForRole(roleArn, "s1", 900);
    expect(store.secretOf(issued.accessKeyId)).toBe(issued.secretAccessKey);
    expect(issued.secretAccessKey).toHaveLength(40);
  });

  it("keeps a bounded number of verified sessions however many are issued and used", () => {
    const { store } = clockedStore();
    const sessions = Array.from({ length: 5000 }, (_, i) => store.issueForRole(roleArn, `s${i}`, 900));
    for (const s of sessions)
      expect(store.resolve(s.accessKeyId, withToken(s.sessionToken))).toEqual(s.caller);
    expect(store.verifiedSessions).toBe(1024);
    // The first, forgotten since, is verified again from its token.
    const first = sessions[0];
    expect(first && store.resolve(first.accessKeyId, withToken(first.sessionToken))).toEqual(first?.caller);
  });

  it("answers any key and token with a caller or a refusal, never an exception", () => {
    const { store } = clockedStore();
    const issued = store.issueForRole(roleArn, "s1", 900);
    const key = fc.oneof(
      fc.string(),
      fc.constant(issued.accessKeyId),
      fc.stringMatching(/^ASIA[A-Z2-7]{16}$/),
      fc.string().map((s) => `ASIA${s}`),
    );
    const token = fc.oneof(
      fc.string(),
      fc.constant(issued.sessionToken),
      fc.tuple(fc.base64String(), fc.base64String()).map(([a, b]) => `${a}.${b}`),
      fc.string().map((s) => `${issued.sessionToken.split(".")[0]}.${s}`),
    );
    fc.assert(
      fc.property(key, fc.option(token, { nil: undefined }), (k, t) => {
        const answer = store.resolve(k, withToken(t));
        expect("refused" in answer || answer.accountId === "000000000000").toBe(true);
        expect(() => store.secretOf(k)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back the base32 it writes, and refuses text that is not base32", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 5 }), (bytes) => {
        expect(fromBase32(base32(bytes))).toEqual(Buffer.from(bytes));
      }),
    );
    expect(base32(Buffer.from("foobar\0\0\0\0"))).toBe("MZXW6YTBOIAAAAAA");
    expect(fromBase32("MZXW6YTB")).toEqual(Buffer.from("fooba"));
    for (const text of ["mzxw6ytb", "MZXW6YT", "MZXW6YT1", "MZXW6YT="])
      expect(fromBase32(text)).toBeUndefined();
  });
});

describe("the session secret kept with --persist", () => {
  /** The secret a store on `dataDir` reads or makes, the store closed again; `notices` gets what it said. */
  async function secretIn(dataDir: string, notices: string[] = []): Promise<Buffer> {
    const store = new DurableStore(dataDir, (message) => notices.push(message));
    try {
      return await persistedSessionSecret(store, "sts");
    } finally {
      await store.close();
    }
  }

  it("is made and written on the first start, read back on the next: a session outlives the restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "session-secret-"));
    try {
      const first = await secretIn(dataDir);
      expect(first.length).toBe(32);
      const file = journalPath(dataDir, "sts");
      expect((await readFile(file, "utf8")).split("\n").filter(Boolean)).toHaveLength(1);
      // Its owner's only: it mints sessions for any role.
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const second = await secretIn(dataDir);
      expect(second.equals(first)).toBe(true);
      const issued = new CredentialStore("000000000000", { secret: first }).issueForRole(roleArn, "s", 3600);
      const restarted = new CredentialStore("000000000000", { secret: second });
      expect(restarted.resolve(issued.accessKeyId, withToken(issued.sessionToken))).toEqual(issued.caller);
      expect(restarted.secretOf(issued.accessKeyId)).toBe(issued.secretAccessKey);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("says so when a torn last line took the secret: the new one refuses the sessions issued before", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "session-secret-"));
    try {
      const first = await secretIn(dataDir);
      const file = journalPath(dataDir, "sts");
      const line = await readFile(file, "utf8");
      await writeFile(file, line.slice(0, 30));
      const notices: string[] = [];
      const second = await secretIn(dataDir, notices);
      expect(second.equals(first)).toBe(false);
      expect(notices).toEqual([
        expect.stringMatching(/^sts: dropped a torn tail of 30 byte\(s\) at the end of .*sts\/journal\.log/),
        expect.stringMatching(
          /^sts: .*sts\/journal\.log held no session secret; a new one is made, so temporary credentials issued before this start are refused$/,
        ),
      ]);
      // A first start says nothing.
      const fresh = await mkdtemp(join(tmpdir(), "session-secret-"));
      const quiet: string[] = [];
      await secretIn(fresh, quiet);
      await rm(fresh, { recursive: true, force: true });
      expect(quiet).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a record that is not a 32-byte secret as damage naming the repair, which drops it", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "session-secret-"));
    try {
      await secretIn(dataDir);
      const file = journalPath(dataDir, "sts");
      for (const record of [{ secret: Buffer.alloc(16).toString("base64") }, { secret: 7 }, {}]) {
        const written = encodeLine(record);
        await writeFile(file, written);
        await expect(secretIn(dataDir)).rejects.toThrow(StoreDamagedError);
        await expect(secretIn(dataDir)).rejects.toThrow(
          /sts\/journal\.log: its session secret is not 32 bytes of base64; nothing was changed\. Run: pipeline repair/,
        );
        expect(await readFile(file, "utf8")).toBe(written);
        // pipeline repair drops it, naming the loss; the next start makes a new secret.
        const report = await repairStore(dataDir);
        expect(report.entries.find((entry) => entry.file === file)).toMatchObject({
          status: "repaired",
          recovered: 0,
          lost: ["1 session secret record(s) of the wrong shape: sessions issued before will be refused"],
        });
        expect((await secretIn(dataDir)).length).toBe(32);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
