// `npm run bench`: runs every section in bench/*.mjs in turn (alphabetically) and prints its
// tables. A section exports `title` and `run(ctx)`, which returns { tables: [{ title, columns,
// rows }], notes?: string[] }. ctx.tmp is a scratch folder removed afterwards; ctx.log prints
// progress. `npm run bench -- store` runs only the sections whose file name contains "store".
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'bench');
const only = process.argv.slice(2);
const sections = readdirSync(benchDir)
  .filter((f) => f.endsWith('.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

export function formatTable(table) {
  const cells = [table.columns, ...table.rows.map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = table.columns.map((_, i) => table.rows.every((r) => typeof r[i] === 'number' || /^[-\d.,x×%<> ]+$/.test(String(r[i] ?? ''))));
  const line = (r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [table.title ? `${table.title}\n` : '', line(cells[0]), '\n', widths.map((w) => '-'.repeat(w)).join('  '), '\n', cells.slice(1).map(line).join('\n'), '\n'].join('');
}

let failed = false;
const started = Date.now();
for (const file of sections) {
  const section = await import(pathToFileURL(join(benchDir, file)).href);
  const tmp = mkdtempSync(join(tmpdir(), 'af-bench-'));
  console.log(`\n== ${section.title ?? file} ==`);
  try {
    const result = await section.run({ root, tmp, log: (msg) => console.log(`   ${msg}`) });
    for (const table of result.tables ?? []) console.log(`\n${formatTable(table)}`);
    for (const note of result.notes ?? []) console.log(note);
  } catch (err) {
    failed = true;
    console.error(`section ${file} failed:`, err);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
console.log(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failed) process.exitCode = 1;
