/** The process probe of this machine: the real process table and start times. */
import { hostname } from 'node:os';
import type { ProcessProbe } from '../domain/liveness';
import { isSameProcess } from './processIdentity';
import { isProcessAlive } from './processTree';

export const localProcessProbe: ProcessProbe = {
  hostname: hostname(),
  isAlive: (pid) => isProcessAlive(pid),
  isSameProcess: (pid, startToken) => isSameProcess(pid, startToken),
};
