import { type Argument, type Command, CommanderError, type Help, type Option } from "commander";
import { errorName, isConnectionError } from "../../src/aws/errors.ts";
import {
  endpointSecret,
  isNotAwsAnswer,
  notAwsMessage,
  redactEndpoint,
  resolveEndpoint,
  startHint,
} from "./endpoint.ts";
import { CliError, ExitCode } from "./errors.ts";
import { examplesFor } from "./help.ts";
import { isServing } from "./lifecycle.ts";
import { printable } from "./output.ts";
import { buildProgram } from "./program.ts";

function connectionFailure(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  return String(e.code ?? e.cause?.code ?? errorName(error) ?? "");
}

/**
 * A password in the endpoint URL never reaches the terminal: every write to stdout and stderr has it masked, SDK
 * messages and stack traces included.
 */
function maskInOutput(secret: string): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(
        typeof chunk === "string" || Buffer.isBuffer(chunk)
          ? String(chunk).split(secret).join("***").split(encodeURIComponent(secret)).join("***")
          : chunk,
        ...rest,
      )) as typeof stream.write;
  }
}

/** Defaults in one style for every option: `(default: 8)`, no quotes, after the description. */
function optionDescription(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(", ")}`);
  if (option.defaultValue !== undefined && !option.negate && option.defaultValue !== false) {
    const value = Array.isArray(option.defaultValue)
      ? option.defaultValue.join(", ")
      : String(option.defaultValue);
    if (value !== "") extra.push(`default: ${option.defaultValueDescription ?? value}`);
  }
  if (option.envVar) extra.push(`env: ${option.envVar}`);
  return extra.length ? `${option.description} (${extra.join("; ")})` : option.description;
}

/** The command's path for messages: `verify`, `runtimes install`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The only place that exits: maps errors to one-line messages and exit codes (stack traces with --debug). */
async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Subcommands copy settings when created, so the override must reach each one: otherwise commander exits
  // with its own code 1 on `pipeline verify --bad-flag` instead of the usage code 2. Each verb's help lists the
  // global options and its examples; a usage error points to that verb's help.
  const configure = (command: Command): void => {
    command.exitOverride();
    command.configureOutput({ writeErr: (text) => process.stderr.write(text) });
    command.configureHelp({
      showGlobalOptions: true,
      optionDescription: (option: Option) => optionDescription(option),
      argumentDescription: (argument: Argument) =>
        argument.defaultValue === undefined
          ? argument.description
          : `${argument.description} (default: ${String(argument.defaultValue)})`,
    } as Partial<Help>);
    const path = commandPath(command);
    command.showHelpAfterError(`(run 'pipeline ${path ? `${path} ` : ""}--help' for usage)`);
    const examples = examplesFor(path);
    if (examples)
      command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  const debug = argv.includes("--debug");
  const flagIndex = argv.findIndex((a) => a === "--endpoint" || a.startsWith("--endpoint="));
  const flagValue =
    flagIndex < 0
      ? undefined
      : argv[flagIndex]?.includes("=")
        ? argv[flagIndex]?.split("=").slice(1).join("=")
        : argv[flagIndex + 1];
  const secret = endpointSecret(resolveEndpoint({ endpoint: flagValue }).endpoint);
  if (secret) maskInOutput(secret);
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
      process.stderr.write(`pipeline: ${printable(error.message)}\n`);
      return error.exitCode;
    }
    const raw = resolveEndpoint(program.opts()).endpoint;
    const endpoint = redactEndpoint(raw);
    if (isConnectionError(error)) {
      // The code tells "nothing there" (ECONNREFUSED) from "dropped mid-run" (ECONNRESET, TimeoutError).
      const failure = connectionFailure(error);
      process.stderr.write(
        failure === "ECONNREFUSED"
          ? `pipeline: nothing is listening at ${endpoint}: ${raw === "aws" ? "" : startHint(raw)}\n`
          : `pipeline: lost ${endpoint}${failure ? ` (${failure})` : ""}: is the engine or LocalStack still running?\n`,
      );
      return ExitCode.usage;
    }
    if (isNotAwsAnswer(error)) {
      process.stderr.write(`pipeline: ${notAwsMessage(raw)}\n`);
      return ExitCode.usage;
    }
    const name = errorName(error) || "Error";
    const message = String((error as Error).message ?? error).split("\n")[0] ?? "";
    process.stderr.write(
      `pipeline: ${printable(name)}: ${printable(message)}${debug ? "" : " (--debug for details)"}\n`,
    );
    return ExitCode.failed;
  }
}

const code = await main(process.argv);
// Commands are done when their promise settles; idle SDK sockets must not hold the shell. `up` keeps serving.
if (!isServing() || code !== ExitCode.ok) process.exit(code);
