/** Drops stale answers of as-you-type requests: only the latest call's result is applied. */
export function latestOnly() {
  let n = 0;
  return {
    next(): number {
      return ++n;
    },
    isLatest(token: number): boolean {
      return token === n;
    },
  };
}
