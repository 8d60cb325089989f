import { engineServices } from "../../src/engine/registry.ts";

/**
 * The services that keep a journal under a `--persist` directory, by their folder there (their sections'
 * `storage`): a new service with a journal is in every damage case without being listed here.
 */
export const journalDirectories: readonly string[] = engineServices.sections.flatMap((section) =>
  section.storage?.journal ? [section.storage.directory] : [],
);
