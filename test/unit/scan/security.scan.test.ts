import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksBinary } from '../../../src/scan/common/binary';
import { LineIndex } from '../../../src/scan/common/lines';
import { maskSecret, redactSecrets } from '../../../src/scan/security/mask';
import { looksLikePlaceholder } from '../../../src/scan/security/placeholder';
import { languageOf } from '../../../src/scan/security/rules';
import { scanText } from '../../../src/scan/security/scanText';
import { SECRETLINT_VERSION } from '../../../src/scan/security/secrets';
import { fakeSecrets, secretValues } from '../../fixtures/security/fakeSecrets';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const s = fakeSecrets(7);

describe('security scan of one file', () => {
  it('finds each secret once, critical, on its line, and shows it only masked', async () => {
    const text = [
      '[default]',
      `aws_access_key_id = ${s.awsAccessKeyId}`,
      `aws_secret_access_key = ${s.awsSecretAccessKey}`,
      '',
      `GITHUB_TOKEN=${s.githubToken}`,
      `SLACK_WEBHOOK=${s.slackWebhook}`,
      s.privateKey,
    ].join('\n');
    const findings = await scanText('config/credentials.ini', text);
    const got = findings.map((f) => [f.rule, f.line, f.severity]);
    assert.deepEqual(got, [
      ['secret/aws', 2, 'critical'],
      ['secret/aws', 3, 'critical'],
      ['secret/github', 5, 'critical'],
      ['secret/slack', 6, 'critical'],
      ['secret/privatekey', 7, 'critical'],
    ]);
    const shown = JSON.stringify(findings);
    for (const raw of secretValues(s)) assert.ok(!shown.includes(raw), `a finding carries the raw secret ${raw.slice(0, 4)}…`);
    assert.equal(findings[0].shown, `${s.awsAccessKeyId.slice(0, 4)}…${s.awsAccessKeyId.slice(-2)}`);
    assert.match(findings[4].shown, /^-----BEGIN RSA PRIVATE KEY----- …$/);
  });

  it('reports nothing for an .env.example full of placeholders', async () => {
    const text = [
      'AWS_ACCESS_KEY_ID=your-access-key-id',
      'AWS_SECRET_ACCESS_KEY=your-secret-access-key',
      `GITHUB_TOKEN=${['gh', 'p_'].join('')}${'x'.repeat(36)}`,
      'SLACK_WEBHOOK=https://hooks.slack.com/services/XXX/YYY/ZZZ',
      'DATABASE_URL=postgres://user:password@localhost:5432/app',
      'ADMIN_URL=https://admin:changeme@example.com',
      'API_TOKEN=<your token here>',
      'SECRET_KEY=${SECRET_KEY}',
    ].join('\n');
    assert.deepEqual(await scanText('.env.example', text), []);
  });

  it('finds risky code with the severity of its rule and ignores the safe forms', async () => {
    const risky = [
      'const result = eval(userInput);',
      'exec(`rm ${x}`);',
      'const agent = new https.Agent({ rejectUnauthorized: false });',
      "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';",
      'fs.chmodSync(file, 0o777);',
      'const q = "SELECT * FROM users WHERE name = \'" + name + "\'";',
      'db.query(`SELECT * FROM users WHERE id = ${id}`);',
      'el.innerHTML = "<b>" + name + "</b>";',
      'const f = new Function(body);',
      'child_process.execSync("git log " + branch);',
    ];
    const safe = [
      '// never call eval(userInput) here',
      'const two = eval("1 + 1");',
      'model.eval();',
      "execFile('rm', [x]);",
      'const agent = new https.Agent({ rejectUnauthorized: true });',
      'db.query(sql`SELECT * FROM users WHERE id = ${id}`);',
      'const label = "Select a file from " + folder;',
      "el.innerHTML = '';",
      'const re = /a/; re.exec(text);',
      "fs.chmodSync(file, 0o755);",
    ];
    const findings = await scanText('src/app.ts', [...risky, ...safe].join('\n'));
    const byLine = new Map(findings.map((f) => [f.line, f]));
    assert.deepEqual(
      risky.map((_, i) => byLine.get(i + 1)?.rule),
      [
        'dynamic-eval',
        'shell-command-interpolation',
        'tls-verification-disabled',
        'tls-verification-disabled-env',
        'world-writable-mode',
        'sql-concatenation',
        'sql-template',
        'inner-html',
        'dynamic-function',
        'shell-command-interpolation',
      ],
    );
    assert.deepEqual(
      findings.filter((f) => f.line > risky.length).map((f) => `${f.line}: ${f.rule}`),
      [],
      'a safe form was reported',
    );
    assert.equal(byLine.get(1)!.severity, 'high');
    assert.equal(byLine.get(5)!.severity, 'medium');
    assert.equal(byLine.get(2)!.shown, 'exec(`rm ${x}`);');
  });

  it('applies language rules by extension only', async () => {
    assert.deepEqual(await scanText('notes.md', 'Do not write eval(userInput) in code.'), []);
    assert.equal((await scanText('tool.py', 'requests.get(url, verify=False)'))[0]?.rule, 'tls-verification-disabled-python');
    assert.equal((await scanText('setup.sh', 'chmod -R 777 /srv/app'))[0]?.rule, 'world-writable-chmod');
    assert.equal((await scanText('Dockerfile', 'RUN chmod 777 /data'))[0]?.rule, 'world-writable-chmod');
    assert.equal(languageOf('a/b/Component.TSX'), 'tsx');
  });

  it('redacts a secret that sits on a line a code rule reports', async () => {
    const findings = await scanText('src/run.js', `exec("curl -H 'Authorization: ${s.githubToken}' " + url);`);
    const code = findings.find((f) => f.kind === 'code');
    assert.ok(code);
    assert.ok(!code.shown.includes(s.githubToken));
    assert.ok(!code.identity.includes(s.githubToken));
    assert.ok(findings.some((f) => f.rule === 'secret/github'));
  });

  it('keeps the same identity when the finding moves, so its fingerprint survives', async () => {
    const a = await scanText('src/a.ts', `const t = "${s.githubToken}";`);
    const b = await scanText('src/a.ts', `\n\n\nfunction f() {}\nconst t = "${s.githubToken}";`);
    assert.equal(a[0].identity, b[0].identity);
    assert.notEqual(a[0].line, b[0].line);
  });
});

describe('security helpers', () => {
  it('masks long values to four leading and two trailing characters and short ones entirely', () => {
    assert.equal(maskSecret('abcdefghijklmnopqrstuvwxyz'), 'abcd…yz');
    assert.equal(maskSecret('short-secret'), '****');
    assert.equal(redactSecrets('token=abcdefghijklmnopqrstuvwxyz;', ['abcdefghijklmnopqrstuvwxyz']), 'token=abcd…yz;');
  });

  it('tells placeholders from generated values', () => {
    for (const p of ['your-api-key', 'xxxxxxxxxxxxxxxx', 'https://user:password@localhost', '${TOKEN}', '<token>', 'EXAMPLEKEY123456']) {
      assert.equal(looksLikePlaceholder(p), true, p);
    }
    assert.equal(looksLikePlaceholder(s.githubToken), false);
    assert.equal(looksLikePlaceholder(s.awsSecretAccessKey), false);
  });

  it('detects binary content the way git does and maps offsets to lines', () => {
    assert.equal(looksBinary(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01])), true);
    assert.equal(looksBinary(Buffer.from('plain text\n')), false);
    const idx = new LineIndex('a\nbb\r\nccc');
    assert.deepEqual([idx.lineAt(0), idx.lineAt(2), idx.lineAt(6), idx.lineText(2), idx.lineText(3)], [1, 2, 3, 'bb', 'ccc']);
  });

  it('names the installed secretlint version in the rules version', () => {
    const entry = require.resolve('@secretlint/core');
    const installed = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(SECRETLINT_VERSION, installed.version);
  });
});
