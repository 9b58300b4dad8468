/** Which of some files git would scan: tracked, or untracked but not ignored. */
import { gitOutput } from '../../git/gitOutput';

const CHUNK = 200;

/**
 * Keeps `.gitignore` authoritative for the editor's diagnostics too (a generated file's errors are
 * nobody's backlog). Pathspecs are literal, so a file named `*.ts` means only itself.
 */
export async function filesGitSees(repoRoot: string, files: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < files.length; i += CHUNK) {
    const chunk = files.slice(i, i + CHUNK);
    const { stdout } = await gitOutput(repoRoot, ['--literal-pathspecs', 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '--full-name', '--', ...chunk], { signal });
    for (const name of stdout.toString('utf8').split('\0')) if (name !== '') seen.add(name);
  }
  return seen;
}
