// Option objects ({ lr: 0.1, weightDecay: 1e-4 }) are checked against the names an API knows, so a misspelt or
// snake_case key (weight_decay, label_smoothing) is an error that says what was meant, not a silently ignored
// setting: PyTorch raises TypeError for an unknown keyword argument.

/** Throws a TypeError naming any key of `options` that is not in `known`. undefined counts as no options. */
export function checkOptionKeys(op: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${op}: options must be an object, got ${options === null ? "null" : Array.isArray(options) ? "an array" : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${op}: unknown option "${key}"${suggest(key, known)} (known: ${known.join(", ")})`);
  }
}

/** ` (did you mean "weightDecay"?)` when one known name is the same word in other case or spelling, or the one
 *  nearest within two edits, else "". Nearest, not only: fit's "epoch" is one edit from epochs and two from onEpoch. */
export function suggest(key: string, known: readonly string[]): string {
  const squash = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  const same = known.find((k) => squash(k) === squash(key));
  if (same !== undefined) return ` (did you mean "${same}"?)`;
  const distances = known.map((k) => editDistance(squash(k), squash(key)));
  const best = Math.min(...distances);
  const nearest = known.filter((_, i) => distances[i] === best);
  return best <= 2 && nearest.length === 1 ? ` (did you mean "${nearest[0]}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/**
 * The option names of an options type T, written as `optionKeys<TOptions>({ a: true, b: true })`: the type checker
 * rejects a name T lacks and, because every key of the record is required, one that T has but the list leaves out,
 * so a list beside its interface cannot drift from it. Returns the names in the order written.
 */
export function optionKeys<T extends object>(names: Record<keyof T & string, true>): readonly string[] {
  return Object.freeze(Object.keys(names));
}
