/**
 * What a processor does when a batch does not commit. Each failure has one remedy, chosen by
 * remedyFor() from the error and what was tried already:
 *
 * - a chunk partly committed already (re-cut after a restart): prepare its uncommitted lines, commit again;
 * - the file's bookkeeping is gone (foreign key: the database was reset): the chunks belong to nothing, drop them;
 * - a partition missing (dropped under us): forget the known partitions, make them again, retry (a few times);
 * - a table, a column or the schema missing, or a right: stop with what to run (`init-db`) or grant; a processor makes no schema;
 * - PostgreSQL unreachable, restarting, a deadlock or serialization failure: wait (backoff) and retry;
 * - anything else refused in a batch of several: commit them one at a time, to find the chunk at fault;
 * - one chunk refused though every value was validated: quarantine its lines, with the error, rather than block the queue;
 * - even its quarantine refused (read-only, out of space, dropped): stop, leaving the messages for redelivery.
 */
import type pg from 'pg';
import { Backoff } from '../core/backoff.js';
import type { Logger } from '../core/logger.js';
import { rangeKey } from '../core/range.js';
import { isColumnMismatch, isMissingRelation, isTransientPgError, sqlState, SQLSTATE } from '../core/sqlstate.js';
import { reject, type Rejected } from '../logtypes/types.js';
import type { EncodedChunk } from '../queue/chunk.js';
import { ServiceError } from '../core/errors.js';
import { poolWhere } from '../store/db.js';
import { commitBatch, PartlyCommitted, type CommitOutcome } from '../store/ledger.js';
import type { PartitionManager } from '../store/partitions.js';
import type { PrepareMode } from './parse-chunk.js';
import type { PreparedChunk } from './parse-wire.js';

export type Remedy = 'reprepare' | 'drop' | 'partitions' | 'stop' | 'retry' | 'bisect' | 'quarantine' | 'fail';

/** Times the partitions are made again for one batch before its error is treated as any other. */
export const MAX_RECREATES = 5;
/** Rounds of "partly committed, prepare the rest" for one batch: each means another writer raced it; more is a bug. */
const MAX_REPREPARES = 10;

export interface Attempt {
  /** Chunks in the batch. */
  size: number;
  /** The (single) chunk's lines are already the quarantine rows of a refusal. */
  quarantined: boolean;
  /** Times the schema was made again for this batch. */
  recreated: number;
}

export function remedyFor(err: unknown, a: Attempt): Remedy {
  if (err instanceof PartlyCommitted) return 'reprepare';
  const code = sqlState(err);
  if (code === SQLSTATE.FOREIGN_KEY_VIOLATION) return 'drop';
  // 23514: no partition for a row (the partition was dropped).
  if (code === SQLSTATE.CHECK_VIOLATION && a.recreated < MAX_RECREATES) return 'partitions';
  // 42P01/3F000: a table or the schema is gone; 42501: a right is missing. Only an administrator can fix either.
  // 08P01/22P03: binary rows the table's columns do not take (they changed since the processor started).
  // 42703: a column the processor writes is not there (a schema of another release).
  if (isMissingRelation(err) || code === SQLSTATE.INSUFFICIENT_PRIVILEGE || code === SQLSTATE.UNDEFINED_COLUMN || isColumnMismatch(err)) return 'stop';
  if (isTransientPgError(err)) return 'retry';
  if (a.size > 1) return 'bisect';
  return a.quarantined ? 'fail' : 'quarantine';
}

/** Why the processor stops on an error only an administrator (or a restart) can fix, and what to do. */
function stopMessage(e: { code?: string; message: string }, where: string): string {
  const stays = 'the batch stays in the queue';
  if (e.code === SQLSTATE.INSUFFICIENT_PRIVILEGE) {
    return `PostgreSQL at ${where} refused a write: ${e.message} (as an administrator: \`logpipe init-db --roles\`, and GRANT logpipe_ingest to this user)`;
  }
  if (e.code === SQLSTATE.UNDEFINED_COLUMN) {
    return `the schema in ${where} lacks a column this processor writes: ${e.message} (an older schema: \`logpipe init-db\` of this release; a newer one: upgrade the processor); ${stays}`;
  }
  if (isColumnMismatch(e)) {
    return `PostgreSQL at ${where} refused the binary COPY rows: ${e.message} (the log tables' columns changed since this processor started: restart it); ${stays}`;
  }
  return `the schema in ${where} is incomplete: ${e.message} (as an administrator: \`logpipe init-db\`); ${stays}`;
}

/** A chunk to commit, with its message: what it is prepared again from. */
export interface Pending {
  prepared: PreparedChunk;
  message: EncodedChunk;
  /** Set when its lines are quarantine rows of this refusal (PostgreSQL refused the chunk, or it was delivered too often). */
  refusal?: Rejected;
}

export interface CommitterHooks {
  /** Prepares a chunk again (off the event loop). */
  prepare(message: EncodedChunk, mode: PrepareMode): Promise<PreparedChunk>;
  /** The processor is stopping: a retry gives up (the messages stay for redelivery). */
  stopping(): boolean;
  committed(out: CommitOutcome, seconds: number): void;
  retried(): void;
}

export class Committer {
  constructor(
    private readonly pool: pg.Pool,
    private readonly partitions: PartitionManager,
    private readonly hooks: CommitterHooks,
    private readonly log: Logger,
  ) {}

  /** Commits a batch, applying the remedies; false if it gave up because the processor is stopping. */
  async commit(batch: Pending[]): Promise<boolean> {
    const backoff = new Backoff();
    let recreated = 0;
    let reprepared = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const started = performance.now();
        const out = await commitBatch(this.pool, this.partitions, batch.map((p) => p.prepared));
        this.hooks.committed(out, (performance.now() - started) / 1000);
        return true;
      } catch (err) {
        const e = err as { code?: string; message: string };
        const remedy = remedyFor(err, { size: batch.length, quarantined: batch.length === 1 && batch[0].refusal !== undefined, recreated });
        switch (remedy) {
          case 'reprepare': {
            const partly = err as PartlyCommitted;
            if (batch.length > 1) {
              // The rest first, then each partly committed chunk alone: its uncommitted lines are
              // then known exactly (no other chunk of its batch overlapping it unseen).
              const keys = new Set(partly.overlaps.map((o) => rangeKey(o.range)));
              const rest = batch.filter((p) => !keys.has(rangeKey(p.prepared.range)));
              if (rest.length && !(await this.commit(rest))) return false;
              for (const p of batch.filter((p) => keys.has(rangeKey(p.prepared.range)))) if (!(await this.commit([p]))) return false;
              return true;
            }
            if (++reprepared > MAX_REPREPARES) throw new Error(`chunk still partly committed after ${MAX_REPREPARES} rounds: ${e.message}`);
            batch = await this.uncommittedOnly(batch, partly);
            continue;
          }
          case 'drop':
            this.log.warn({ chunks: batch.map((p) => rangeKey(p.prepared.range)) }, 'chunks of a file no longer registered (reset?): dropped');
            return true;
          case 'partitions':
            recreated++;
            this.log.warn({ err: e.message }, 'a partition is missing (dropped?): making it again');
            this.partitions.clear();
            continue;
          case 'stop':
            throw new ServiceError(stopMessage(e, poolWhere(this.pool)));
          case 'retry':
            if (this.hooks.stopping() && attempt > 1) return false;
            this.hooks.retried();
            this.log.warn({ err: e.message, attempt, retryInMs: backoff.nextMs, postgres: poolWhere(this.pool) }, 'database unavailable, retrying');
            await backoff.wait();
            continue;
          case 'bisect':
            this.log.error({ err: e.message, code: e.code }, 'batch refused; committing chunk by chunk');
            for (const p of batch) if (!(await this.commit([p]))) return false;
            return true;
          case 'quarantine': {
            const [p] = batch;
            this.log.error({ chunk: rangeKey(p.prepared.range), err: e.message, code: e.code }, 'chunk refused by PostgreSQL: quarantining its lines');
            const refusal = reject('unknown_format', `PostgreSQL refused the chunk: ${e.message.slice(0, 200)}`);
            batch = [{ message: p.message, refusal, prepared: await this.hooks.prepare(p.message, { kind: 'quarantine', rejected: refusal }) }];
            continue;
          }
          case 'fail':
            throw new Error(`PostgreSQL refuses every write for chunk ${rangeKey(batch[0].prepared.range)}: ${e.message}`);
        }
      }
    }
  }

  /** The batch with every partly committed chunk prepared again, leaving out the lines committed already. */
  private async uncommittedOnly(batch: Pending[], partly: PartlyCommitted): Promise<Pending[]> {
    const covered = new Map(partly.overlaps.map((o) => [rangeKey(o.range), o.covered]));
    return Promise.all(
      batch.map(async (p) => {
        const c = covered.get(rangeKey(p.prepared.range));
        if (!c) return p;
        this.log.info({ chunk: rangeKey(p.prepared.range), committed: c.map(rangeKey) }, 'chunk partly committed already: writing the rest');
        const mode: PrepareMode = p.refusal ? { kind: 'quarantine', rejected: p.refusal, covered: c } : { kind: 'uncommitted', covered: c };
        return { ...p, prepared: await this.hooks.prepare(p.message, mode) };
      }),
    );
  }
}
