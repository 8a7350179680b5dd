// "a" or "an" before a word built at run time ("an 800×600 image", "an arithmetic-coded JPEG",
// "an 8-byte file"), by how it is spoken: a vowel sound takes "an", whatever the letter.

/** Digits whose spoken form starts with a vowel: 8…, 11 and 18 (also 11,000, 18,000,000…). */
function numberTakesAn(digits: string): boolean {
  if (digits.startsWith('8')) return true;
  return digits.length % 3 === 2 && (digits.startsWith('11') || digits.startsWith('18'));
}

/** Letters whose names start with a vowel sound, for initialisms read letter by letter (an MP4, an SVG). */
const VOWEL_NAMED_LETTERS = 'AEFHILMNORSX';

/** `phrase` with "a" or "an" in front. */
export function withArticle(phrase: string): string {
  const digits = /^\d+/.exec(phrase);
  if (digits) return `${numberTakesAn(digits[0]) ? 'an' : 'a'} ${phrase}`;
  // An initialism (two capitals, or a capital then a digit): each letter is spoken by its name.
  if (/^[A-Z][A-Z\d]/.test(phrase) && !/^[A-Z][a-z]/.test(phrase)) {
    return `${VOWEL_NAMED_LETTERS.includes(phrase[0]) ? 'an' : 'a'} ${phrase}`;
  }
  // "a unicode", "a user", "a usable": a "u" read as "you"; "an" before other vowels.
  if (/^u(ni|s[aeu]|t[ai])/i.test(phrase)) return `a ${phrase}`;
  return `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}
