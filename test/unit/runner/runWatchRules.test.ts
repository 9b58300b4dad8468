import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsInput, parseRunAttention, runsNeedingInput } from '../../../src/domain/runAttention';
import { summarizeBoardStatus } from '../../../src/loop/boardStatus';
import { budgetReached, ticketUsage } from '../../../src/runner/budget';
import { LoopDetector } from '../../../src/runner/loopDetector';
import { maskEvidence } from '../../../src/runner/maskEvidence';
import { isPromptLine, looksLikeQuestion } from '../../../src/runner/profiles/promptPatterns';

void describe('prompt patterns', () => {
  const prompts: [Parameters<typeof isPromptLine>[0], string][] = [
    ['custom', 'Do you want to proceed?'],
    ['custom', 'Overwrite the file? [y/N]'],
    ['custom', 'Continue (yes/no)'],
    ['aider', 'Add src/app.ts to the chat? (Y)es/(N)o/(A)ll [Yes]:'],
    ['aider', 'Run shell command? (Y)es/(N)o [Yes]:'],
    ['claude-code', '❯ 1. Yes'],
    ['codex', 'Approval required for: rm -rf build'],
    ['gemini', 'Allow execution of: npm install?'],
    ['copilot', 'Do you want to run this command?'],
    ['custom', 'Waiting for your input'],
  ];
  for (const [profile, line] of prompts) {
    void it(`${profile}: "${line}" is a prompt`, () => assert.ok(isPromptLine(profile, line)));
  }
  void it('ignores JSON events (the model may write "Do you want to" itself), blank lines and ordinary output', () => {
    assert.ok(!isPromptLine('claude-code', JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: 'Do you want to proceed? [y/N]' }] } })));
    assert.ok(!isPromptLine('custom', ''));
    assert.ok(!isPromptLine('custom', 'Compiling 12 files'));
    assert.ok(!isPromptLine('codex', '❯ 1. Yes'), 'one profile\'s prompt is not another\'s');
  });
  void it('a silent agent\'s last line reads like a question when it ends with ? : or >', () => {
    assert.ok(looksLikeQuestion('custom', 'Which branch should I use?'));
    assert.ok(looksLikeQuestion('custom', 'Password:'));
    assert.ok(!looksLikeQuestion('custom', 'Running tests.'));
    assert.ok(!looksLikeQuestion('claude-code', '{"type":"user","text":"why?"}'));
  });
});

void describe('loop detector', () => {
  void it('reports the same tool call N times in a row once, and starts over after another call', () => {
    const d = new LoopDetector(3);
    assert.equal(d.tool('Bash', 'npm test'), undefined);
    assert.equal(d.tool('Bash', 'npm test'), undefined);
    assert.deepEqual(d.tool('Bash', 'npm test'), { what: 'Bash npm test', repeats: 3 });
    assert.equal(d.tool('Bash', 'npm test'), undefined, 'reported once');
    assert.equal(d.tool('Read', 'a.ts'), undefined);
    assert.equal(d.tool('Bash', 'npm test'), undefined);
  });
  void it('counts output lines apart from tool calls, ignores blank lines, and is off below 2', () => {
    const d = new LoopDetector(2);
    assert.equal(d.line('Error: ENOENT'), undefined);
    assert.equal(d.tool('Bash', 'ls'), undefined);
    assert.equal(d.line('  '), undefined);
    assert.deepEqual(d.line('Error: ENOENT'), { what: 'Error: ENOENT', repeats: 2 });
    const off = new LoopDetector(0);
    for (let i = 0; i < 10; i++) assert.equal(off.line('same'), undefined);
  });
});

void describe('budget', () => {
  void it('sums the runs of a ticket and tells when tokens or cost reach the budget', () => {
    const used = ticketUsage([{ inputTokens: 100, outputTokens: 20, cachedTokens: 50, costUsd: 0.5 }, undefined, { inputTokens: 60, outputTokens: 20, cachedTokens: 0 }]);
    assert.deepEqual(used, { inputTokens: 160, outputTokens: 40, cachedTokens: 50, costUsd: 0.5 });
    assert.equal(ticketUsage([undefined]), undefined);
    assert.equal(budgetReached({ tokens: 201 }, used), undefined);
    assert.match(budgetReached({ tokens: 200 }, used) ?? '', /^budget reached: 200 tokens used of 200 \(/);
    assert.match(budgetReached({ costUsd: 0.5 }, used) ?? '', /^budget reached: \$0\.5000 spent of \$0\.5 /);
    assert.equal(budgetReached({ costUsd: 0.1 }, { inputTokens: 5, outputTokens: 5, cachedTokens: 0 }), undefined, 'no reported cost never reaches a cost limit');
    assert.equal(budgetReached({}, used), undefined);
  });
});

void describe('masking quoted evidence', () => {
  void it('masks token shapes, bearer values and assignments to secret-looking names, and leaves the rest', () => {
    assert.equal(maskEvidence('export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuv'), 'export OPENAI_API_KEY=sk-p…uv');
    assert.equal(maskEvidence('curl -H "Authorization: Bearer abcdefghijklmnop1234"'), 'curl -H "Authorization: Bearer abcd…34"');
    assert.equal(maskEvidence('aws AKIAABCDEFGHIJKLMNOP s3 ls'), 'aws AKIA…OP s3 ls');
    assert.equal(maskEvidence('password: "hunter2hunter2"'), 'password: "****"');
    assert.equal(maskEvidence('DB_PASSWORD=correct-horse-battery-staple'), 'DB_PASSWORD=corr…le');
    assert.equal(maskEvidence('git commit -m "Add the token parser"'), 'git commit -m "Add the token parser"');
  });
});

void describe('run attention', () => {
  void it('reads only well-formed attention, and counts live runs waiting for a person', () => {
    assert.equal(parseRunAttention({ needsInput: { reason: 1 } }), undefined);
    assert.equal(parseRunAttention('x'), undefined);
    const a = parseRunAttention({ needsInput: { reason: 'why', since: 5, source: 'hook' }, extra: 1 });
    assert.deepEqual(a, { needsInput: { reason: 'why', since: 5, source: 'hook' } });
    const runs = [
      { id: 'a', status: 'running', attention: { needsInput: { reason: 'b', since: 9, source: 'output' as const } } },
      { id: 'b', status: 'succeeded', attention: a },
      { id: 'c', status: 'running', attention: a },
      { id: 'd', status: 'running' },
    ];
    assert.deepEqual(runsNeedingInput(runs).map((r) => r.id), ['c', 'a']);
    assert.ok(!needsInput(runs[1]));
  });
  void it('puts "needs input" first in the status line', () => {
    const attention = { items: [{ kind: 'needsInput' as const, ticketId: 'T-1', detail: 'asks', question: true }], counts: { finding: 0, needsInput: 1, stalled: 1, stuck: 0, blocked: 0, waiting: 0, review: 0 }, criticalFindings: 0, orphans: 0, tickets: ['T-1'], level: 'warning' as const };
    const status = summarizeBoardStatus({ statuses: [], report: undefined, attention, autopilot: { on: false }, queue: { ready: [], waiting: [] } });
    assert.equal(status.headline, '1 needs input · 1 stalled');
    assert.equal(status.level, 'warning');
    assert.equal(status.attention.counts.needsInput, 1);
  });
});
