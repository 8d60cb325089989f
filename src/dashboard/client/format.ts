/** `3.2 ms`, `140 ms`, `12.5 s`; empty when unknown. */
export const formatMs = (ms: number | undefined | null): string =>
  ms === undefined || ms === null || Number.isNaN(ms)
    ? ""
    : ms < 10
      ? `${ms.toFixed(1)} ms`
      : ms < 10_000
        ? `${Math.round(ms)} ms`
        : `${(ms / 1000).toFixed(1)} s`;

/** `512 B`, `12.3 KB`, `1.5 MB`; empty when unknown. */
export const formatBytes = (bytes: number | undefined): string =>
  bytes === undefined
    ? ""
    : bytes < 1024
      ? `${bytes} B`
      : bytes < 1024 * 1024
        ? `${(bytes / 1024).toFixed(1)} KB`
        : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Local wall-clock time, 24-hour; empty when unknown. */
export const formatTime = (epochMs: number | undefined): string =>
  epochMs ? new Date(epochMs).toLocaleTimeString([], { hour12: false }) : "";

/** The first 8 characters of a request id. */
export const shortId = (id: string | undefined): string => (id ? id.slice(0, 8) : "");

/** Epoch milliseconds with a fraction, on the same clock as the server's `at` stamps. */
export const clock = (): number => performance.timeOrigin + performance.now();
