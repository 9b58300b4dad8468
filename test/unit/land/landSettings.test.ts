import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../../src/agents/agent';
import { DEFAULT_LAND_SETTINGS } from '../../../src/land/landSettings';
import { Settings } from '../../../src/settings/settings';

function settingsOf(values: Record<string, unknown>): { settings: Settings; warnings: string[] } {
  const warnings: string[] = [];
  const log: Logger = { trace() {}, debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
  return { settings: new Settings({ get: (key) => values[key] }, log), warnings };
}

void describe('land settings', () => {
  void it('default to a rebase, no check, no automatic land, and the autopilot free to start overlapping tickets', () => {
    const { settings } = settingsOf({});
    assert.deepEqual(settings.landSettings(), DEFAULT_LAND_SETTINGS);
    assert.equal(settings.avoidOverlap(), false);
  });

  void it('take the values set, and replace a bad one by its default with a warning', () => {
    const { settings, warnings } = settingsOf({ 'land.strategy': 'squash', 'land.checkCommand': ['npm', 'test'], 'land.auto': true, 'land.checkTimeoutMinutes': 5, 'autopilot.avoidOverlap': true });
    assert.deepEqual(settings.landSettings(), { strategy: 'squash', checkCommand: ['npm', 'test'], checkTimeoutMs: 300_000, auto: true, leaseTimeoutMs: 30_000 });
    assert.equal(settings.avoidOverlap(), true);
    const bad = settingsOf({ 'land.strategy': 'force-push', 'land.checkCommand': 'npm test' });
    assert.equal(bad.settings.landSettings().strategy, 'rebase');
    assert.deepEqual(bad.settings.landSettings().checkCommand, []);
    assert.equal(bad.warnings.length, 2);
    assert.equal(warnings.length, 0);
  });
});
