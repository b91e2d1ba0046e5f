/**
 * The metrics a role serves (Prometheus text format, prom-client): loaded, with prom-client,
 * only by a role whose metrics endpoint is on (src/metrics/metrics.ts). Counted per batch or per
 * chunk, never per line; labels come from fixed sets (log type names, rejection reasons, retry
 * targets, file states), never a path, an address or a user name. Gauges that describe shared
 * state (queue depth, files by state) are read when scraped.
 */
import client from 'prom-client';
import { LOG_TYPES } from '../logtypes/registry.js';
import { REJECTION_REASONS } from '../logtypes/types.js';
import type { Metrics, ParseThreadUsage, QueueGauges } from './metrics.js';

export class PrometheusMetrics implements Metrics {
  readonly registry = new client.Registry();
  readonly linesRead = this.counter('logpipe_lines_read_total', 'Lines the reader cut into chunks.');
  readonly chunksPublished = this.counter('logpipe_chunks_published_total', 'Chunk messages the reader added to the queue (republished ones again).');
  readonly records = this.counter('logpipe_records_total', 'Records committed to the log tables, by log type.', ['log_type']);
  readonly quarantined = this.counter('logpipe_quarantined_total', 'Lines committed to logpipe.quarantine, by the log type that recognised them (none) and reason.', ['log_type', 'reason']);
  readonly blankLines = this.counter('logpipe_blank_lines_total', 'Blank lines counted (and committed to the ledger).');
  readonly chunksCommitted = this.counter('logpipe_chunks_committed_total', 'Chunks whose rows and ledger entry were committed.');
  readonly chunksDuplicate = this.counter('logpipe_chunks_duplicate_total', 'Redelivered chunks already in the ledger: acknowledged without writing.');
  readonly chunksUndecodable = this.counter('logpipe_chunks_undecodable_total', 'Queue messages that were not logpipe chunks (dropped; the reader publishes the range again).');
  readonly retries = this.counter('logpipe_retries_total', 'Retries after a PostgreSQL or queue failure, by target.', ['target']);
  readonly batchCommitSeconds = new client.Histogram({
    name: 'logpipe_batch_commit_seconds', help: 'Time to commit one batch (COPYs, ledger, rollups, COMMIT).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  readonly batchRows = new client.Histogram({
    name: 'logpipe_batch_rows', help: 'Records and quarantined lines per committed batch.',
    buckets: [100, 1_000, 5_000, 10_000, 20_000, 40_000, 80_000, 160_000], registers: [this.registry],
  });
  private queueSource: (() => Promise<QueueGauges>) | null = null;
  private filesSource: (() => Promise<Record<string, number>>) | null = null;
  private parseSource: (() => ParseThreadUsage) | null = null;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'logpipe_' });
    // Every label value present from the start, so rates and alerts see zeros, not gaps.
    for (const t of LOG_TYPES) this.records.inc({ log_type: t.name }, 0);
    for (const t of [...LOG_TYPES.map((x) => x.name), 'none']) for (const r of REJECTION_REASONS) this.quarantined.inc({ log_type: t, reason: r }, 0);
    for (const target of ['postgres', 'queue']) this.retries.inc({ target }, 0);
    const self = this;
    const queueGauge = (name: string, help: string, key: keyof QueueGauges) =>
      new client.Gauge({
        name, help, registers: [this.registry],
        async collect() {
          if (!self.queueSource) return;
          try {
            this.set((await self.queueSource())[key]);
          } catch {
            // unreachable now: /readyz says so; the gauge keeps its last value
          }
        },
      });
    queueGauge('logpipe_queue_depth', 'Messages in the queue, delivered or not.', 'depth');
    queueGauge('logpipe_queue_pending', 'Messages delivered to a processor and not yet acknowledged.', 'pending');
    queueGauge('logpipe_queue_lag', 'Messages not yet delivered to any processor.', 'lag');
    new client.Gauge({
      name: 'logpipe_files', help: 'Files known to the ledger, by state (reading, committing, done, unbalanced, input_error).', labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        if (!self.filesSource) return;
        try {
          for (const [state, n] of Object.entries(await self.filesSource())) this.set({ state }, n);
        } catch {
          // PostgreSQL unreachable: /readyz says so
        }
      },
    });
    // Read when scraped, as totals that never decrease: each counter goes up by what is new.
    const parseCounter = (name: string, help: string, read: (u: ParseThreadUsage) => number | null) => {
      let soFar = 0;
      new client.Counter({
        name, help, registers: [this.registry],
        collect() {
          const now = self.parseSource ? read(self.parseSource()) : null;
          if (now === null || now <= soFar) return;
          this.inc(now - soFar);
          soFar = now;
        },
      });
    };
    parseCounter(
      'logpipe_parse_busy_seconds_total',
      'Time the parse threads spent decoding and parsing chunks, waiting for a core included; its rate near processor.parseThreads: parsing is the bottleneck, or the machine\'s cores are.',
      (u) => u.busySeconds,
    );
    parseCounter(
      'logpipe_parse_cpu_seconds_total',
      'CPU time of the parse threads (Linux); against logpipe_process_cpu_seconds_total, the share of the process\'s CPU that parsing takes.',
      (u) => u.cpuSeconds,
    );
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[] = []): client.Counter<L> {
    return new client.Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Where the queue gauges are read from when scraped. */
  observeQueue(source: () => Promise<QueueGauges>): void {
    this.queueSource = source;
  }

  /** Where the files-by-state gauge is read from when scraped. */
  observeFiles(source: () => Promise<Record<string, number>>): void {
    this.filesSource = source;
  }

  /** Where the parse threads' busy and CPU seconds are read from when scraped. */
  observeParseThreads(source: () => ParseThreadUsage): void {
    this.parseSource = source;
  }
}
