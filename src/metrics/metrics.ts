/**
 * What the roles count, as an interface: served through prom-client when a role's metrics
 * endpoint is on (src/metrics/prometheus.ts, loaded then and only then), counted nowhere when it
 * is off. A reader run from cron serves no metrics, and loading prom-client lengthened its start-up
 * (README, Start-up).
 */
export type RetryTarget = 'postgres' | 'queue';

/** What a processor's parse threads have spent so far (src/processor/parse-pool.ts). */
export interface ParseThreadUsage {
  busySeconds: number;
  /** Null where a thread's own CPU time cannot be read (not Linux). */
  cpuSeconds: number | null;
}

export interface QueueGauges {
  depth: number;
  pending: number;
  lag: number;
}

/** A counter, with or without labels. */
export interface Count<L extends string = string> {
  inc(value?: number): void;
  inc(labels: Partial<Record<L, string>>, value?: number): void;
}

/** A distribution of observed values. */
export interface Distribution {
  observe(value: number): void;
}

export interface Metrics {
  readonly linesRead: Count;
  readonly chunksPublished: Count;
  readonly records: Count<'log_type'>;
  readonly quarantined: Count<'log_type' | 'reason'>;
  readonly blankLines: Count;
  readonly chunksCommitted: Count;
  readonly chunksDuplicate: Count;
  readonly chunksUndecodable: Count;
  readonly retries: Count<'target'>;
  readonly batchCommitSeconds: Distribution;
  readonly batchRows: Distribution;
  /** Where the queue gauges are read from when scraped. */
  observeQueue(source: () => Promise<QueueGauges>): void;
  /** Where the files-by-state gauge is read from when scraped. */
  observeFiles(source: () => Promise<Record<string, number>>): void;
  /** Where the parse threads' busy and CPU seconds (never decreasing) are read from when scraped. */
  observeParseThreads(source: () => ParseThreadUsage): void;
}

const nothing: Count<string> & Distribution = { inc(): void {}, observe(): void {} };

/** Metrics of a role that serves none. */
export class NoMetrics implements Metrics {
  readonly linesRead = nothing;
  readonly chunksPublished = nothing;
  readonly records = nothing;
  readonly quarantined = nothing;
  readonly blankLines = nothing;
  readonly chunksCommitted = nothing;
  readonly chunksDuplicate = nothing;
  readonly chunksUndecodable = nothing;
  readonly retries = nothing;
  readonly batchCommitSeconds = nothing;
  readonly batchRows = nothing;
  observeQueue(): void {}
  observeFiles(): void {}
  observeParseThreads(): void {}
}

/** The prom-client metrics, loaded now (a chunk of their own in the bundle). */
export async function prometheusMetrics(): Promise<import('./prometheus.js').PrometheusMetrics> {
  const { PrometheusMetrics } = await import('./prometheus.js');
  return new PrometheusMetrics();
}
