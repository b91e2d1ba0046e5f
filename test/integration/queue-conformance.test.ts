/**
 * One conformance suite for every queue backend in the registry (the in-process queue, Redis
 * Streams, NATS JetStream), against the real servers: what the reader and the processors rely on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { wait } from '../../src/core/wait.js';
import type { EncodedChunk } from '../../src/queue/chunk.js';
import { openQueue, QUEUE_BACKENDS } from '../../src/queue/registry.js';
import { QueueCommonSettings, type ChunkQueue, type Delivery } from '../../src/queue/types.js';
import { NATS_URL, REDIS_URL, uniqueName } from '../helpers/services.js';

const URLS: Record<string, string | undefined> = { memory: undefined, redis: REDIS_URL, nats: NATS_URL };

/** Receives until `n` messages came or `ms` passed (a backend may hand them out over several calls). */
async function receiveAll(q: ChunkQueue, n: number, ms = 10_000): Promise<Delivery[]> {
  const got: Delivery[] = [];
  const end = Date.now() + ms;
  while (got.length < n && Date.now() < end) got.push(...(await q.receive(n - got.length)));
  return got;
}

const message = (i: number): EncodedChunk => ({ header: JSON.stringify({ i }), body: Buffer.from(`body ${i} \u00e9\u0000\xff`, 'latin1') });

for (const backend of QUEUE_BACKENDS) {
  describe(`queue backend ${backend.name}`, () => {
    const opened: ChunkQueue[] = [];
    /** A handle on this test's own queue; `settings` as in queue.* of the configuration. */
    const open = (prefix: string, settings: Record<string, unknown> = {}, consumer = uniqueName('c')) => {
      const q = openQueue({ ...QueueCommonSettings.parse({ prefix, blockMs: 200, claimIdleMs: 1_000, ...settings }), kind: backend.name, url: URLS[backend.name] }, consumer, 5_000);
      opened.push(q);
      return q;
    };
    after(async () => {
      for (const q of opened) await q.destroy().catch(() => {});
      for (const q of opened) await q.close();
    });

    test('every backend has a conformance target', () => {
      assert.ok(backend.name in URLS, `${backend.name}: add its test server to URLS`);
    });

    test('publish, receive in order with the same bytes, acknowledge: then it is gone', async () => {
      const q = open(uniqueName('t'));
      await q.ping();
      for (let i = 0; i < 5; i++) await q.publish(message(i));
      const before = await q.stats();
      assert.equal(before.depth, 5);
      assert.equal(before.lag, 5);
      const got = await receiveAll(q, 5);
      assert.deepEqual(got.map((d) => d.message.header), [0, 1, 2, 3, 4].map((i) => message(i).header));
      got.forEach((d, i) => assert.ok(Buffer.from(d.message.body).equals(message(i).body), `body ${i}`));
      assert.deepEqual(got.map((d) => d.attempt), [1, 1, 1, 1, 1]);
      const s = await q.stats();
      assert.equal(s.depth, 5);
      assert.equal(s.pending, 5);
      assert.equal(s.lag, 0);
      await q.ack(got.map((d) => d.id));
      assert.equal((await q.stats()).depth, 0);
      assert.deepEqual(await q.receive(5), [], 'nothing comes back after its acknowledgement');
    });

    test('receive(max) hands out at most max', async () => {
      const q = open(uniqueName('t'));
      for (let i = 0; i < 4; i++) await q.publish(message(i));
      const first = await q.receive(2);
      assert.ok(first.length >= 1 && first.length <= 2, `${first.length}`);
      const rest = await receiveAll(q, 4 - first.length);
      assert.equal(first.length + rest.length, 4);
      await q.ack([...first, ...rest].map((d) => d.id));
    });

    test('a consumer that dies: its unacknowledged messages go to another after claimIdleMs, counted as a second delivery', async () => {
      const prefix = uniqueName('t');
      const a = open(prefix, {}, 'a');
      const b = open(prefix, {}, 'b');
      await a.publish(message(1));
      await a.publish(message(2));
      const held = await receiveAll(a, 2);
      assert.equal(held.length, 2);
      await a.close(); // dies without acknowledging
      const started = Date.now();
      const again = await receiveAll(b, 2, 15_000);
      assert.deepEqual(again.map((d) => d.message.header).sort(), [message(1).header, message(2).header].sort());
      assert.deepEqual(again.map((d) => d.attempt), [2, 2]);
      assert.ok(Date.now() - started >= 500, 'not before the claim time');
      await b.ack(again.map((d) => d.id));
      assert.equal((await b.stats()).depth, 0);
    });

    test('a message never acknowledged comes back again and again, its attempt counted each time', async () => {
      const q = open(uniqueName('t'), { claimIdleMs: 300 });
      await q.publish(message(7));
      const attempts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [d] = await receiveAll(q, 1, 10_000);
        assert.ok(d, `delivery ${i + 1}`);
        attempts.push(d.attempt);
      }
      assert.deepEqual(attempts, [1, 2, 3]);
    });

    test('backpressure: publish waits at maxLength until an acknowledgement makes room; an abort ends the wait', async () => {
      const q = open(uniqueName('t'), { maxLength: 3 });
      for (let i = 0; i < 3; i++) await q.publish(message(i));
      let done = false;
      const fourth = q.publish(message(3)).then(() => (done = true));
      await wait(500);
      assert.equal(done, false, 'the fourth waits');
      assert.equal((await q.stats()).depth, 3);
      const [d] = await q.receive(1);
      await q.ack([d.id]);
      await fourth;
      assert.equal((await q.stats()).depth, 3);
      const abort = new AbortController();
      const fifth = q.publish(message(4), abort.signal);
      setTimeout(() => abort.abort(), 200);
      await assert.rejects(fifth, /aborted/);
      assert.equal((await q.stats()).depth, 3, 'the aborted one was not added');
    });

    test('interrupt: a waiting receive returns [] at once, and so does every later one', async () => {
      const q = open(uniqueName('t'), { blockMs: 30_000 });
      await q.ping();
      const started = Date.now();
      const waiting = q.receive(10);
      // Counted as a consumer while it waits.
      for (let i = 0; i < 100 && ((await q.stats()).consumers ?? 1) < 1; i++) await wait(50);
      assert.equal(((await q.stats()).consumers ?? 1) >= 1, true, 'a waiting receive is a consumer');
      q.interrupt();
      assert.deepEqual(await waiting, []);
      assert.ok(Date.now() - started < 10_000, `returned ${Date.now() - started} ms after the start of a 30 s wait`);
      const t = Date.now();
      assert.deepEqual(await q.receive(10), []);
      assert.ok(Date.now() - t < 1_000);
      q.interrupt();
    });

    test('close twice is harmless', async () => {
      const q = open(uniqueName('t'));
      await q.ping();
      await q.close();
      await q.close();
    });

    test('after close, no call connects again: a process whose queue is closed exits on its own', async () => {
      // In a process of its own: what is left open shows as a process that never ends.
      const registry = new URL('../../src/queue/registry.js', import.meta.url).href;
      const types = new URL('../../src/queue/types.js', import.meta.url).href;
      const script = `
        const { openQueue } = await import(${JSON.stringify(registry)});
        const { QueueCommonSettings } = await import(${JSON.stringify(types)});
        const open = () => openQueue({ ...QueueCommonSettings.parse({ prefix: ${JSON.stringify(uniqueName('t'))} }), kind: ${JSON.stringify(backend.name)}, url: ${JSON.stringify(URLS[backend.name])} }, 'c', 5000);
        const used = open();
        await used.ping();
        const unused = open(); // closed before it ever connected
        for (const q of [used, unused]) {
          await q.close();
          // What a receive loop or a cleanup still in flight may call after close.
          await Promise.allSettled([q.ping(), q.stats(), q.receive(1), q.destroy(), q.publish({ header: '{}', body: Buffer.from('x') })]);
        }
        console.log('done');`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code, signal] = await once(child, 'exit');
      clearTimeout(timer);
      assert.equal(out.trim(), 'done');
      assert.deepEqual([code, signal], [0, null], 'it exits by itself, nothing left open (killed after 15 s otherwise)');
    });

    test('loss: the contents epoch stays while the queue keeps its contents and changes when they are lost', async () => {
      const prefix = uniqueName('t');
      const q = open(prefix);
      const e1 = await q.contentsEpoch();
      await q.publish(message(1));
      assert.equal(await q.contentsEpoch(), e1, 'the same queue');
      const other = open(prefix);
      await other.destroy(); // a flush, a lost stream, a restart without persistence
      const e2 = await q.contentsEpoch();
      assert.notEqual(e2, e1, 'the loss is seen');
      assert.equal(await q.contentsEpoch(), e2, 'and stays seen');
      await q.publish(message(2));
      const [d] = await receiveAll(q, 1);
      assert.equal(d.message.header, message(2).header, 'the queue works again');
      await q.ack([d.id]);
    });
  });
}
