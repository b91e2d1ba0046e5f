/**
 * A processor with retention.keepDays set triggers the database's daily retention: at start and
 * then every 24 hours. The window applied is the one `init-db` recorded (the processor's own
 * setting only switches this on): a member of logpipe_ingest cannot choose what is dropped, and
 * several processors doing this at once drop each day once (the function runs at most once in
 * 20 hours, under a lock).
 */
import type pg from 'pg';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { withClient } from '../store/db.js';
import { recordedWindow, retentionDaily, summarizeRetention } from '../store/retention.js';

const DAY_MS = 86_400_000;

export function startDailyRetention(pool: pg.Pool, config: Config, log: Logger): () => void {
  if (config.retention.keepDays === undefined) return () => {};
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async () => {
    try {
      const window = await withClient(pool, recordedWindow);
      if (window.keepDays === null) {
        log.warn('retention.keepDays is set but the database has no retention window: an administrator records it with `logpipe init-db` (with retention.keepDays)');
        return;
      }
      if (window.keepDays !== config.retention.keepDays) {
        log.warn({ database: window.keepDays, configured: config.retention.keepDays }, "retention.keepDays differs from the database's: the database's applies");
      }
      const s = summarizeRetention(await withClient(pool, retentionDaily));
      const days = s.tables.reduce((a, t) => a + t.days.length, 0);
      if (days || s.ledgerRows || s.rollupRows) {
        log.info({
          keepDays: window.keepDays, partitions: days, rows: s.tables.reduce((a, t) => a + t.rows, 0), bytes: s.tables.reduce((a, t) => a + t.bytes, 0),
          ledgerRows: s.ledgerRows, quarantineRows: s.quarantineRows, rollupRows: s.rollupRows,
        }, 'retention: dropped the days before the window');
      }
    } catch (err) {
      log.error({ err: (err as Error).message }, 'retention failed; trying again in a day');
    } finally {
      if (!stopped) timer = setTimeout(run, DAY_MS).unref();
    }
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
