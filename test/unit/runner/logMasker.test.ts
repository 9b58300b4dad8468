import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogMasker } from '../../../src/runner/logMasker';
import { fakeSecrets } from '../../fixtures/security/fakeSecrets';

const token = fakeSecrets(5).githubToken;

void describe('LogMasker', () => {
  void it('masks a secret split across chunks once its line is whole, keeping line ends', () => {
    const m = new LogMasker();
    assert.equal(m.push(`first\r\ntoken ${token.slice(0, 9)}`), 'first\r\n');
    assert.equal(m.push(`${token.slice(9)} end\nnext`), `token ${token.slice(0, 4)}…${token.slice(-2)} end\n`);
    assert.equal(m.flush(), 'next');
    assert.equal(m.flush(), '');
  });

  void it('holds a line without an end no longer than its bound: let through up to its last whitespace', () => {
    const m = new LogMasker(64);
    const head = `${'a'.repeat(40)} ${'b'.repeat(10)} `;
    const out = m.push(`${head}${token}`);
    assert.equal(out, head, 'the token after the last whitespace is held until its line is whole');
    assert.equal(m.push('\n'), `${token.slice(0, 4)}…${token.slice(-2)}\n`);
    assert.equal(m.push('x'.repeat(100)).length, 64, 'a line with no whitespace at all is cut at the bound');
  });

  void it('masks the lines of a private key block whole, the BEGIN line named, the END line as is', () => {
    const m = new LogMasker();
    const key = fakeSecrets(6).privateKey;
    const out = m.push(`before\n${key}after\n`).split('\n');
    assert.equal(out[0], 'before');
    assert.equal(out[1], '-----BEGIN RSA PRIVATE KEY----- …');
    for (const line of out.slice(2, -3)) assert.match(line, /^\S{4}…\S{2}$/);
    assert.equal(out.at(-3), '-----END RSA PRIVATE KEY-----');
    assert.equal(out.at(-2), 'after');
  });
});
