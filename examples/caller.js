#!/usr/bin/env node
// caller.js — report command runs from a Node CLI through usage-report.
//
// report() runs usage-report with child_process and returns at once: usage-report queues
// the event and detaches its own sender, so the CLI never waits for the network. Errors
// (usage-report missing, say) are ignored: telemetry must never break the CLI. stderr is
// the user's: the first-run notice shows there when it is a terminal, so it is inherited.
'use strict';
const { spawnSync } = require('child_process');

function report(command, durationMs, exitCode, { error, app = 'mycli', cliVersion } = {}) {
  const args = ['--app', app, '--command', command,
    '--duration', durationMs.toFixed(3), '--exit-code', String(exitCode)];
  if (error) args.push('--error', error);
  if (cliVersion) args.push('--cli-version', cliVersion);
  spawnSync('usage-report', args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 5000 });
}

async function main() {
  const command = process.argv[2] === 'fail' ? 'mycli fail' : 'mycli build';
  const start = process.hrtime.bigint();
  let exitCode = 0;
  let error;
  try {
    if (process.argv[2] === 'fail') throw new Error('build failed: 3 errors');
    console.log('built');
  } catch (e) {
    exitCode = 1;
    error = e.message;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  report(command, ms, exitCode, { error, cliVersion: '2.0.0' });
  process.exitCode = exitCode;
}

main();
