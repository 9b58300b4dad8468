import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parsePmReport } from '../../../src/agents/pm/report';
import { localProcessProbe } from '../../../src/process/localProbe';
import { processStartToken } from '../../../src/process/processIdentity';
import { isProcessAlive, spawnAgentProcess } from '../../../src/process/processTree';
import { waitUntil } from '../runner/agentPaths';
import { cycle, fixture, inDev, pm, type Fixture } from './pmFixture';

/**
 * An agent as the runner starts it (leader of its own process group and session, its run's id in
 * its environment) that starts two children in its group and exits once `go` exists: one child
 * inherits its environment, the other drops the run's id from it.
 */
const AGENT = `
const { spawn } = require('child_process');
const fs = require('fs');
const [pidsFile, go] = process.argv.slice(1);
const keep = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const env = { ...process.env };
delete env.AGENT_FACTORY_RUN_ID;
const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env });
fs.writeFileSync(pidsFile + '.tmp', JSON.stringify({ child: keep.pid, stranger: stranger.pid }));
fs.renameSync(pidsFile + '.tmp', pidsFile);
setInterval(() => { if (fs.existsSync(go)) process.exit(0); }, 50);
`;

interface Started {
  runId: string;
  agentPid: number;
  child: number;
  stranger: number;
  kill(): void;
}

/** The pid of a process that has exited: an owner that is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/**
 * Records a run of `ticketId` owned by a process that is gone, starts its agent, lets the agent
 * exit and returns once only its children are left.
 */
async function agentThatExits(f: Fixture, ticketId: string, name: string): Promise<Started> {
  const owner = `${localProcessProbe.hostname}:${await deadPid()}:crashed-host`;
  const run = await f.board.write((tx) => tx.createRun({ ticketId, stage: 'IN_DEV', agent: 'fake', status: 'running' }));
  const pidsFile = join(f.root, `${name}.pids.json`);
  const go = join(f.root, `${name}.go`);
  const agent = spawnAgentProcess(process.execPath, ['-e', AGENT, pidsFile, go], { cwd: f.root, env: { ...process.env, AGENT_FACTORY_RUN_ID: run.id } });
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  const agentPid = agent.pid!;
  await waitUntil(() => existsSync(pidsFile), 20_000, 'the agent to start its children');
  const { child, stranger } = JSON.parse(readFileSync(pidsFile, 'utf8')) as { child: number; stranger: number };
  const processStart = await processStartToken(agentPid);
  await f.board.write((tx) => tx.updateRun(run.id, { owner, pid: agentPid, processStart }));
  writeFileSync(go, '');
  await exited;
  return {
    runId: run.id,
    agentPid,
    child,
    stranger,
    kill: () => {
      for (const pid of [child, stranger]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
  };
}

void describe('PM: what an exited agent left running after its owner died', () => {
  void it('is stopped, each process checked to be the run\'s, and the run is marked lost saying so', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const started = await agentThatExits(f, id, 'running');
    try {
      assert.equal(isProcessAlive(started.agentPid), false);
      assert.equal(isProcessAlive(started.child), true, 'the child outlives the agent');
      f.clock.advanceMinutes(10);
      const result = await cycle(pm({ stopGraceMs: 1000 }), f);

      assert.equal(isProcessAlive(started.child), false, 'the child the agent left is stopped');
      assert.equal(isProcessAlive(started.stranger), true, 'a process without the run\'s id is never signalled');
      const run = f.board.getRun(started.runId);
      assert.equal(run?.status, 'lost');
      assert.match(run?.note ?? '', new RegExp(`the PM stopped 1 process \\(pid ${started.child}\\) its agent left running`));
      assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.leftovers, [{ runId: started.runId, ticketId: id, pids: [started.child] }]);
      assert.match(result.summary, new RegExp(`stopped 1 process \\(pid ${started.child}\\) left by ended agents of ${id}`));
    } finally {
      started.kill();
      await f.board.close();
    }
  });

  void it('is stopped also when the run had already ended (its agent approved, then its owner died, then it exited)', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const started = await agentThatExits(f, id, 'approved');
    try {
      await f.board.write((tx) => tx.updateRun(started.runId, { status: 'succeeded', endedAt: f.clock.now(), note: 'approved' }));
      assert.equal(isProcessAlive(started.child), true);
      await cycle(pm({ stopGraceMs: 1000 }), f);

      assert.equal(isProcessAlive(started.child), false, 'the child the agent left is stopped');
      assert.equal(isProcessAlive(started.stranger), true);
      const run = f.board.getRun(started.runId);
      assert.equal(run?.status, 'succeeded', 'the run\'s outcome stands');
      assert.equal(run?.note, 'approved');
      assert.deepEqual(parsePmReport(f.board.getMeta('pm.report'))?.leftovers?.map((l) => l.pids), [[started.child]]);
    } finally {
      started.kill();
      await f.board.close();
    }
  });

  void it('stops an agent that ran on after its run ended and its owner died, once the grace after its verdict is over', async () => {
    const f = await fixture();
    const id = await inDev(f);
    const owner = `${localProcessProbe.hostname}:${await deadPid()}:crashed-host`;
    const run = await f.board.write((tx) => tx.createRun({ ticketId: id, stage: 'IN_DEV', agent: 'fake', status: 'running' }));
    const agent = spawnAgentProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: f.root, env: { ...process.env, AGENT_FACTORY_RUN_ID: run.id } });
    const agentPid = agent.pid!;
    try {
      const processStart = await processStartToken(agentPid);
      await f.board.write((tx) => tx.updateRun(run.id, { owner, pid: agentPid, processStart, status: 'succeeded', endedAt: f.clock.now(), verdict: 'done', note: 'done' }));
      const keeper = pm({ stopGraceMs: 1000 });
      await cycle(keeper, f);
      assert.equal(isProcessAlive(agentPid), true, 'within the grace after its verdict it may still exit by itself');

      f.clock.advance(2000);
      const result = await cycle(keeper, f);
      await waitUntil(() => !isProcessAlive(agentPid), 20_000, 'the agent to be stopped');
      const ended = f.board.getRun(run.id);
      assert.equal(ended?.status, 'succeeded', "the run's outcome stands");
      assert.match(result.summary, new RegExp(`stopped 1 process \\(pid ${agentPid}\\) left by ended agents of ${id}`));
    } finally {
      agent.kill('SIGKILL');
      await f.board.close();
    }
  });
});
