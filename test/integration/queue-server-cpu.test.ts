/**
 * The benchmark's probe of the queue server's CPU, against the real servers: Redis reports its own
 * (INFO cpu), a NATS server on this machine is read from /proc, the in-process queue has none.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { queueServerCpuProbe, queueServerCpuSince } from '../../src/bench/measure.js';
import { openQueue } from '../../src/queue/registry.js';
import { QueueCommonSettings, type ChunkQueue } from '../../src/queue/types.js';
import { NATS_URL, REDIS_URL, uniqueName } from '../helpers/services.js';

const opened: ChunkQueue[] = [];
after(async () => {
  for (const q of opened) await q.destroy().catch(() => {});
  for (const q of opened) await q.close();
});

function open(kind: string, url: string | undefined): ChunkQueue {
  const q = openQueue({ ...QueueCommonSettings.parse({ prefix: uniqueName('logpipe_test_cpu'), maxLength: 10_000 }), kind, url }, uniqueName('c'), 5_000);
  opened.push(q);
  return q;
}

/** Work for the server: a few hundred messages of 64 KB, published and read back. */
async function load(q: ChunkQueue): Promise<void> {
  const body = Buffer.alloc(64 * 1024, 7);
  for (let i = 0; i < 300; i++) await q.publish({ header: JSON.stringify({ i }), body });
  let got = 0;
  while (got < 300) {
    const d = await q.receive(100);
    got += d.length;
    await q.ack(d.map((m) => m.id));
  }
}

for (const [kind, url, name] of [['redis', REDIS_URL, 'redis-server'], ['nats', NATS_URL, 'nats-server']] as const) {
  test(`${kind}: the server's CPU over a run, named ${name}`, async () => {
    const q = open(kind, url);
    await q.ping();
    const probe = queueServerCpuProbe(q, url);
    assert.ok(probe, `a probe for ${kind} at ${url}`);
    assert.equal(probe.name, name);
    const used = await queueServerCpuSince(probe);
    await load(q);
    const got = await used();
    assert.equal(got?.name, name);
    // The clock's ticks are 10 ms: 19 MB through the server takes at least one.
    assert.ok(got.cpuSeconds > 0 && got.cpuSeconds < 60, String(got.cpuSeconds));
  });
}

test('the in-process queue has no server; a NATS server elsewhere is not measured', async () => {
  assert.equal(queueServerCpuProbe(open('memory', undefined), undefined), null);
  const remote = open('nats', NATS_URL);
  await remote.ping();
  assert.equal(queueServerCpuProbe(remote, 'nats://queue.example:4222'), null);
  const none = await queueServerCpuSince(null);
  assert.equal(await none(), null);
});
