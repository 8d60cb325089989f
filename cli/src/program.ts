import { Command, Option } from "commander";

/**
 * The command table: global options, then each verb's options. Implementations are imported when a command
 * runs, so `pipeline --help` loads no AWS SDK and no engine.
 */
export function buildProgram(): Command {
  const program = new Command("pipeline")
    .description("Local-first sandbox for the S3 -> Lambda -> DynamoDB image metadata pipeline")
    .version("0.1.0")
    .addOption(
      new Option(
        "--endpoint <url|aws>",
        "emulator endpoint, or 'aws' for real AWS (default: PIPELINE_ENDPOINT, else http://127.0.0.1:$PIPELINE_PORT, else AWS_ENDPOINT_URL, else http://localhost:4566)",
      ),
    )
    .option(
      "--region <region>",
      "AWS region (default: PIPELINE_REGION, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1)",
    )
    .option("--profile <name>", "AWS profile, with --endpoint aws")
    .option(
      "--bucket <name>",
      "bucket name (default: image-uploads; on AWS image-uploads-<account>-<region>)",
    )
    .option("--table <name>", "table name (default: image-metadata)")
    .option("--function <name>", "function name (default: image-metadata-ingest)")
    .option("--runtime <runtime>", "Lambda runtime for the function (default: nodejs24.x)")
    .option("--json", "machine-readable output on stdout")
    .option("--yes", "do not ask before writing to real AWS")
    .option("--debug", "print stack traces and engine diagnostics");

  program
    .command("up")
    .description("start the embedded engine (or use a running LocalStack / AWS) and provision the stack")
    .option(
      "--port <port>",
      "port for the embedded engine, 0 picks a free one (default: PIPELINE_PORT, else 4566)",
    )
    .option("--persist <dir>", "keep S3 and DynamoDB state in <dir> across restarts")
    .option("--bare", "serve the engine without provisioning (for init hooks or your own scripts)")
    .option(
      "--init-dir [dir]",
      "run <dir>/ready.d as LocalStack's ready hooks after start (default: the repo's localstack/init)",
    )
    .option("--no-enforce-iam", "do not evaluate the function role's IAM policies")
    .addOption(
      new Option(
        "--like <emulator>",
        "behave like LocalStack community 4.14.0 where it differs from AWS (no IAM, Logs filter patterns ignored, LAMBDA_RETRY_BASE_DELAY)",
      ).choices(["localstack"]),
    )
    .option(
      "--verify-signatures",
      "verify S3 SigV4 signatures (headers and presigned URLs) against the test key and issued keys",
    )
    .addOption(
      new Option("--dynamodb <backend>", "DynamoDB emulator").choices(["dynalite", "dynamodb-local"]),
    )
    .option(
      "--host <address>",
      "interface to bind; anything but loopback is reachable from other machines (default: 127.0.0.1)",
    )
    .option(
      "--cors-origin <origin>",
      "let web pages of this origin call the engine (repeatable; also EXTRA_CORS_ALLOWED_ORIGINS)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--allowed-host <name>",
      "answer to this Host name too, e.g. a Compose service name (repeatable; DNS-rebinding check)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--lambda-concurrency <n>", "execution environments per function at most (default: 4)")
    .option(
      "--max-environments <n>",
      "execution environments of all functions at most (default: 16); beyond, synchronous invokes get 429",
    )
    .option(
      "--runtime-node <runtime=path...>",
      "run a runtime on this Node binary, e.g. nodejs24.x=/opt/node24/bin/node (also PIPELINE_RUNTIME_NODES)",
    )
    .option("--strict-runtime", "fail instead of emulating a runtime whose Node major is not on this machine")
    .option("--duplicate-deliveries <n>", "deliver every S3 event n times (at-least-once testing)")
    .option("--dynamodb-fault-rate <rate>", "inject DynamoDB throttling/5xx for the function's calls (0..1)")
    .option("--s3-fault-rate <rate>", "inject S3 5xx for the function's HeadObject calls (0..1)")
    .option(
      "--inspect [port]",
      "run the function under the Node inspector on 127.0.0.1:<port> (default: 9229): a debug build, one environment, no timeout",
    )
    .action(async (_options, command: Command) =>
      (await import("./commands/up.ts")).up(command.optsWithGlobals()),
    );

  program
    .command("upload")
    .description("upload images (files, directories or globs) to uploads/")
    .argument("<paths...>", "files, directories or glob patterns")
    .option("--prefix <prefix>", "key prefix", "uploads/")
    .option("--concurrency <n>", "uploads at once", "8")
    .option("--any", "upload files that are not images too")
    .option("--wait", "wait until each upload has its DynamoDB record, and print them")
    .option("--timeout <seconds>", "how long --wait waits", "30")
    .option("--no-follow-symlinks", "skip symbolic links instead of uploading what they point to")
    .option(
      "--skip-existing",
      "skip files already uploaded with the same size and MD5 (ETag): resume an interrupted upload",
    )
    .action(async (paths: string[], _options, command: Command) =>
      (await import("./commands/upload.ts")).upload(paths, command.optsWithGlobals()),
    );

  program
    .command("watch")
    .description("upload images dropped into a folder, stream logs and records, redeploy on function changes")
    .argument("[dir]", "folder to watch (created if absent)", "./inbox")
    .option("--prefix <prefix>", "key prefix", "uploads/")
    .option("--any", "upload files that are not images too")
    .option("--debounce <ms>", "quiet time before a changed file is uploaded", "300")
    .option(
      "--no-function-source",
      "do not redeploy when a file the function is built from changes (its handler and the project files it imports)",
    )
    .action(async (dir: string, _options, command: Command) =>
      (await import("./commands/watch.ts")).watch(dir, command.optsWithGlobals()),
    );

  program
    .command("verify")
    .description("the 17 checks: the stack against the spec (12), then live probes (5); report with --report")
    .option("--report <dir>", "write evidence.md and a self-contained evidence.html to <dir>")
    .option("--skip-probe", "read-only checks: no upload, no invocation")
    .option("--timeout <seconds>", "how long the live probe waits for the record", "30")
    .action(async (_options, command: Command) =>
      (await import("./commands/verify.ts")).verify(command.optsWithGlobals()),
    );

  program
    .command("logs")
    .description("show the function's log events (CloudWatch Logs)")
    .option("-f, --follow", "keep streaming new events")
    .option("--since <duration>", "how far back to start, e.g. 30s, 10m, 2h", "10m")
    .option("--filter <text>", "only events containing this text")
    .action(async (_options, command: Command) =>
      (await import("./commands/logs.ts")).logs(command.optsWithGlobals()),
    );

  program
    .command("reconcile")
    .description("re-drive the function for objects that have no record")
    .option("--dry-run", "only list what would be re-driven")
    .action(async (_options, command: Command) =>
      (await import("./commands/reconcile.ts")).reconcile(command.optsWithGlobals()),
    );

  program
    .command("failed")
    .description(
      "list asynchronous invocations that failed after all retries (the on-failure queue); re-drive them",
    )
    .option("--redrive <id>", "invoke one failed event again; its message is deleted once its record exists")
    .option("--redrive-all", "invoke every failed event again, the same way")
    .action(async (_options, command: Command) =>
      (await import("./commands/failed.ts")).failed(command.optsWithGlobals()),
    );

  program
    .command("down")
    .description("remove the stack (notification, function, role, logs, table, bucket)")
    .option("--keep-data", "keep the bucket, its objects, the table, the log group and the on-failure queue")
    .action(async (_options, command: Command) =>
      (await import("./commands/down.ts")).down(command.optsWithGlobals()),
    );

  program
    .command("ui")
    .description(
      "serve the dashboard at http://127.0.0.1:4567/ for a stack on LocalStack, another engine or real AWS (polls the AWS APIs)",
    )
    .option("--port <port>", "port to serve on, 0 picks a free one", "4567")
    .option("--host <address>", "interface to bind", "127.0.0.1")
    .option("--allow-writes", "on real AWS, allow uploads and re-drives from the page (asks first)")
    .option("--read-only", "no uploads or re-drives from the page (the default on real AWS)")
    .option("--poll <ms>", "how often to poll logs and uploads, in milliseconds", "1000")
    .action(async (_options, command: Command) =>
      (await import("./commands/ui.ts")).ui(command.optsWithGlobals()),
    );

  program
    .command("repair")
    .description(
      "with the engine stopped: move damaged --persist files aside (kept), salvage what reads, report",
    )
    .requiredOption("--persist <dir>", "the directory `up --persist` used")
    .action(async (_options, command: Command) =>
      (await import("./commands/repair.ts")).repair(command.optsWithGlobals()),
    );

  const runtimes = program
    .command("runtimes")
    .description("which Node binary runs each Lambda runtime; install the official Node build of a runtime");
  runtimes
    .command("list", { isDefault: true })
    .description("list the Node.js runtimes and the binary each resolves to (or that it is emulated)")
    .option("--runtime-node <runtime=path...>", "explicit mapping, as for up")
    .action(async (_options, command: Command) =>
      (await import("./commands/runtimes.ts")).runtimesList(command.optsWithGlobals()),
    );
  runtimes
    .command("install")
    .description(
      "install the official Node build for a runtime from the npm registry into the per-user cache",
    )
    .argument("<runtimes...>", "runtimes, e.g. nodejs24.x nodejs22.x")
    .option("--latest", "download the newest build even when one of the major is installed")
    .action(async (names: string[], _options, command: Command) =>
      (await import("./commands/runtimes.ts")).runtimesInstall(names, command.optsWithGlobals()),
    );

  const stack = program.command("stack").description("inspect the stack spec");
  stack
    .command("env")
    .description("print the stack's names and policies as shell variables (for the LocalStack init hooks)")
    .action(async (_options, command: Command) =>
      (await import("./commands/stack.ts")).stackEnv(command.optsWithGlobals()),
    );

  program
    .command("status")
    .description(
      "what answers at the endpoint: target kind, engine version, region, stack, runtimes, dashboard (exit 0 healthy, 1 not, 2 nothing answers)",
    )
    .action(async (_options, command: Command) =>
      (await import("./commands/status.ts")).status(command.optsWithGlobals()),
    );

  program
    .command("invoke")
    .description(
      "invoke the function synchronously with an S3 put event for --key, an event file, or stdin; print result, duration and its log lines",
    )
    .option(
      "--key <key>",
      "object key the S3 event names (the object's size and ETag are read when it exists)",
    )
    .option("--event <file>", "event JSON file ('-' reads stdin)")
    .option("--print-event", "print the event instead of invoking (as `sam local generate-event s3 put`)")
    .action(async (_options, command: Command) =>
      (await import("./commands/invoke.ts")).invoke(command.optsWithGlobals()),
    );

  program
    .command("completion")
    .description("print a shell completion script")
    .argument("<shell>", "bash, zsh or fish")
    .action(async (shell: string, _options, command: Command) =>
      (await import("./commands/completion.ts")).completion(shell, command.parent as Command),
    );

  return program;
}
