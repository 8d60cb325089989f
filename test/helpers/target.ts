import { externalEndpoint } from "./engine.ts";

/**
 * What the target of the end-to-end suites does where targets differ: the embedded engine the suite starts, or an
 * external endpoint (PIPELINE_E2E_ENDPOINT), which is LocalStack community 4.14.0 in the GitHub `localstack` job and
 * `pipeline up --like localstack` in `.ci/localstack-suites.sh --like-localstack`. One table: a suite asserts
 * target-specific behaviour only through it, never by assuming the embedded engine. Sources: docs/localstack.md.
 */
export interface TargetCapabilities {
  /** `embedded` or `localstack`. */
  kind: "embedded" | "localstack";
  /** How the CLI names a target it finds serving (`up`: "is already serving (<name>)"). */
  cliName: "embedded engine" | "LocalStack";
  /** Evaluates role credentials against IAM policies (LocalStack community: ENFORCE_IAM is a paid feature). */
  enforcesIam: boolean;
  /** Applies CloudWatch Logs filter patterns (LocalStack community: `get_pattern_matcher` matches every event). */
  filtersLogs: boolean;
  /** Says which Node runs the function (`/_localstack/info` lambda_runtimes; LocalStack runs the runtime's image). */
  reportsRuntimeNode: boolean;
  /** Keeps a failed-event list with re-drive (the engine's control API); LocalStack only has the on-failure queue. */
  keepsFailedEventList: boolean;
  /** Lets a suite start engines of its own, with faults or a data directory (an external endpoint is given). */
  ownEngines: boolean;
}

const EMBEDDED_TARGET: TargetCapabilities = {
  kind: "embedded",
  cliName: "embedded engine",
  enforcesIam: true,
  filtersLogs: true,
  reportsRuntimeNode: true,
  keepsFailedEventList: true,
  ownEngines: true,
};

const LOCALSTACK_TARGET: TargetCapabilities = {
  kind: "localstack",
  cliName: "LocalStack",
  enforcesIam: false,
  filtersLogs: false,
  reportsRuntimeNode: false,
  keepsFailedEventList: false,
  ownEngines: false,
};

/** The target of this run. */
export const targetCapabilities: TargetCapabilities = externalEndpoint ? LOCALSTACK_TARGET : EMBEDDED_TARGET;
