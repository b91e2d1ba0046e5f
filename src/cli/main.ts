#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT } from '../core/errors.js';
import { packagePath } from '../core/paths.js';
import { reportError } from './common.js';
import { installUsageReport } from '../core/usage.js';

type Register = (program: Command) => void;

// Node 21+ defines `navigator`; on Node 20 pg's Cloudflare check falls back to constructing a
// fetch Response, which loads undici: ~12 ms of every start, the reader's on the clock.
(globalThis as { navigator?: { userAgent: string } }).navigator ??= { userAgent: `Node.js/${process.versions.node.split('.')[0]}` };

// Each command's module is evaluated only when that command runs (all of them for help), so
// the pipeline roles do not pay for the benchmark's and generator's code at start.
const MODULES: Record<string, () => Promise<Register>> = {
  generate: async () => (await import('./generate.js')).registerGenerate,
  'init-db': async () => (await import('./init-db.js')).registerInitDb,
  pipeline: async () => (await import('./pipeline.js')).registerPipeline,
  status: async () => (await import('./status.js')).registerStatus,
  queries: async () => (await import('./queries.js')).registerQueries,
  naive: async () => (await import('./naive.js')).registerNaive,
  bench: async () => (await import('./bench.js')).registerBench,
  config: async () => (await import('./config.js')).registerConfig,
  query: async () => (await import('./query.js')).registerQuery,
  retention: async () => (await import('./retention.js')).registerRetention,
};
const MODULE_OF: Record<string, string> = {
  generate: 'generate', 'init-db': 'init-db', schema: 'init-db', maintain: 'init-db', reader: 'pipeline', processor: 'pipeline', run: 'pipeline',
  status: 'status', queries: 'queries', naive: 'naive', bench: 'bench', 'bench-queries': 'bench', cost: 'bench', config: 'config', query: 'query', retention: 'retention',
};

const program = new Command()
  .name('logpipe')
  .description('security logs → typed, partitioned PostgreSQL tables, exactly once')
  .version((JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version, '-V, --version')
  .showHelpAfterError('(logpipe help <command> for its options)')
  // Usage errors (a bad flag value, an unknown option) exit 2 like configuration errors; every
  // subcommand inherits this.
  .exitOverride();

const only = MODULE_OF[process.argv[2] ?? ''];
for (const name of only ? [only] : Object.keys(MODULES)) (await MODULES[name]())(program);

installUsageReport();
// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its message (or the help / version, which exit 0).
    process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.CONFIG);
  }
  process.exit(reportError(err));
}
