#!/usr/bin/env node
import { Command } from 'commander';
import { registerGenerate } from './generate.js';
import { registerInitDb } from './init-db.js';
import { registerQueries } from './queries.js';

const program = new Command()
  .name('logpipe')
  .description('security logs → typed, partitioned PostgreSQL tables, exactly once')
  .showHelpAfterError();

registerGenerate(program);
registerInitDb(program);
registerQueries(program);

await program.parseAsync(process.argv);
