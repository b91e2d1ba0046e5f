import assert from 'node:assert/strict';
import { mkdtempSync as makeTemp, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, didYouMean, ENV_NAMES, loadConfig, originOf, redactedConfig } from '../../src/config/load.js';
import { packagePath } from '../../src/core/paths.js';
import { redactUrl } from '../../src/core/redact.js';
import { chosenBackend } from '../../src/queue/registry.js';

const made: string[] = [];
/** A directory for config files, removed after the tests. */
function mkdtempSync(prefix: string): string {
  const d = makeTemp(prefix);
  made.push(d);
  return d;
}
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('defaults apply with an empty environment, nested ones included', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.queue.url, undefined);
  assert.equal(chosenBackend(c.queue).name, 'memory');
  assert.equal(c.logDir, './data/logs');
  assert.equal(c.chunk.maxLines, 5000);
  assert.equal(c.queue.prefix, 'logpipe');
  assert.equal(c.processor.parseYoungGenerationMb, 16, 'the parse thread\'s young generation: 16 MB, not V8\'s 48');
});

test("the seed's variables select servers; DATABASE_URL / REDIS_URL win over them", () => {
  const seed = loadConfig({ env: { PG_HOST: 'db', PG_PORT: '5433', PG_DB: 'logs', PG_USER: 'u', PG_PASSWORD: 'p@ss', REDIS_HOST: 'cache', REDIS_PORT: '6380', LOG_DIR: '/var/log/x' } });
  assert.equal(seed.databaseUrl, 'postgres://u:p%40ss@db:5433/logs');
  assert.equal(seed.queue.url, 'redis://cache:6380');
  assert.equal(originOf(seed, 'queue.url'), 'REDIS_HOST/REDIS_PORT');
  assert.equal(seed.logDir, '/var/log/x');
  const urls = loadConfig({ env: { PG_HOST: 'db', DATABASE_URL: 'postgres://a@b/c', REDIS_URL: 'redis://r:1', REDIS_HOST: 'x' } });
  assert.equal(urls.databaseUrl, 'postgres://a@b/c');
  assert.equal(urls.queue.url, 'redis://r:1');
  assert.equal(chosenBackend(urls.queue).name, 'redis');
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
  assert.throws(() => loadConfig({ env: { LOGPIPE_CHUNK_MAX_LINES: 'abc' } }), (e: Error) => e instanceof ConfigError && /chunk\.maxLines.*\(got "abc" from LOGPIPE_CHUNK_MAX_LINES\)/.test(e.message));
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

test('config files are typed strictly; the environment is converted to each setting\'s type', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-cfg-'));
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ reader: { follow: 'false' } }));
  assert.throws(() => loadConfig({ file: join(dir, 'a.json'), env: {} }), /reader\.follow: .*expected boolean.*\(got "false" from config file .*a\.json\)/);
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ processor: { batchChunks: true } }));
  assert.throws(() => loadConfig({ file: join(dir, 'b.json'), env: {} }), /processor\.batchChunks: .*expected number.*\(got true/);
  assert.equal(loadConfig({ env: { LOGPIPE_FOLLOW: 'false' } }).reader.follow, false);
  assert.equal(loadConfig({ env: { LOGPIPE_FOLLOW: '1' } }).reader.follow, true);
  assert.throws(() => loadConfig({ env: { LOGPIPE_FOLLOW: 'maybe' } }), /reader\.follow.*\(got "maybe" from LOGPIPE_FOLLOW\)/);
  assert.equal(loadConfig({ env: { LOGPIPE_BATCH_CHUNKS: '12' } }).processor.batchChunks, 12);
  assert.equal(loadConfig({ env: { LOGPIPE_PARSE_YOUNG_GENERATION_MB: '48' } }).processor.parseYoungGenerationMb, 48);
  assert.throws(() => loadConfig({ env: { LOGPIPE_PARSE_YOUNG_GENERATION_MB: '1' } }), /processor\.parseYoungGenerationMb: Too small.*>=3 \(got 1 from LOGPIPE_PARSE_YOUNG_GENERATION_MB\)/);
  assert.deepEqual(loadConfig({ env: { LOGPIPE_INCLUDE: 'a.log, b.log' } }).input.include, ['a.log', 'b.log']);
});

test('an unknown key gets a did-you-mean; YAML files work; URLs must have the right scheme', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-cfg-'));
  writeFileSync(join(dir, 'typo.json'), JSON.stringify({ procesor: { batchChunks: 2 }, chunk: { maxLine: 5 }, zzz: 1 }));
  assert.throws(() => loadConfig({ file: join(dir, 'typo.json'), env: {} }), (e: Error) =>
    /procesor: unknown setting — did you mean processor\?/.test(e.message) && /chunk\.maxLine: unknown setting — did you mean chunk\.maxLines\?/.test(e.message) &&
    /zzz: unknown setting \(known here: /.test(e.message));
  writeFileSync(join(dir, 'c.yaml'), 'processor:\n  batchChunks: 4\ninput:\n  timezone: Europe/Berlin\n');
  const y = loadConfig({ file: join(dir, 'c.yaml'), env: {} });
  assert.equal(y.processor.batchChunks, 4);
  assert.equal(y.input.timezone, 'Europe/Berlin');
  assert.equal(originOf(y, 'processor.batchChunks'), `config file ${join(dir, 'c.yaml')}`);
  assert.throws(() => loadConfig({ env: { DATABASE_URL: 'redis://127.0.0.1:6379' } }), /databaseUrl: PostgreSQL URLs start with postgres:\/\/ or postgresql:\/\/ \(got "redis:\/\/127\.0\.0\.1:6379" from DATABASE_URL\)/);
  assert.throws(() => loadConfig({ env: { REDIS_URL: 'http://x' } }), /queue\.url: no queue backend for http:\/\/ URLs \(expected redis:\/\/, rediss:\/\/, nats:\/\/, tls:\/\/\) \(got "http:\/\/x" from REDIS_URL\)/);
  assert.throws(() => loadConfig({ env: { LOGPIPE_TIMEZONE: 'Mars/Base' } }), /input\.timezone: not an IANA time zone/);
  assert.equal(originOf(loadConfig({ env: { PG_HOST: 'db' } }), 'databaseUrl'), 'PG_HOST/PG_PORT/PG_DB/PG_USER/PG_PASSWORD');
  assert.equal(originOf(loadConfig({ env: {}, flags: { 'processor.batchChunks': 3 } }), 'processor.batchChunks'), '--processor-batch-chunks');
  assert.equal(didYouMean('maxLenght', ['maxLength', 'prefix']), 'maxLength');
  assert.equal(didYouMean('zzz', ['maxLength', 'prefix']), null);
});

test('the printed configuration carries no password', () => {
  const c = redactedConfig(loadConfig({ env: { DATABASE_URL: 'postgres://u:s3cret@h/d', REDIS_URL: 'redis://:r3dis@h:6379' } }));
  assert.doesNotMatch(JSON.stringify(c), /s3cret|r3dis/);
});

test('the queue backend follows from the URL, or queue.kind; a choice that cannot work is refused', () => {
  const nats = loadConfig({ env: { NATS_URL: 'nats://127.0.0.1:4222' } });
  assert.equal(chosenBackend(nats.queue).name, 'nats');
  assert.equal(originOf(nats, 'queue.url'), 'NATS_URL');
  assert.equal((nats.queue.nats as { storage: string }).storage, 'file', "the backend's own settings have defaults");
  // Both offered: the kind says which; without it, an error naming both.
  assert.throws(() => loadConfig({ env: { REDIS_URL: 'redis://r', NATS_URL: 'nats://n' } }), /REDIS_URL and NATS_URL are all set: say which queue to use with LOGPIPE_QUEUE_KIND/);
  const chosen = loadConfig({ env: { REDIS_URL: 'redis://r', NATS_URL: 'nats://n', LOGPIPE_QUEUE_KIND: 'nats' } });
  assert.equal(chosen.queue.url, 'nats://n');
  assert.throws(() => loadConfig({ env: { LOGPIPE_QUEUE_KIND: 'nats' } }), /queue\.url: queue\.kind nats needs a URL: set NATS_URL/);
  assert.throws(() => loadConfig({ env: {}, flags: { 'queue.kind': 'redis', 'queue.url': 'nats://n' } }), /queue\.url: a NATS JetStream URL, but queue\.kind is redis/);
  assert.throws(() => loadConfig({ env: { LOGPIPE_QUEUE_KIND: 'kafka' } }), /queue\.kind/);
  // The environment's URL overrides a config file's; a flag overrides both.
  const dir = mkdtempSync(join(tmpdir(), 'logpipe-cfg-'));
  writeFileSync(join(dir, 'q.yaml'), 'queue:\n  url: nats://from-file\n  nats:\n    replicas: 3\n');
  assert.equal((loadConfig({ file: join(dir, 'q.yaml'), env: {} }).queue.nats as { replicas: number }).replicas, 3);
  assert.equal(loadConfig({ file: join(dir, 'q.yaml'), env: { NATS_URL: 'nats://from-env' } }).queue.url, 'nats://from-env');
  assert.equal(loadConfig({ file: join(dir, 'q.yaml'), env: { NATS_URL: 'nats://from-env' }, flags: { 'queue.url': 'nats://flag' } }).queue.url, 'nats://flag');
  writeFileSync(join(dir, 'r.yaml'), 'queue:\n  nats:\n    replica: 3\n');
  assert.throws(() => loadConfig({ file: join(dir, 'r.yaml'), env: {} }), /queue\.nats\.replica: unknown setting — did you mean queue\.nats\.replicas\?/);
  writeFileSync(join(dir, 'old.json'), JSON.stringify({ redisUrl: 'redis://x' }));
  assert.throws(() => loadConfig({ file: join(dir, 'old.json'), env: {} }), /redisUrl: renamed queue\.url/);
});

test('every environment variable logpipe reads is documented in the README', () => {
  const readme = readFileSync(packagePath('README.md'), 'utf8');
  assert.ok(ENV_NAMES.length > 30, 'the list is the real one');
  assert.deepEqual(ENV_NAMES.filter((name) => !new RegExp(`\\b${name}\\b`).test(readme)), []);
});
