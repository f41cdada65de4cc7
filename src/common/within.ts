/** What `within` answers when the promise has not settled in time. */
export const TIMED_OUT = Symbol('timed out');

/**
 * `promise`'s value (or its rejection), or TIMED_OUT if it has not settled within `ms`. The timer
 * never outlives the race, and a later rejection of `promise` is handled here.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
