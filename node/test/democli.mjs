#!/usr/bin/env node
// democli.mjs — a commander CLI with three subcommands that reports through usage-report's
// Node package alone (commander comes from COMMANDER_MODULES, a test-only install).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as usageReport from '../index.js';

const require = createRequire(join(process.env.COMMANDER_MODULES, 'x.js'));
const { Command } = require('commander');

usageReport.configure({ app: 'democli', cliVersion: '1.0.0', properties: { runtime: 'node' } });

const program = new Command('democli');
usageReport.commander(program);
program.command('hello [name]').action((name) => console.log(`hello, ${name ?? 'world'}`));
program.command('build').action(async () => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  console.log('built');
});
program.command('fail').action(async () => {
  throw new TypeError('could not reach the build server');
});
program.command('wait').action(async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.kill(process.pid, 'SIGINT'); // as if Ctrl-C arrived while the command waits
  await new Promise((resolve) => setTimeout(resolve, 5000));
});
program.command('spin').action(() => {
  // a synchronous command: Ctrl-C must end it at once, as it would without the package
  process.kill(process.pid, 'SIGINT');
  const end = Date.now() + 3000;
  while (Date.now() < end);
  console.log('ran to its end');
});
await program.parseAsync(process.argv);
