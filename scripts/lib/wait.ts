// Polling without fixed sleeps, for the tests, the demo's harnesses and the benchmarks.

/** Polls until `check` returns a value (not undefined/false), or fails with the last state. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String((last as Error)?.message ?? JSON.stringify(last))}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
