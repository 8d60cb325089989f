import { type Command, CommanderError } from "commander";
import { errorName, isConnectionError } from "../../src/aws/errors.ts";
import { endpointFrom } from "./endpoint.ts";
import { CliError, ExitCode } from "./errors.ts";
import { isServing } from "./lifecycle.ts";
import { buildProgram } from "./program.ts";

function connectionFailure(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  return String(e.code ?? e.cause?.code ?? errorName(error) ?? "");
}

/** The only place that exits: maps errors to one-line messages and exit codes (stack traces with --debug). */
async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Subcommands copy settings when created, so the override must reach each one: otherwise commander exits
  // with its own code 1 on `pipeline verify --bad-flag` instead of the usage code 2.
  const configure = (command: Command): void => {
    command.exitOverride();
    command.configureOutput({ writeErr: (text) => process.stderr.write(text) });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (debug) console.error(error);
    if (error instanceof CliError) {
      process.stderr.write(`pipeline: ${error.message}\n`);
      return error.exitCode;
    }
    if (isConnectionError(error)) {
      const endpoint = endpointFrom(program.opts());
      // The code tells "nothing there" (ECONNREFUSED) from "dropped mid-run" (ECONNRESET, TimeoutError).
      const failure = connectionFailure(error);
      process.stderr.write(
        `pipeline: cannot reach ${endpoint}${failure ? ` (${failure})` : ""}: start the embedded engine with 'npx pipeline up' or LocalStack with 'docker compose up'\n`,
      );
      return ExitCode.usage;
    }
    const name = errorName(error) || "Error";
    process.stderr.write(
      `pipeline: ${name}: ${(error as Error).message ?? String(error)}${debug ? "" : " (--debug for details)"}\n`,
    );
    return ExitCode.failed;
  }
}

const code = await main(process.argv);
// Commands are done when their promise settles; idle SDK sockets must not hold the shell. `up` keeps serving.
if (!isServing() || code !== ExitCode.ok) process.exit(code);
