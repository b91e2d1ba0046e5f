import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, redactUrl } from '../../src/config/load.js';

test('defaults apply with an empty environment, nested ones included', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.redisUrl, undefined);
  assert.equal(c.logDir, './data/logs');
  assert.equal(c.chunk.maxLines, 5000);
  assert.equal(c.queue.prefix, 'logpipe');
});

test("the seed's variables select servers; DATABASE_URL / REDIS_URL win over them", () => {
  const seed = loadConfig({ env: { PG_HOST: 'db', PG_PORT: '5433', PG_DB: 'logs', PG_USER: 'u', PG_PASSWORD: 'p@ss', REDIS_HOST: 'cache', REDIS_PORT: '6380', LOG_DIR: '/var/log/x' } });
  assert.equal(seed.databaseUrl, 'postgres://u:p%40ss@db:5433/logs');
  assert.equal(seed.redisUrl, 'redis://cache:6380');
  assert.equal(seed.logDir, '/var/log/x');
  const urls = loadConfig({ env: { PG_HOST: 'db', DATABASE_URL: 'postgres://a@b/c', REDIS_URL: 'redis://r:1', REDIS_HOST: 'x' } });
  assert.equal(urls.databaseUrl, 'postgres://a@b/c');
  assert.equal(urls.redisUrl, 'redis://r:1');
});

test('precedence: flags > environment > file > defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ logDir: '/from/file', chunk: { maxLines: 10, maxBytes: 4096 } }));
  const c = loadConfig({ file, env: { LOGPIPE_CHUNK_MAX_LINES: '20' }, flags: { logDir: '/from/flag' } });
  assert.equal(c.logDir, '/from/flag');
  assert.equal(c.chunk.maxLines, 20);
  assert.equal(c.chunk.maxBytes, 4096);
});

test('bad values and unknown keys are refused with the setting named and the value shown', () => {
  assert.throws(() => loadConfig({ env: { LOGPIPE_CHUNK_MAX_LINES: 'abc' } }), (e: Error) => e instanceof ConfigError && /chunk\.maxLines.*\(got "abc"\)/.test(e.message));
  assert.throws(() => loadConfig({ env: {}, flags: { 'queue.maxLength': 0 } }), /queue\.maxLength: Too small.*>=1/);
  assert.throws(() => loadConfig({ env: { DATABASE_URL: 'not a url' } }), /databaseUrl/);
  assert.throws(() => loadConfig({ env: { LOGPIPE_LOG_LEVEL: 'loud' } }), /logLevel/);
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-cfg-'));
  writeFileSync(join(dir, 'typo.json'), JSON.stringify({ chunk: { maxLine: 5 } }));
  assert.throws(() => loadConfig({ file: join(dir, 'typo.json'), env: {} }), /chunk.*maxLine/);
  writeFileSync(join(dir, 'broken.json'), '{');
  assert.throws(() => loadConfig({ file: join(dir, 'broken.json'), env: {} }), /cannot read config file/);
});

test('passwords never appear in a printable URL', () => {
  assert.equal(redactUrl('postgres://u:secret@h:5432/d'), 'postgres://u:***@h:5432/d');
  assert.equal(redactUrl(undefined), '(none)');
});
