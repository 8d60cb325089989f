import { join } from "node:path";
import { JOURNAL_FILES } from "../../src/engine/store/index.ts";

/** Where each service's durable state lives under a `--persist` directory. */
export function storeFiles(dataDir: string): Record<keyof typeof JOURNAL_FILES, string> {
  return {
    s3: join(dataDir, JOURNAL_FILES.s3),
    sqs: join(dataDir, JOURNAL_FILES.sqs),
    logs: join(dataDir, JOURNAL_FILES.logs),
    iam: join(dataDir, JOURNAL_FILES.iam),
    lambda: join(dataDir, JOURNAL_FILES.lambda),
  };
}
