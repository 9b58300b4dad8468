import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localClockTime, localDateTime } from '../../../src/vscode/util/localTime';

const AT = Date.UTC(2026, 0, 15, 14, 5, 9);

describe('local times', () => {
  it('read as the runtime formats them in the given locale, time after time', () => {
    for (const locale of [undefined, 'en-US', 'de', 'ja']) {
      for (let i = 0; i < 2; i++) {
        assert.equal(localClockTime(AT, locale), new Date(AT).toLocaleString(locale, { timeStyle: 'medium' }));
        assert.equal(localDateTime(AT + i * 60_000, locale), new Date(AT + i * 60_000).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' }));
      }
    }
  });

  it('fall back to the default locale for a tag the runtime does not know, and say when a time is unknown', () => {
    assert.equal(localClockTime(AT, 'not a locale!'), new Date(AT).toLocaleString(undefined, { timeStyle: 'medium' }));
    assert.equal(localDateTime(Number.NaN, 'en-US'), 'unknown time');
  });
});
