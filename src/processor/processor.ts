/**
 * A processor: a member of the consumer group that turns chunks into committed rows. Its intake
 * receives and parses ahead; `concurrency` commit loops each take what is parsed (up to
 * batchChunks chunks) and commit it in one transaction. A message is acknowledged only after the
 * transaction holding its rows and its ledger entry has committed; while PostgreSQL or Redis is
 * unreachable it retries with backoff and says so. stop() ends receiving and lets the loops
 * commit and acknowledge what is already in hand before run() returns.
 */
import type pg from 'pg';
import { Backoff } from '../backoff.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { LOG_TYPES } from '../logtypes/registry.js';
import { Metrics } from '../metrics/metrics.js';
import { chunkId } from '../queue/chunk.js';
import type { ChunkQueue } from '../queue/types.js';
import { isTransientPgError, poolWhere, withClient } from '../store/db.js';
import { commitBatch, OverlapRace, type CommitOutcome, type PreparedChunk } from '../store/ledger.js';
import { PartitionManager } from '../store/partitions.js';
import { initDb } from '../store/init.js';
import { Intake, type Taken } from './intake.js';
import { parseChunk } from './parse-chunk.js';
import type { ParsePool } from './parse-pool.js';
import { reject } from '../logtypes/types.js';

export interface ProcessorTotals {
  batches: number;
  chunks: number;
  duplicates: number;
  records: number;
  quarantined: number;
  blank: number;
}

export class Processor {
  readonly totals: ProcessorTotals = { batches: 0, chunks: 0, duplicates: 0, records: 0, quarantined: 0, blank: 0 };
  private stopping = false;
  private readonly partitions = new PartitionManager();
  private readonly intake: Intake;

  constructor(
    private readonly pool: pg.Pool,
    private readonly queue: ChunkQueue,
    parser: ParsePool,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics = new Metrics(),
  ) {
    const { concurrency, batchChunks } = config.processor;
    // Enough held for every loop's next batch while the current ones commit.
    this.intake = new Intake(queue, parser, concurrency * batchChunks, log, metrics);
  }

  /** Stop receiving; what is in hand is committed first. Safe to call more than once. */
  stop(): void {
    this.stopping = true;
    this.intake.stop();
  }

  async run(): Promise<ProcessorTotals> {
    const receiving = this.intake.run();
    try {
      await Promise.all(Array.from({ length: this.config.processor.concurrency }, () => this.commitLoop()));
    } finally {
      this.intake.stop();
      await receiving;
    }
    return this.totals;
  }

  private async commitLoop(): Promise<void> {
    for (;;) {
      const taken = await this.intake.take(this.config.processor.batchChunks);
      if (taken.length === 0) return; // stopped, nothing left in hand
      if (!(await this.handle(taken))) return; // stopping while PostgreSQL is unreachable
    }
  }

  /** Commits and acknowledges one batch; false if it gave up because the processor is stopping. */
  private async handle(taken: Taken[]): Promise<boolean> {
    const prepared = taken.flatMap((t) => (t.prepared ? [t.prepared] : []));
    // Stopping before the commit: leave the messages pending for redelivery.
    if (prepared.length > 0 && !(await this.commitWithRetry(prepared))) return false;
    try {
      await this.queue.ack(taken.map((t) => t.id));
    } catch (err) {
      // Harmless: the messages come back and are recognised as duplicates by the ledger.
      this.log.warn({ err: (err as Error).message }, 'acknowledge failed; messages will be redelivered and skipped');
    }
    return true;
  }

  /** One committed batch: totals, metrics and (at debug) a log line, from the same figures. */
  private committed(out: CommitOutcome, seconds: number): void {
    const t = this.totals;
    t.batches++;
    t.chunks += out.written;
    t.duplicates += out.duplicates;
    t.records += out.records;
    t.quarantined += out.quarantined;
    t.blank += out.blank;
    const m = this.metrics;
    m.chunksCommitted.inc(out.written);
    m.chunksDuplicate.inc(out.duplicates);
    m.blankLines.inc(out.blank);
    out.recordsByType.forEach((n, i) => n && m.records.inc({ log_type: LOG_TYPES[i].name }, n));
    for (const [key, n] of out.quarantinedBy) {
      const [logType, reason] = key.split('\t');
      m.quarantined.inc({ log_type: logType, reason }, n);
    }
    if (out.written) {
      m.batchCommitSeconds.observe(seconds);
      m.batchRows.observe(out.records + out.quarantined);
    }
    if (out.duplicates) this.log.info({ duplicates: out.duplicates }, 'redelivered chunks already committed: acknowledged without writing');
    this.log.debug({ chunks: out.written, records: out.records, seconds }, 'batch committed');
  }

  private async commitWithRetry(batch: PreparedChunk[]): Promise<boolean> {
    const backoff = new Backoff();
    let quarantinedWhole = false;
    let recreated = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const started = performance.now();
        const out = await commitBatch(this.pool, this.partitions, batch, (c, skip) => parseChunk(c, skip));
        this.committed(out, (performance.now() - started) / 1000);
        return true;
      } catch (err) {
        const e = err as { code?: string; message: string };
        if (e.code === '23503') {
          // The file's bookkeeping is gone (the database was reset): these chunks belong to nothing.
          this.log.warn({ chunks: batch.map((p) => chunkId(p.chunk)) }, 'chunks of a file no longer registered (reset?): dropped');
          return true;
        }
        if ((e.code === '42P01' || e.code === '23514' || e.code === '3F000') && recreated < 5) {
          // Tables or partitions dropped under us (a reset): recreate and retry.
          recreated++;
          this.log.warn({ err: e.message }, 'schema missing, recreating');
          this.partitions.clear();
          await withClient(this.pool, initDb).catch(() => {});
          continue;
        }
        if (err instanceof OverlapRace || isTransientPgError(err)) {
          if (this.stopping && attempt > 1) return false;
          this.metrics.retries.inc({ target: 'postgres' });
          this.log.warn({ err: e.message, attempt, retryInMs: backoff.nextMs, postgres: poolWhere(this.pool) }, 'database unavailable, retrying');
          await backoff.wait();
          continue;
        }
        if (batch.length > 1) {
          // Find the chunk PostgreSQL refuses: commit one at a time.
          this.log.error({ err: e.message, code: e.code }, 'batch refused; retrying chunk by chunk');
          for (const p of batch) if (!(await this.commitWithRetry([p]))) return false;
          return true;
        }
        const [p] = batch;
        if (quarantinedWhole) {
          // Even the quarantine rows are refused: the database itself is unusable (dropped,
          // read-only, out of space). Stop with the message still pending rather than spin.
          throw new Error(`PostgreSQL refuses every write for chunk ${chunkId(p.chunk)}: ${e.message}`);
        }
        // One chunk PostgreSQL refuses though every value was validated: quarantine its lines,
        // reason and error kept, rather than block the queue or drop them.
        quarantinedWhole = true;
        this.log.error({ chunk: chunkId(p.chunk), err: e.message, code: e.code }, 'chunk refused by PostgreSQL: quarantining its lines');
        const refused = reject('unknown_format', `PostgreSQL refused the chunk: ${e.message.slice(0, 200)}`);
        batch = [{ chunk: p.chunk, rows: parseChunk(p.chunk, undefined, refused).rows }];
      }
    }
  }
}
