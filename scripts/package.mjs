// `npm run package`: a production build (minified, no source maps), then `vsce package` to
// agent-factory-<version>.vsix in the repository, then a check that the package holds exactly
// the files listed in scripts/lib/vsix.mjs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './lib/paths.mjs';
import { binOf, mustRunNode } from './lib/run.mjs';
import { vsixEntries, vsixProblems } from './lib/vsix.mjs';

export async function packageExtension({ quiet = false } = {}) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const doc of ['README.md', 'CHANGELOG.md', 'LICENSE']) {
    if (!existsSync(join(root, doc))) throw new Error(`${doc} is missing: the package ships it`);
  }
  await mustRunNode('the production build', [join(root, 'scripts', 'build.mjs'), '--production'], { quiet });
  const file = join(root, `${manifest.name}-${manifest.version}.vsix`);
  // Everything the extension needs is bundled, so vsce must not collect node_modules.
  await mustRunNode('vsce package', [binOf('@vscode/vsce', 'vsce'), 'package', '--no-dependencies', '--out', file], { quiet });
  const names = await vsixEntries(file);
  return { file, names, problems: vsixProblems(names) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { file, names, problems } = await packageExtension();
    console.log(`${file}:\n${names.map((name) => `  ${name}`).join('\n')}`);
    if (problems.length > 0) {
      console.error(`the package is wrong:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
      process.exitCode = 1;
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
