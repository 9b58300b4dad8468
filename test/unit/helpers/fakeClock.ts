import type { Clock } from '../../../src/domain/clock';

/** A clock tests move by hand. Starts at a fixed, realistic instant. */
export class FakeClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 15, 9, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  advanceMinutes(minutes: number): void {
    this.t += minutes * 60_000;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
