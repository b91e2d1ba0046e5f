/**
 * The one configuration schema: every setting, its type, its default and what it is for.
 * Unknown keys are rejected so a typo never silently falls back to a default. Types are strict
 * (a config file's `"false"` is not a boolean, `true` is not a number); the loader turns the
 * environment's strings into numbers and booleans before validation (src/config/load.ts).
 */
import * as z from 'zod/mini';
import '../core/zod-english.js'; // its error messages in English
import { DEFAULT_WATCHED_PORTS } from '../logtypes/rollups.js';
import { backendForUrl, QUEUE_BACKENDS, queueBackend, type QueueSettings } from '../queue/registry.js';
import { QueueCommonSettings } from '../queue/types.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().check(z.minimum(min), z.maximum(max));
/** A non-empty string. */
const text = () => z.string().check(z.minLength(1));

/** A URL with one of the given schemes (a PostgreSQL setting holding a redis:// URL would hang, not fail). */
const urlOf = (what: string, schemes: string[]) =>
  z.string().check(
    z.refine((v) => URL.canParse(v), { message: `not a URL (expected ${schemes.map((s) => `${s}//…`).join(' or ')})` }),
    z.refine((v) => !URL.canParse(v) || schemes.includes(new URL(v).protocol), {
      message: `${what} URLs start with ${schemes.map((s) => `${s}//`).join(' or ')}`,
    }),
  );

/** Names logs have when they are written and once rotated: app.log, app.log.1, app.log.2.gz, app.log-20240115(.gz). */
export const DEFAULT_INCLUDE = ['*.log', '*.log.gz', '*.log.[0-9]*', '*.log-[0-9]*'];

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A section of settings: unknown keys rejected, and absent means every default. */
// (`{}` is valid input for every section, all of whose keys are optional or defaulted; the
// generic shape cannot show the compiler that.)
const section = <T extends z.core.$ZodLooseShape>(shape: T) => z.prefault(z.strictObject(shape), {} as never);

export const ConfigSchema = z.strictObject({
  /** PostgreSQL URL. Unset: an embedded PostgreSQL is started under `embedded.dir`. */
  databaseUrl: z.optional(urlOf('PostgreSQL', ['postgres:', 'postgresql:'])),
  /** How to reach PostgreSQL securely: TLS and a password kept out of the URL. */
  database: section({
    /**
     * TLS: disable, require (encrypted, server not verified), verify-ca (its certificate chains
     * to `sslrootcert`), verify-full (and names the host). Unset: the URL's `sslmode`, else disable.
     */
    sslmode: z.optional(z.enum(['disable', 'require', 'verify-ca', 'verify-full'])),
    /** CA certificate(s) the server's certificate must chain to (PEM file). */
    sslrootcert: z.optional(text()),
    /** Client certificate and key (PEM files), for certificate authentication. */
    sslcert: z.optional(text()),
    sslkey: z.optional(text()),
    /** A file holding the password (read at each connection: rotation needs no restart). */
    passwordFile: z.optional(text()),
  }),
  /** How long a connection to PostgreSQL or Redis may take before it is an error (nothing hangs). */
  connectTimeoutMs: z._default(int(100, 600_000), 10_000),
  /** Directory read recursively for log files (names per input.include); the simple case. */
  logDir: z._default(text(), './data/logs'),
  /** Files, directories or globs to read instead of logDir (paths on the command line replace both). */
  inputs: z.optional(z.array(text()).check(z.minLength(1))),
  input: section({
    /** File names (or paths below an input directory, with a slash) to read. */
    include: z._default(z.array(text()).check(z.minLength(1)), DEFAULT_INCLUDE),
    /** File or directory names (or paths below an input directory) to leave out. */
    exclude: z._default(z.array(text()), []),
    /** IANA zone of stamps that carry none (RFC 3164 syslog, BIND's own stamp, ISO without offset). */
    timezone: z._default(text().check(z.refine(isTimeZone, { message: 'not an IANA time zone name (e.g. UTC, Europe/Berlin)' })), 'UTC'),
    /** Year of RFC 3164 stamps (which have none); unset: from each file's modification time. */
    year: z.optional(int(1970, 2099)),
    /** A last line without a newline is taken once its file has not changed for this long (ms). */
    settleMs: z._default(int(0, 86_400_000), 5_000),
  }),
  queue: z.prefault(
    z
      .strictObject({
        ...QueueCommonSettings.shape,
        /** The queue backend (src/queue/registry.ts). Unset: the one `url`'s scheme names, else the in-process queue. */
        kind: z.optional(z.enum(QUEUE_BACKENDS.map((b) => b.name) as [string, ...string[]])),
        /** The backend's URL (redis://, rediss://, nats://, tls://); REDIS_URL, NATS_URL or LOGPIPE_QUEUE_URL set it. */
        url: z.optional(z.string()),
        // Each backend's own settings, under its name.
        ...Object.fromEntries(QUEUE_BACKENDS.map((b) => [b.name, z.prefault(b.settings, {})])),
      })
      .check(
        z.superRefine((q, ctx) => {
          const byUrl = q.url === undefined ? undefined : backendForUrl(q.url);
          const schemes = QUEUE_BACKENDS.flatMap((b) => b.schemes.map((s) => `${s}//`)).join(', ');
          if (q.url !== undefined && !byUrl) {
            ctx.addIssue({ code: 'custom', path: ['url'], message: URL.canParse(q.url) ? `no queue backend for ${new URL(q.url).protocol}// URLs (expected ${schemes})` : `not a URL (expected ${schemes})` });
            return;
          }
          const chosen = q.kind ? queueBackend(q.kind)! : byUrl;
          if (q.kind && byUrl && byUrl !== chosen) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${byUrl.title} URL, but queue.kind is ${q.kind}` });
          if (chosen && chosen.schemes.length && q.url === undefined) {
            ctx.addIssue({ code: 'custom', path: ['url'], message: `queue.kind ${chosen.name} needs a URL: set ${chosen.urlEnv ?? 'LOGPIPE_QUEUE_URL'} (or queue.url, --queue-url)` });
          }
        }),
      ),
    {},
  ),
  chunk: section({
    /** Lines per chunk, at most. */
    maxLines: z._default(int(1, 1_000_000), 5_000),
    /** Raw bytes per chunk, at most (a single longer line still forms one chunk). */
    maxBytes: z._default(int(1024, 256 * 1024 * 1024), 1024 * 1024),
    /** With --follow: a partial chunk is sent once its first line is this old. */
    flushMs: z._default(int(1, 3_600_000), 1_000),
    /** Longer lines are quarantined as line_too_long; only this many bytes are kept. */
    maxLineBytes: z._default(int(64, 64 * 1024 * 1024), 64 * 1024),
  }),
  processor: section({
    /**
     * Chunks committed per transaction (fewer, larger transactions: less per-commit work, and each
     * rollup key written once for more lines). A processor holds at most (concurrency + 1) ×
     * batchChunks chunks.
     */
    batchChunks: z._default(int(1, 1000), 16),
    /**
     * Batches in flight per processor process, each with its own database connection and
     * Redis consumer: one parses while another commits.
     */
    concurrency: z._default(int(1, 64), 2),
    /**
     * Worker threads per processor process that decode and parse chunks, so that parsing never
     * holds up the event loop that feeds PostgreSQL and Redis.
     */
    parseThreads: z._default(int(1, 64), 1),
    /**
     * Each parse thread's V8 young generation, in MB (where new objects are made; V8's own
     * default is 48). 16 took 16 MiB off the processor's peak at no CPU cost measured; smaller
     * costs the parse thread CPU in collections (README, levers). NODE_OPTIONS'
     * --max-semi-space-size, if set, takes precedence.
     */
    parseYoungGenerationMb: z._default(int(3, 1024), 16),
    /**
     * How rows go to PostgreSQL: COPY's binary format (values encoded by the parse thread,
     * none of PostgreSQL's text input functions run) or its text format.
     */
    copyFormat: z._default(z.enum(['binary', 'text']), 'binary'),
  }),
  reader: section({
    /** Keep reading files as they grow and pick up new ones; never exit on its own. */
    follow: z._default(z.boolean(), false),
    /** How often the directory and followed files are checked. */
    pollMs: z._default(int(10, 600_000), 1_000),
  }),
  embedded: section({
    /** Data directory of the embedded PostgreSQL. */
    dir: z._default(text(), './.logpipe/pg'),
    port: z._default(int(1, 65535), 54329),
  }),
  retention: section({
    /**
     * Days of log rows to keep (whole daily partitions older are dropped, with their
     * quarantine and ledger rows). Recorded in the database by `init-db`; a processor with
     * it set applies the database's window once a day. Unset: keep for ever.
     */
    keepDays: z.optional(int(1, 36_500)),
    /** Days of rollup rows (hourly and daily counts) to keep; unset: for ever (they are small). */
    rollupKeepDays: z.optional(int(1, 36_500)),
  }),
  rollups: section({
    /**
     * Destination ports whose connections per source and destination are kept in rollups (Q6
     * answered without reading the table). Recorded in the database; `init-db` changes it there
     * and rebuilds those rollups.
     */
    watchedPorts: z._default(z.array(int(0, 65535)).check(z.maxLength(64)), [...DEFAULT_WATCHED_PORTS]),
  }),
  metrics: section({
    /**
     * Port of /metrics, /healthz and /readyz. Unset: off for reader and run, and for a processor
     * DEFAULT_PROCESSOR_METRICS_PORT (another free port if that one is taken by a sibling). 0: off.
     */
    port: z.optional(int(0, 65535)),
    /** Address to listen on. */
    host: z._default(text(), '127.0.0.1'),
  }),
  logLevel: z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  /** pretty: readable lines (the default when stderr is a terminal); json: one JSON object per line. */
  logFormat: z.optional(z.enum(['json', 'pretty'])),
});

/** The resolved settings; `queue` also holds each backend's own section under its name (typed by the backend). */
export type Config = Omit<z.infer<typeof ConfigSchema>, 'queue'> & { queue: QueueSettings };

/** Where a processor serves its metrics unless told otherwise. */
export const DEFAULT_PROCESSOR_METRICS_PORT = 9478;
/** Partial input: what a file, the environment or flags may set. */
export type ConfigInput = z.input<typeof ConfigSchema>;
