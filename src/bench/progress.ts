/**
 * Watching a contender run: polls its progress, drives the progress bar, records rows over time,
 * and fails on a crashed role or a stall. Polling is fine for the seconds-long logpipe runs,
 * finer still over their last 10% (the end is seen when a poll sees it: at most FINAL_POLL_MS
 * late), coarser for the naive one.
 */
import cliProgress from 'cli-progress';
import { wait } from '../core/wait.js';

export interface Sample {
  rows: number;
  /** Input lines fully handled (committed), for the completion check. */
  lines: number;
  queue: number;
}

export const POLL_MS = 25;
export const FINAL_POLL_MS = 5;
export const NAIVE_POLL_MS = 100;
const STALL_MS = 120_000;

export interface Watched {
  wallSeconds: number;
  timeline: [number, number][];
  last: Sample;
}

/** Polls `sample` until `done`, driving the progress bar and recording rows over time. */
export async function watch(
  label: string,
  total: number,
  sample: () => Promise<Sample>,
  done: (s: Sample) => boolean,
  crashed: () => string | null,
  pollMs = POLL_MS,
): Promise<Watched> {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(28)} |{bar}| {value}/{total} rows | queue {queue} | {rate} rows/s | {secs} s`,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  const timeline: [number, number][] = [];
  bar.start(total, 0, { queue: 0, rate: 0, secs: '0.0' });
  let lastChange = started;
  let lastRows = -1;
  try {
    for (;;) {
      // The poll's start: what it sees was committed before it looked.
      const t = (performance.now() - started) / 1000;
      const s = await sample();
      timeline.push([Number(t.toFixed(3)), s.rows]);
      bar.update(s.rows, { queue: s.queue, rate: t > 0 ? Math.round(s.rows / t).toLocaleString('en-US') : 0, secs: t.toFixed(1) });
      if (done(s)) return { wallSeconds: t, timeline, last: s };
      if (s.rows !== lastRows) {
        lastRows = s.rows;
        lastChange = performance.now();
      }
      const why = crashed();
      if (why) throw new Error(`${label}: ${why}`);
      if (performance.now() - lastChange > STALL_MS) throw new Error(`${label}: no progress for ${STALL_MS / 1000} s`);
      await wait(pollMs === POLL_MS && s.rows >= 0.9 * total ? FINAL_POLL_MS : pollMs);
    }
  } finally {
    bar.stop();
  }
}
