import type { EngineContext } from "./context.ts";
import type { Edge } from "./edge.ts";
import type { IamApi } from "./iam/contract.ts";
import type { LambdaInvokeApi } from "./lambda/contract.ts";
import type { LogWriter } from "./logs/contract.ts";
import type { S3ReadApi } from "./s3/contract.ts";
import type { QueueSender } from "./sqs/contract.ts";

/**
 * The typed in-process APIs the engine's services offer (each its `<service>/contract.ts`), as `startEngine` wired
 * them. STS and DynamoDB offer none: nothing in the engine calls them in-process.
 */
export interface EngineApis {
  readonly iam: IamApi;
  readonly logs: LogWriter;
  readonly lambda: LambdaInvokeApi;
  readonly sqs: QueueSender;
  readonly s3: S3ReadApi;
}

/**
 * What a plugin gets from the engine: the edge to mount its routes on, the context (events, log, endpoint), and
 * the services' typed APIs.
 */
export interface EnginePluginHost {
  readonly edge: Edge;
  readonly context: EngineContext;
  readonly apis: EngineApis;
}

/** A started plugin; `stop` runs on engine stop, before the edge closes (so open streams can end first). */
export interface StartedPlugin {
  stop?(): void | Promise<void>;
}

/**
 * An extension its host composes into the engine: the engine never imports one. A plugin mounts internal routes
 * under a prefix of its own with `edge.addInternalRoute` and listens to `context.events`; it reaches services
 * only through the typed APIs the host gives it. `pipeline up` adds the dashboard this way.
 *
 * @example
 * const hello: EnginePlugin = {
 *   name: "hello",
 *   start: ({ edge }) => {
 *     edge.addInternalRoute("/_hello", async () => ({ status: 200, headers: {}, body: "hi" }));
 *   },
 * };
 * const engine = await startEngine({ port: 0, plugins: [hello] });
 */
export interface EnginePlugin {
  /** For messages: "dashboard". */
  readonly name: string;
  /** Runs once the services run and before the edge listens, in the order the plugins are listed. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a plugin with nothing to stop returns nothing.
  start(host: EnginePluginHost): StartedPlugin | void | Promise<StartedPlugin | void>;
}

/** Error raised when a plugin fails to start; it names the plugin. */
class EnginePluginError extends Error {
  constructor(plugin: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`plugin ${plugin} failed to start: ${reason}`, options);
    this.name = "EnginePluginError";
  }
}

/**
 * Starts `plugins` in order and returns what stops them, in reverse order. When one fails to start, those
 * already started are stopped before the error (an EnginePluginError) is thrown.
 */
export async function startPlugins(
  plugins: readonly EnginePlugin[],
  host: EnginePluginHost,
): Promise<() => Promise<void>> {
  const started: Array<{ name: string; plugin: StartedPlugin }> = [];
  const stop = async () => {
    for (const { name, plugin } of started.splice(0).reverse()) {
      try {
        await plugin.stop?.();
      } catch (error) {
        // One plugin failing to stop must not keep the engine (and the others) running.
        host.context.log(`plugin ${name}: stop failed: ${error instanceof Error ? error.message : error}`);
      }
    }
  };
  for (const plugin of plugins) {
    try {
      started.push({ name: plugin.name, plugin: (await plugin.start(host)) ?? {} });
    } catch (cause) {
      await stop();
      throw new EnginePluginError(plugin.name, { cause });
    }
  }
  return stop;
}
