/**
 * Notices an agent going round in circles: the same tool call (name and input), or the same
 * output line, `repeats` times in a row. Tool calls and output lines are counted separately, so
 * output between two identical calls does not hide the loop. Pure: the run watch feeds it.
 */
export interface LoopEvidence {
  /** "Bash {"command":"git status"}" or the repeated line. */
  what: string;
  repeats: number;
}

class RepeatCounter {
  private last: string | undefined;
  private count = 0;
  private reported = false;

  constructor(private readonly repeats: number) {}

  /** The evidence the first time the same value has come `repeats` times in a row. */
  push(value: string): LoopEvidence | undefined {
    if (value === this.last) {
      this.count++;
    } else {
      this.last = value;
      this.count = 1;
      this.reported = false;
    }
    if (this.repeats < 2 || this.count < this.repeats || this.reported) return undefined;
    this.reported = true;
    return { what: value, repeats: this.count };
  }
}

export class LoopDetector {
  private readonly tools: RepeatCounter;
  private readonly lines: RepeatCounter;

  /** `repeats` below 2 turns detection off (0 is the setting's "off"). */
  constructor(repeats: number) {
    this.tools = new RepeatCounter(repeats);
    this.lines = new RepeatCounter(repeats);
  }

  tool(name: string, input: string): LoopEvidence | undefined {
    return this.tools.push(`${name} ${input}`.trim());
  }

  /** Blank lines are no evidence of anything. */
  line(text: string): LoopEvidence | undefined {
    const trimmed = text.trim();
    return trimmed === '' ? undefined : this.lines.push(trimmed);
  }
}
