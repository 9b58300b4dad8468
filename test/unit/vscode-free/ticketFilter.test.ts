import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTicketFilter, matchesTicketFilter, parseTicketFilter } from '../../../src/vscode/tickets/ticketFilter';
import { ticket } from './ticketFixtures';

describe('ticket filter', () => {
  it('treats an empty input as no filter', () => {
    assert.deepEqual(parseTicketFilter('   '), { ok: true, filter: undefined });
  });

  it('parses words, labels and a source, and prints them back the same way', () => {
    const parsed = parseTicketFilter('Login  label:UI source:gatherer retry');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.filter, { words: ['login', 'retry'], labels: ['ui'], source: 'gatherer' });
    assert.equal(formatTicketFilter(parsed.filter), 'login retry label:ui source:gatherer');
  });

  it('explains an unknown source or an empty term', () => {
    const bad = parseTicketFilter('source:robots');
    assert.ok(!bad.ok);
    assert.match(bad.error, /unknown source "robots".*user, gatherer, security/);
    const empty = parseTicketFilter('label:');
    assert.ok(!empty.ok);
    assert.match(empty.error, /needs a value/);
  });

  it('matches every word anywhere in id, title, description or labels, case-insensitively', () => {
    const t = ticket({ id: 'T-7', title: 'Fix the Login page', description: 'retry on 503', labels: ['UI'] });
    const filter = (input: string) => {
      const parsed = parseTicketFilter(input);
      assert.ok(parsed.ok);
      return parsed.filter;
    };
    assert.ok(matchesTicketFilter(t, filter('login retry')));
    assert.ok(matchesTicketFilter(t, filter('t-7')));
    assert.ok(matchesTicketFilter(t, filter('label:ui')));
    assert.ok(!matchesTicketFilter(t, filter('login logout')));
    assert.ok(!matchesTicketFilter(t, filter('label:backend')));
    assert.ok(!matchesTicketFilter(t, filter('source:gatherer')));
    assert.ok(matchesTicketFilter(t, filter('source:user login')));
  });
});
