/**
 * Which of a set of literals a text holds, in one pass over it: the Security prefilter's question
 * (secretTriggers.ts, and the risky-code rules' `needs`) for some ninety literals at once. Asked one
 * literal at a time (`includes`, or one case-insensitive pattern of all of them), a file is read
 * once per literal that starts with a common letter, which made the prefilter most of a cold scan's
 * matching time.
 *
 * Each position of the text is looked up by its next three characters (folded to lower case) in a
 * table of the literals' first three; only a hit compares a literal there, case-insensitively or
 * not as the literal asks. Case-insensitive means what a JavaScript pattern with the `i` flag and
 * without `u` means for ASCII: a letter matches either case of itself and no other character.
 * Literals shorter than three characters, or not ASCII, are looked for one by one.
 */

export interface Literal {
  text: string;
  ignoreCase: boolean;
}

const TRIGRAM_BITS = 21;

/** ASCII folded to lower case; every other character to 0, which no table literal holds. */
const FOLD = (() => {
  const fold = new Uint8Array(65536);
  for (let c = 1; c < 128; c++) fold[c] = c >= 65 && c <= 90 ? c + 32 : c;
  return fold;
})();

function isTableLiteral(text: string): boolean {
  if (text.length < 3) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c >= 128) return false;
  }
  return true;
}

/** A literal the table does not hold: a short ASCII one as its few spellings in either case (a native search each), any other as a pattern. */
function aloneTest(l: Literal): (text: string) => boolean {
  if (!l.ignoreCase) return (text) => text.includes(l.text);
  let spellings = [''];
  for (const ch of l.text) {
    const cases = ch.charCodeAt(0) < 128 ? [...new Set([ch.toLowerCase(), ch.toUpperCase()])] : undefined;
    if (!cases || spellings.length * cases.length > 4) {
      const pattern = new RegExp(l.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      return (text) => pattern.test(text);
    }
    spellings = spellings.flatMap((s) => cases.map((c) => s + c));
  }
  return (text) => spellings.some((s) => text.includes(s));
}

export class LiteralScan {
  /** One bit per trigram that starts some table literal. */
  private readonly starts = new Uint32Array((1 << TRIGRAM_BITS) / 32);
  /** Trigram -> indices of the table literals starting with it. */
  private readonly byTrigram = new Map<number, number[]>();
  /** Per literal: its characters, folded when it ignores case. */
  private readonly codes: Uint8Array[];
  /** The others, each with its own test. */
  private readonly alone: Array<{ index: number; test: (text: string) => boolean }> = [];

  constructor(private readonly literals: readonly Literal[]) {
    this.codes = literals.map((l) => Uint8Array.from(l.text, (ch) => (l.ignoreCase ? FOLD[ch.charCodeAt(0)] : ch.charCodeAt(0))));
    literals.forEach((l, index) => {
      if (!isTableLiteral(l.text)) {
        this.alone.push({ index, test: aloneTest(l) });
        return;
      }
      const key = (FOLD[l.text.charCodeAt(0)] << 14) | (FOLD[l.text.charCodeAt(1)] << 7) | FOLD[l.text.charCodeAt(2)];
      this.starts[key >>> 5] |= 1 << (key & 31);
      let list = this.byTrigram.get(key);
      if (!list) this.byTrigram.set(key, (list = []));
      list.push(index);
    });
  }

  /** Per literal, in the order given, whether `text` holds it. */
  find(text: string): boolean[] {
    const found = new Array<boolean>(this.literals.length).fill(false);
    this.scan(text, found, false);
    return found;
  }

  /** Whether `text` holds any of the literals (stops at the first). */
  any(text: string): boolean {
    return this.scan(text, new Array<boolean>(this.literals.length).fill(false), true);
  }

  private scan(text: string, found: boolean[], first: boolean): boolean {
    let hit = false;
    for (const { index, test } of this.alone) {
      if (!test(text)) continue;
      found[index] = true;
      hit = true;
      if (first) return true;
    }
    const n = text.length;
    if (n < 3) return hit;
    const { starts, byTrigram, codes, literals } = this;
    let key = (FOLD[text.charCodeAt(0)] << 7) | FOLD[text.charCodeAt(1)];
    for (let i = 2; i < n; i++) {
      key = ((key << 7) & ((1 << TRIGRAM_BITS) - 1)) | FOLD[text.charCodeAt(i)];
      if ((starts[key >>> 5] & (1 << (key & 31))) === 0) continue;
      const at = i - 2;
      for (const index of byTrigram.get(key) ?? []) {
        if (found[index]) continue;
        const code = codes[index];
        if (at + code.length > n) continue;
        let j = 0;
        if (literals[index].ignoreCase) while (j < code.length && FOLD[text.charCodeAt(at + j)] === code[j]) j++;
        else while (j < code.length && text.charCodeAt(at + j) === code[j]) j++;
        if (j < code.length) continue;
        found[index] = true;
        hit = true;
        if (first) return true;
      }
    }
    return hit;
  }
}
