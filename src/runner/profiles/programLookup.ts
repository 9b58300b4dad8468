/**
 * Finding an agent's program the way the spawn will (the PATH of the environment it gets, PATHEXT
 * on Windows) and asking it for its version, so that a missing program is named before a run is
 * recorded, and "Configure Agent…" can show what is installed.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import * as path from 'node:path';

const VERSION_TIMEOUT_MS = 10_000;

function pathOf(env: NodeJS.ProcessEnv): string {
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  return (key !== undefined ? env[key] : undefined) ?? '';
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    if (process.platform !== 'win32') await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path `program` resolves to with `env`'s PATH, or undefined when nothing matches. */
export async function findProgram(program: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const extensions = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '')] : [''];
  if (program.includes('/') || (process.platform === 'win32' && program.includes('\\'))) {
    for (const ext of extensions) if (await isExecutableFile(`${program}${ext}`)) return path.resolve(`${program}${ext}`);
    return undefined;
  }
  for (const dir of pathOf(env).split(path.delimiter)) {
    if (dir === '') continue;
    for (const ext of extensions) {
      const candidate = path.join(dir, `${program}${ext}`);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The first line `<program> --version` prints, or undefined when it fails or takes too long. */
export function programVersion(file: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { env, timeout: VERSION_TIMEOUT_MS, windowsHide: true, maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const line = stdout.split(/\r?\n/).find((l) => l.trim() !== '');
      resolve(line?.trim().slice(0, 120));
    });
  });
}
