import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksBinary } from '../../../src/scan/common/binary';
import { LineIndex } from '../../../src/scan/common/lines';
import { maskSecret, redactSecrets } from '../../../src/scan/security/mask';
import { looksLikePlaceholder } from '../../../src/scan/security/placeholder';
import { languageOf } from '../../../src/scan/security/rules';
import { scanContent, WINDOW_CHARS } from '../../../src/scan/security/scanContent';
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

describe('security scan of awkward files', () => {
  const token = s.githubToken;

  it('reports a real-looking password in a URL whatever its host is called, masked', async () => {
    const password = 'Zq8vN3pL6tR2x';
    const findings = await scanText('deploy/publish.ts', `const registry = "https://deploy:${password}@registry.example.com/npm/";\n`);
    assert.deepEqual(findings.map((f) => f.rule), ['secret/basicauth']);
    assert.ok(!JSON.stringify(findings).includes(password.slice(0, 10)));
  });

  it('masks every value a secret rule matched on a risky line, placeholders included', async () => {
    const line = 'exec("curl -u admin:changeme https://ci:Hunter2Pass9@ci.example.com/job/" + job);';
    const findings = await scanText('ci/trigger.js', `${line}\nexec("wget https://bot:changeme@mirror.example.com/" + file);\n`);
    const code = findings.filter((f) => f.kind === 'code');
    assert.equal(code.length, 2);
    const shown = JSON.stringify(findings);
    for (const secret of ['Hunter2Pass9', 'bot:changeme@']) assert.ok(!shown.includes(secret), `${secret} shown`);
    assert.deepEqual(findings.filter((f) => f.kind === 'secret').map((f) => f.line), [1], 'the stock password is no finding');
  });

  it('makes one finding of a token inside a URL, not one per rule that matched it', async () => {
    const findings = await scanText('scripts/push.sh', `git push https://x-access-token:${token}@github.com/acme/app.git main\n`);
    assert.deepEqual(findings.map((f) => f.rule), ['secret/github']);
  });

  it('keeps two multi-line calls in one file apart, and never takes a definition for a call', async () => {
    const text = ['exec(', '  `rm -rf ${a}`,', ');', 'exec(', '  `rm -rf ${b}`,', ');', ''].join('\n');
    const findings = await scanText('scripts/clean.js', text);
    assert.deepEqual(findings.map((f) => `${f.rule}:${f.line}`), ['shell-command-interpolation:1', 'shell-command-interpolation:4']);
    assert.notEqual(findings[0].identity, findings[1].identity);
    assert.deepEqual(await scanText('lang/vm.py', 'class VM:\n    def exec(self, code):\n        pass\n    def eval(self, expr):\n        pass\n'), []);
  });

  it('reads UTF-16 files by their byte-order mark', async () => {
    const text = `[auth]\r\ntoken = ${token}\r\n`;
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const bytes of [le, be]) {
      const result = await scanContent('config/settings.ini', bytes);
      assert.deepEqual(result.findings.map((f) => `${f.rule}:${f.line}`), ['secret/github:2']);
    }
  });

  it('scans a large file window by window, finding a secret that straddles a window boundary once, on its line', async () => {
    const filler = 'const value = 1;\n';
    const before = filler.repeat(Math.floor((WINDOW_CHARS - 20) / filler.length));
    const lineOfToken = before.split('\n').length;
    const text = `${before}export const t = "${token}";\n${filler.repeat(40_000)}`;
    assert.ok(text.length > 3 * WINDOW_CHARS);
    const result = await scanContent('src/big.ts', Buffer.from(text));
    assert.deepEqual(result.findings.map((f) => `${f.rule}:${f.line}`), [`secret/github:${lineOfToken}`]);
    // One line longer than a window: the window ends inside the token, and the next one repeats it whole.
    const oneLine = `${'x=1;'.repeat((WINDOW_CHARS - 10) / 4)}k="${token}";${'y=2;'.repeat(WINDOW_CHARS / 4)}\n`;
    const long = await scanContent('data/dump.txt', Buffer.from(`first line\n${oneLine}`));
    assert.deepEqual(long.findings.map((f) => `${f.rule}:${f.line}:${f.column}`), [`secret/github:2:${oneLine.indexOf(token)}`]);
  });

  it('looks for secrets but not risky code in minified bundles, told by content', async () => {
    const bundle = `!function(){${'var a=1,b=function(e){return e};'.repeat(200)}document.body.innerHTML=e.html;var k="${token}";${'b(a);'.repeat(300)}}();\n`;
    const result = await scanContent('public/app.js', Buffer.from(bundle));
    assert.deepEqual(result.content, { kind: 'text', encoding: 'utf-8', generated: 'minified' });
    assert.deepEqual(result.findings.map((f) => f.rule), ['secret/github']);
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
