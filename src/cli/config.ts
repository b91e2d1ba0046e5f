/** `logpipe config`: the configuration as resolved from flags, environment, file and defaults, secrets redacted. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { redactedConfig } from '../config/load.js';
import { action, addConfigFlags, configFrom, type GlobalFlags } from './common.js';

export function registerConfig(program: Command): void {
  addConfigFlags(
    program.command('config').description('print the resolved configuration (passwords redacted)').option('--json', 'as JSON instead of YAML'),
  ).action(
    action(async (flags: GlobalFlags & { json?: boolean }) => {
      const config = redactedConfig(configFrom(flags));
      process.stdout.write(flags.json ? JSON.stringify(config, null, 2) + '\n' : stringify(config));
    }),
  );
}
