/** Set by commands that keep serving after their action returns (`up`), so main does not exit the process. */
let serving = false;

export function markServing(): void {
  serving = true;
}

export function isServing(): boolean {
  return serving;
}
