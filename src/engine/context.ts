import { EventEmitter } from "node:events";
import type { ActivityEvent } from "./activity.ts";
import type { CredentialStore } from "./credentials.ts";
import type { DurableStore } from "./store/index.ts";
import type { Authorizer, FaultOptions, ObjectCreatedEvent } from "./types.ts";

/** Engine-wide events; services publish, others subscribe (S3 -> Lambda delivery, dashboard). */
export interface EngineEvents {
  objectCreated: [ObjectCreatedEvent];
  /** What observers (dashboard, tests) learn of deliveries, invocations and failures; `activity.ts`. */
  activity: [ActivityEvent];
}

export class EngineEventBus extends EventEmitter<EngineEvents> {
  /** Publishes one activity event: the one way the engine reports activity. */
  activity(event: ActivityEvent): void {
    this.emit("activity", event);
  }
}

/** Deterministic (seeded) fault decisions, so fault tests are reproducible. */
export class FaultInjector {
  readonly options: Required<Pick<FaultOptions, "deliveryCopies" | "deliveryJitterMs">> & FaultOptions;
  #state: number;

  constructor(options: FaultOptions = {}) {
    this.options = { deliveryCopies: 1, deliveryJitterMs: 0, ...options };
    this.#state = (options.seed ?? 0x9e3779b9) >>> 0 || 1;
  }

  /** xorshift32: enough randomness for fault injection, and repeatable. */
  random(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 0x100000000;
  }

  shouldFail(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }
}

/** What every service gets from the engine. */
export interface EngineContext {
  readonly accountId: string;
  readonly region: string;
  /** Base URL of the edge, e.g. `http://127.0.0.1:4566`; known once the server listens. */
  endpoint(): string;
  /** Directory for persisted state; undefined means in memory. */
  readonly dataDir: string | undefined;
  /** The persistence layer over `dataDir` (undefined in memory): every durable write goes through it. */
  readonly store: DurableStore | undefined;
  readonly events: EngineEventBus;
  readonly credentials: CredentialStore;
  readonly faults: FaultInjector;
  /**
   * IAM enforcement: the IAM service's authorizer, or allow-all with `enforceIam: false`. `startEngine` builds
   * the context with it once IAM exists; the other services only read it.
   */
  authorizer: Authorizer;
  /** Engine diagnostics (not function logs). */
  log(message: string): void;
}

/** The context before IAM exists: what the IAM service itself is created with. */
export type EngineBase = Omit<EngineContext, "authorizer">;

export const allowAll: Authorizer = { authorize: () => ({ allowed: true }) };
