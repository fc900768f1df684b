// A quick look before the shell parser and the policy are loaded (they cost most of a hook
// call): text made only of plain characters, without the word docker and without a word that
// names a shell (which could read a script), cannot reach docker however it is parsed, so it
// needs no judging. Anything else (quotes, escapes, expansions, operators) goes to the full reading.
const PLAIN = /^[A-Za-z0-9 _.,:/=+@%\t-]*$/;
const SHELL_WORDS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox', 'eval', 'source', '.']);

export function cannotReachDocker(text: string): boolean {
  if (!PLAIN.test(text) || /docker/i.test(text)) return false;
  for (const word of text.split(/\s+/)) {
    const name = word.replace(/\/+$/, '').split('/').pop() ?? '';
    if (SHELL_WORDS.has(name) || (word !== '' && name === '')) return false;
  }
  return true;
}
