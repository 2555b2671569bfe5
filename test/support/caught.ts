/**
 * Runs `run` and returns what it threw, checking the class, so a test can assert on `code` and
 * `message`. Fails the test when nothing is thrown or something else is.
 */
export function caught<E extends Error>(
  type: abstract new (...args: never[]) => E,
  run: () => unknown,
): E {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  return ofType(type, thrown);
}

/** The async twin of `caught`: awaits `promise` and returns its rejection, checking the class. */
export async function rejection<E extends Error>(
  type: abstract new (...args: never[]) => E,
  promise: Promise<unknown>,
): Promise<E> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  return ofType(type, thrown);
}

function ofType<E extends Error>(type: abstract new (...args: never[]) => E, thrown: unknown): E {
  if (thrown instanceof type) return thrown;
  throw new Error(
    thrown === undefined
      ? `expected a ${type.name}, but nothing was thrown`
      : `expected a ${type.name}, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : typeof thrown}`,
    { cause: thrown },
  );
}
