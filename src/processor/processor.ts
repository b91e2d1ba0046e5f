/**
 * A processor: a consumer of the shared queue that turns chunks into committed rows. Its intake
 * receives and parses ahead; `concurrency` commit loops each take what is parsed (up to
 * batchChunks chunks) and commit it in one transaction (the failure remedies are in
 * commit-policy.ts). A message is acknowledged only after the transaction holding its rows and
 * its ledger entry has committed. stop() ends receiving and lets the loops commit and
 * acknowledge what is already in hand before run() returns.
 */
import type pg from 'pg';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { LOG_TYPES } from '../logtypes/registry.js';
import { NoMetrics, type Metrics } from '../metrics/metrics.js';
import type { ChunkQueue } from '../queue/types.js';
import { segmentsOf } from '../store/copy-buffer.js';
import type { CommitCounts, CommitOutcome } from '../store/ledger.js';
import { PartitionManager } from '../store/partitions.js';
import { Committer } from './commit-policy.js';
import { Intake, type Taken } from './intake.js';
import type { ParsePool } from './parse-pool.js';

export interface ProcessorTotals extends CommitCounts {
  batches: number;
}

export class Processor {
  readonly totals: ProcessorTotals = { batches: 0, chunks: 0, duplicates: 0, records: 0, quarantined: 0, blank: 0 };
  private stopping = false;
  private readonly intake: Intake;
  private readonly committer: Committer;

  constructor(
    pool: pg.Pool,
    private readonly queue: ChunkQueue,
    private readonly parser: ParsePool,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics = new NoMetrics(),
  ) {
    metrics.observeParseThreads(() => parser.usage());
    const { batchChunks } = config.processor;
    // One batch held ahead, parsed while the loops commit: the loops finish at different moments,
    // so one is ready for whichever comes first. One per loop held ~25 MiB more at 16-chunk
    // batches and gained nothing measurable (README, levers).
    this.intake = new Intake(queue, parser, batchChunks, config.queue.maxDeliveries, log, metrics);
    this.committer = new Committer(pool, new PartitionManager(), {
      prepare: (message, mode) => parser.prepare(message, mode),
      stopping: () => this.stopping,
      committed: (out, seconds) => this.committed(out, seconds),
      retried: () => metrics.retries.inc({ target: 'postgres' }),
    }, log);
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
    const batch = taken.flatMap((t) => (t.pending ? [t.pending] : []));
    // Stopping before the commit: leave the messages pending for redelivery.
    if (batch.length > 0 && !(await this.committer.commit(batch))) return false;
    // Committed (or dropped): nothing reads these rows again; their memory goes back to be written again.
    this.parser.recycle(segmentsOf(batch.flatMap((p) => [...p.prepared.rows.rows, p.prepared.rows.quarantine])));
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
    t.chunks += out.chunks;
    t.duplicates += out.duplicates;
    t.records += out.records;
    t.quarantined += out.quarantined;
    t.blank += out.blank;
    const m = this.metrics;
    m.chunksCommitted.inc(out.chunks);
    m.chunksDuplicate.inc(out.duplicates);
    m.blankLines.inc(out.blank);
    out.recordsByType.forEach((n, i) => n && m.records.inc({ log_type: LOG_TYPES[i].name }, n));
    for (const [key, n] of out.quarantinedBy) {
      const [logType, reason] = key.split('\t');
      m.quarantined.inc({ log_type: logType, reason }, n);
    }
    if (out.chunks) {
      m.batchCommitSeconds.observe(seconds);
      m.batchRows.observe(out.records + out.quarantined);
    }
    if (out.duplicates) this.log.info({ duplicates: out.duplicates }, 'redelivered chunks already committed: acknowledged without writing');
    this.log.debug({ chunks: out.chunks, records: out.records, seconds }, 'batch committed');
  }
}
