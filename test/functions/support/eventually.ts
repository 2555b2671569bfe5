/**
 * Polls `check` until it returns a value (not undefined) or the time is up; the workflow runs
 * asynchronously behind the API, so tests wait for what a user would see next.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
        {
          cause: last,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
