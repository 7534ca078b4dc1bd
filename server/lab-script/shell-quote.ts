/**
 * Quoting for the generated bash: a word that needs no quotes is written as
 * is (the script stays readable), anything else in single quotes. Names the
 * lab file allows (interfaces, namespaces, addresses) are all of the first kind.
 */
const PLAIN = /^[A-Za-z0-9_./:=,@%+-]+$/;

export function shellQuote(word: string): string {
  if (PLAIN.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A word that bash reads as itself, without quotes: no expansion, globbing or operators. */
export function isPlainWord(word: string): boolean {
  return PLAIN.test(word);
}
