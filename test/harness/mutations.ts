// Mutated inputs for differential tests: seeded, so every run tries the same cases.

/** A pseudo-random source from `seed` (a linear congruential generator): random(n) is in [0, n). */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

/** `text` after `edits` random edits, each one of `pieces` inserted or one to three characters deleted. */
export function mutate(text: string, pieces: readonly string[], random: (n: number) => number, edits: number): string {
  for (let m = 0; m < edits; m++) {
    const at = random(text.length + 1);
    text =
      random(3) === 0
        ? text.slice(0, at) + text.slice(at + 1 + random(3))
        : text.slice(0, at) + pieces[random(pieces.length)] + text.slice(at);
  }
  return text;
}
