/** "Did you mean": the closest known name to a typo, by edit distance (Damerau: a swap counts once). */

function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The known name nearest to `name`, when it is near enough to be a typo (about a third of its length); else undefined. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const candidate of known) {
    if (candidate === name) continue;
    const d = distance(wanted, candidate.toLowerCase());
    if (d <= Math.max(1, Math.floor(Math.max(name.length, 3) / 3)) && (!best || d < best.d)) best = { name: candidate, d };
  }
  return best?.name;
}

/** ` (did you mean 'x'?)` for an error message, or '' when nothing is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const near = closest(name, known);
  return near === undefined ? '' : ` (did you mean '${near}'?)`;
}
