/**
 * Nothing from a log line is ever interpreted: SQL, terminal escape sequences, format strings,
 * shell and spreadsheet syntax in every field (and in a file's name) are stored verbatim and
 * printed escaped by status, queries and query, in every format.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { killStragglers, pipelineFixture, runCli } from '../helpers/pipeline.js';

const PWNED = join(tmpdir(), `logpipe-pwned-${process.pid}`);
/** Everything at once: SQL, a screen clear and colour, a window title, a C1 CSI, format strings, shell, a formula. */
const EVIL = `'; DROP TABLE firewall_logs; --\x1b[2J\x1b[31m\x1b]0;owned\x07\u009b31m%s%n%x$(touch ${PWNED})\`id\``;
const FORMULA = '=HYPERLINK("http://evil.example","x")';
/** Without spaces or pipes, for fields that are one token. */
const TOKEN = `x';drop\x1b[2J%n$(id)\u009b1m`;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/; // what a terminal acts on (tab and newline aside)

let dir: string;
after(async () => {
  await killStragglers();
  rmSync(dir, { recursive: true, force: true });
  rmSync(PWNED, { force: true });
});

test('SQL, escape sequences, format strings, shell and formulas in every field are stored verbatim and printed escaped', { timeout: 120_000 }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'logpipe-safety-'));
  const lines = [
    `2024-01-15T01:10:00.000Z|action=accept|src=192.168.1.50|dst=10.0.0.1|proto=TCP|dst_port=443|rule=${EVIL}|note=${FORMULA}`,
    `2024-01-15T01:11:00.000Z client 192.168.1.50 query: ${TOKEN}.evil IN A + (10.0.0.53) NOERROR`,
    `2024-01-15T01:12:00.000Z bastion sshd[42]: Failed password for invalid user ${EVIL} from 192.168.1.77 port 2222 ssh2`,
    `1705281180.000 5 192.168.1.50 TCP_MISS/200 10 GET http://evil.example/${TOKEN} ${FORMULA} HIER_DIRECT/10.0.0.2 text/html`,
    `garbage ${EVIL}`,
  ];
  // A file whose very name is hostile.
  const name = join(dir, 'evil\x1b[2J\x07.log');
  writeFileSync(name, lines.join('\n') + '\n');
  const f = await pipelineFixture(dir);
  try {
    const env = { ...f.env, LOGPIPE_QUEUE_URL: '' };
    const run = await runCli(['run'], env);
    assert.equal(run.code, 0, run.output);

    // Stored exactly as read; nothing executed.
    const one = async (sql: string) => (await f.pool.query(sql)).rows[0];
    assert.deepEqual(await one(`SELECT rule, extra FROM firewall_logs WHERE line_no = 1`), { rule: EVIL, extra: { note: FORMULA } });
    assert.equal((await one(`SELECT query_domain FROM dns_logs WHERE line_no = 2`)).query_domain, `${TOKEN}.evil`.toLowerCase());
    assert.equal((await one(`SELECT username FROM auth_logs WHERE line_no = 3`)).username, EVIL);
    assert.deepEqual(await one(`SELECT url, user_name FROM proxy_logs WHERE line_no = 4`), { url: `http://evil.example/${TOKEN}`, user_name: FORMULA });
    assert.ok((await one(`SELECT raw FROM logpipe.quarantine WHERE line_no = 5`)).raw.equals(Buffer.from(`garbage ${EVIL}`)), 'raw bytes kept as evidence');
    assert.equal((await one(`SELECT path FROM logpipe.files`)).path, name);
    assert.equal((await one(`SELECT to_regclass('public.firewall_logs')::text AS t`)).t, 'firewall_logs');
    assert.equal(existsSync(PWNED), false, 'no shell ran');

    // Printed: never a control character a terminal acts on, always its escaped form.
    const outputs: Record<string, string> = {
      run: run.output,
      status: (await runCli(['status'], env)).output,
      queries: (await runCli(['queries', '--rows', '5'], env)).output,
      table: (await runCli(['query', 'firewall-source', '--ip', '192.168.1.50', '--from', '2024-01-15T01:00:00Z'], env)).output,
      logins: (await runCli(['query', 'failed-logins', '--ip', '192.168.1.77'], env)).output,
      dns: (await runCli(['query', 'dns-domain', '--domain', `${TOKEN}.evil`, '--format', 'csv'], env)).output,
      proxy: (await runCli(['query', 'proxy-client', '--ip', '192.168.1.50', '--from', '2024-01-15T01:00:00Z', '--format', 'csv'], env)).output,
      jsonl: (await runCli(['query', 'failed-logins', '--ip', '192.168.1.77', '--format', 'jsonl'], env)).output,
    };
    for (const [what, out] of Object.entries(outputs)) assert.doesNotMatch(out, CONTROL, `${what} prints no raw control character`);
    assert.match(outputs.status, /evil\\x1b\[2J\\x07\.log/, 'the file name, escaped');
    assert.ok(outputs.table.includes(`'; DROP TABLE firewall_logs; --\\x1b[2J\\x1b[31m\\x1b]0;owned\\x07\\x9b31m%s%n%x$(touch`), outputs.table);
    assert.ok(outputs.logins.includes('\\x1b[2J'), outputs.logins);
    assert.match(outputs.dns, /^1 row in/m, 'the hostile domain is found as itself');
    assert.match(outputs.proxy, /,"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",/, 'a formula is text in CSV');
    const row = JSON.parse(outputs.jsonl.split('\n').find((l) => l.startsWith('{'))!);
    assert.equal(row.username, EVIL, 'JSON lines carry the value exactly (escaped by JSON)');
  } finally {
    await f.cleanup();
  }
});
