#!/usr/bin/env node
import { Command } from 'commander';
import { registerGenerate } from './generate.js';
import { registerInitDb } from './init-db.js';
import { registerPipeline } from './pipeline.js';
import { registerQueries } from './queries.js';
import { registerNaive } from './naive.js';
import { registerStatus } from './status.js';
import { installUsageReport } from './usage.js';

const program = new Command()
  .name('logpipe')
  .description('security logs → typed, partitioned PostgreSQL tables, exactly once')
  .showHelpAfterError();

registerGenerate(program);
registerInitDb(program);
registerPipeline(program);
registerStatus(program);
registerQueries(program);
registerNaive(program);

installUsageReport();

await program.parseAsync(process.argv);
