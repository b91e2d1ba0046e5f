/**
 * What every contender of `logpipe bench` shares: the options, the data set, the environment its
 * roles get, where their logs go, and what one contender leaves for others (the parsed rows the
 * COPY floor loads, the query timings).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { QueueSettings } from '../queue/registry.js';
import type { UsageReport } from '../core/usage.js';
import type { DataSet } from './dataset.js';
import { processUsage, type QueueServerCpu } from './measure.js';
import type { Watched } from './progress.js';
import type { ContenderRun, QueryLatency } from './report.js';

export interface BenchOptions {
  databaseUrl: string;
  /** (b) runs once over each of these queues (shared backends, each with its URL). */
  queues: QueueSettings[];
  /** The naive pipeline's Redis (it is the seed's Redis pipeline); unset when it is skipped. */
  naiveRedisUrl?: string;
  /** Lines the naive pipeline is given (its per-row cost is constant). */
  naiveLines: number;
  repeat: number;
  /** Processor processes for (b). */
  processors: number;
  queryRuns: number;
  outDir: string;
  /** Database name prefix: <prefix> for logpipe, <prefix>_naive for the naive table. */
  dbPrefix: string;
  /** Queue prefix (Redis keys, NATS stream names) of the benchmark's own. */
  keyPrefix: string;
  /** Config file handed to every logpipe role (chunk, batch and concurrency settings to compare). */
  configFile?: string;
  command: string;
  skip: Set<string>;
}

export interface Contender {
  id: string;
  run(repeat: number): Promise<ContenderRun>;
}

export class BenchContext {
  /** (b)'s parsed rows as COPY files, the days of each log type's rows (LOG_TYPES' order) and their count: what the floors load. */
  floorDump: { dir: string; days: number[][]; rows: number } | null = null;
  readonly queries: QueryLatency[] = [];
  readonly naiveQueryMs = new Map<string, { ms: number; access: string }>();
  readonly logpipeDb: string;
  readonly naiveDb: string;

  constructor(
    readonly o: BenchOptions,
    readonly data: DataSet,
    /** Where the roles' logs and usage files go (kept after the run). */
    readonly work: string,
  ) {
    this.logpipeDb = o.dbPrefix;
    this.naiveDb = `${o.dbPrefix}_naive`;
  }

  /** The roles' environment: the bench's data and queue prefix; other settings from --config. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const config: Record<string, string> = this.o.configFile ? { LOGPIPE_CONFIG: resolve(this.o.configFile) } : {};
    return { ...config, LOG_DIR: this.data.dir, LOGPIPE_QUEUE_PREFIX: this.o.keyPrefix, ...extra };
  }

  roleDir(repeat: number, id: string): string {
    const d = join(this.work, `r${repeat}-${id}`);
    mkdirSync(d, { recursive: true });
    return d;
  }
}

/** A contender's run record from what was measured: the first usage is the process that published to the queue. */
export function contenderRun(o: {
  id: string;
  label: string;
  lines: number;
  watched: Watched;
  usages: UsageReport[];
  /** Role names for the processes (default: as each reported itself). */
  roles?: string[];
  postgresCpuSeconds: number | null;
  /** The queue server's CPU over the run, where measured (queueServerCpuSince). */
  queueServer?: QueueServerCpu | null;
  /** Per usage, its CPU over the clock's window (services started before it; servicesCpuSince), or null for its whole life. */
  windowCpuSeconds?: (number | null)[];
  bytesOnDisk: number;
}): ContenderRun {
  const { watched: w, usages } = o;
  return {
    id: o.id, label: o.label, lines: o.lines, rows: w.last.rows, wallSeconds: w.wallSeconds,
    processes: usages.map((u, i) => processUsage(u, o.roles?.[i], o.windowCpuSeconds?.[i] ?? null)),
    postgresCpuSeconds: o.postgresCpuSeconds,
    queueServer: o.queueServer ?? null,
    queue: usages.length ? { messages: usages[0].counters.messages, bytes: usages[0].counters.queueBytes } : null,
    bytesPerRow: o.bytesOnDisk / w.last.rows,
    timeline: w.timeline,
  };
}
