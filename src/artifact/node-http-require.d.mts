import type { Plugin } from "esbuild";

export declare const nodeHttpByRequire: Plugin;
