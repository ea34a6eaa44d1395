#!/usr/bin/env node
// caller.js — a Node CLI that reports its commands through the usage-report package
// (`npm install <usage-report sources>/node`; no other dependency).
//
// The package times each command, reports it without waiting, maps exceptions and Ctrl-C to
// exit codes, and never fails the CLI. usage-report's first-run notice shows on this CLI's
// stderr when it is a terminal: leave stderr alone. With commander, `usageReport.commander(program)`
// reports every action through its preAction/postAction hooks.
// CommonJS, so that it runs as caller.js in the folder `npm init` makes; in an ES module
// host, `import * as usageReport from 'usage-report'` gives the same functions.
const usageReport = require('usage-report');

usageReport.configure({ app: 'mycli', cliVersion: '2.0.0' });

const build = usageReport.command('mycli build', async () => console.log('built'));
const fail = usageReport.command('mycli fail', async () => {
  throw new Error('build failed: 3 errors');
});

(process.argv[2] === 'fail' ? fail() : build()).catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
