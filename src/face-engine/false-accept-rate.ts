// No imports: the console's calibration page reads the table with this same function, in the
// browser, so that the rates it prints are the ones the service answers with.

/** The false accept rate at `distance` from a table of `[distance, rate]` steps, distance ascending. */
export function falseAcceptRate(
  table: { far: readonly (readonly [distance: number, rate: number])[] },
  distance: number,
): number {
  const { far } = table;
  if (distance <= far[0][0]) return far[0][1];
  for (let index = 1; index < far.length; index++) {
    const [to, rate] = far[index];
    if (distance <= to) {
      const [from, before] = far[index - 1];
      return before + ((distance - from) / (to - from)) * (rate - before);
    }
  }
  return far[far.length - 1][1];
}
