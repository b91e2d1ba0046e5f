/**
 * Capped exponential backoff for waiting out an unreachable PostgreSQL or Redis: 100 ms,
 * doubling, at most 5 s. One per retry loop; reset it after a success.
 */
import { wait } from './wait.js';

export class Backoff {
  private ms = 100;

  /** The wait the next retry will take, for the log line that announces it. */
  get nextMs(): number {
    return this.ms;
  }

  /** Waits (cut short if `signal` aborts), then doubles the next wait. */
  async wait(signal?: AbortSignal): Promise<void> {
    const ms = this.ms;
    this.ms = Math.min(ms * 2, 5_000);
    await wait(ms, signal);
  }

  reset(): void {
    this.ms = 100;
  }
}
