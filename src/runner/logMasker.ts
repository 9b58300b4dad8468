/**
 * Masks an agent's output as it streams into its run log, line by line through maskEvidence, so
 * that a secret split across two reads is whole again before it is looked at. A line is held until
 * it ends, but never past `maxPending` characters: a longer one is let through up to its last
 * whitespace (a token holds none), or cut there when it has none at all. The lines of a private
 * key block, between its BEGIN and END lines, are masked whole.
 */
import { maskSecret } from '../scan/security/mask';
import { maskEvidence } from './maskEvidence';

const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

export const DEFAULT_MAX_PENDING = 64 * 1024;

export class LogMasker {
  private pending = '';
  private inKey = false;

  constructor(private readonly maxPending = DEFAULT_MAX_PENDING) {}

  /** The masked text of every line `chunk` completes, with its line ends. */
  push(chunk: string): string {
    this.pending += chunk;
    let out = '';
    let start = 0;
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n', start)) {
      const cr = nl > start && this.pending[nl - 1] === '\r' ? 1 : 0;
      out += `${this.mask(this.pending.slice(start, nl - cr))}${cr ? '\r\n' : '\n'}`;
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > this.maxPending) {
      const space = this.pending.slice(0, this.maxPending).search(/\s\S*$/);
      const cut = space > 0 ? space + 1 : this.maxPending;
      out += this.mask(this.pending.slice(0, cut));
      this.pending = this.pending.slice(cut);
    }
    return out;
  }

  /** The masked rest: a last line without its end. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? '' : this.mask(rest);
  }

  private mask(line: string): string {
    if (this.inKey) {
      if (KEY_END.test(line)) {
        this.inKey = false;
        return line;
      }
      return line.trim() === '' ? line : maskSecret(line);
    }
    if (KEY_BEGIN.test(line) && !KEY_END.test(line)) this.inKey = true;
    return maskEvidence(line);
  }
}
