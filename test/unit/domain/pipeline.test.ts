import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextStageIn, pipelineProblem, STAGES, verdictCommands } from '../../../src/domain/pipeline';
import { canTransition, legalTargets } from '../../../src/domain/status';

describe('the pipeline', () => {
  it('skips the stages it does not list and ends with DONE', () => {
    const pipeline = ['IN_DEV', 'IN_SEC', 'PM_REVIEW'] as const;
    assert.equal(nextStageIn(pipeline, 'READY'), 'IN_DEV');
    assert.equal(nextStageIn(pipeline, 'IN_DEV'), 'IN_SEC');
    assert.equal(nextStageIn(pipeline, 'IN_SEC'), 'PM_REVIEW');
    assert.equal(nextStageIn(pipeline, 'PM_REVIEW'), 'DONE');
    assert.equal(nextStageIn(['IN_DEV'], 'IN_DEV'), 'DONE');
    assert.equal(nextStageIn(STAGES, 'IN_DEV'), 'IN_QA', 'every stage listed: one step at a time');
  });

  it('moves a ticket on from a stage the pipeline no longer lists, and from nothing else', () => {
    assert.equal(nextStageIn(['IN_DEV', 'PM_REVIEW'], 'IN_QA'), 'PM_REVIEW');
    assert.equal(nextStageIn(['IN_DEV', 'IN_QA'], 'IN_SEC'), 'DONE');
    for (const s of ['BACKLOG', 'DONE', 'BLOCKED'] as const) assert.equal(nextStageIn(STAGES, s), undefined, s);
  });

  it('accepts distinct stages in pipeline order starting with IN_DEV, and says what is wrong otherwise', () => {
    assert.equal(pipelineProblem(['IN_DEV', 'IN_SEC', 'PM_REVIEW']), undefined);
    assert.equal(pipelineProblem(['IN_DEV']), undefined);
    assert.equal(pipelineProblem([]), 'must list at least IN_DEV');
    assert.equal(pipelineProblem(['IN_SEC', 'IN_DEV']), 'must start with IN_DEV, not IN_SEC');
    assert.match(pipelineProblem(['IN_DEV', 'PM_REVIEW', 'IN_SEC']) ?? '', /lists IN_SEC after PM_REVIEW; stages run in the order IN_DEV, IN_QA/);
    assert.equal(pipelineProblem(['IN_DEV', 'IN_QA', 'IN_QA']), 'lists IN_QA twice');
    assert.match(pipelineProblem(['IN_DEV', 'DONE']) ?? '', /lists "DONE", which is not a stage/);
    assert.equal(pipelineProblem('IN_DEV'), 'must be a list of stages');
  });

  it('lets the runner and agents skip forward over unlisted stages; people still move one step', () => {
    assert.ok(canTransition({ from: 'IN_DEV', to: 'IN_SEC', by: 'runner' }));
    assert.ok(canTransition({ from: 'IN_DEV', to: 'PM_REVIEW', by: 'claude' }));
    assert.ok(canTransition({ from: 'IN_DEV', to: 'DONE', by: 'runner' }));
    assert.ok(canTransition({ from: 'IN_QA', to: 'DONE', by: 'Security' }));
    assert.ok(!canTransition({ from: 'IN_DEV', to: 'IN_SEC', by: 'user' }));
    assert.ok(!canTransition({ from: 'IN_SEC', to: 'IN_QA', by: 'runner' }), 'never backwards except to IN_DEV');
    assert.ok(!canTransition({ from: 'READY', to: 'IN_SEC', by: 'runner' }), 'READY starts development');
    assert.ok(!canTransition({ from: 'READY', to: 'DONE', by: 'runner' }));
    assert.deepEqual(legalTargets('IN_DEV', 'user'), ['READY', 'IN_QA', 'BLOCKED']);
  });

  it('names the verdict commands of each stage', () => {
    assert.deepEqual(verdictCommands('IN_DEV'), ['agent-factory done']);
    assert.deepEqual(verdictCommands('PM_REVIEW'), ['agent-factory approve', 'agent-factory reject --bug <text>']);
  });
});
