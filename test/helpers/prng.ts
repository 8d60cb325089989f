/**
 * mulberry32: a small seeded PRNG for tests that vary sizes or splits, so a run draws the same values every time
 * and a failing one can be replayed (Math.random cannot be).
 */
export function prng(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
