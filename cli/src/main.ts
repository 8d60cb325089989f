import { CommanderError } from "commander";
import { errorName, isConnectionError } from "../../src/aws/errors.ts";
import { endpointFrom } from "./endpoint.ts";
import { CliError, ExitCode } from "./errors.ts";
import { isServing } from "./lifecycle.ts";
import { buildProgram } from "./program.ts";

/** The only place that exits: maps errors to one-line messages and exit codes (stack traces with --debug). */
async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
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
      process.stderr.write(
        `pipeline: cannot reach ${endpoint}: start the embedded engine with 'npx pipeline up' or LocalStack with 'docker compose up'\n`,
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
