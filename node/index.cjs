// usage-report — report a Node CLI's command runs through usage-report(1).
//
//   import * as usageReport from 'usage-report';     // or: require('usage-report')
//   usageReport.configure({ app: 'mycli', cliVersion: '2.1.0' });
//   const deploy = usageReport.command('mycli deploy', async (opts) => { ... });
//   usageReport.commander(program);            // or: every action of a commander program
//
// Each run is timed with the monotonic clock and reported with its exit code: 0, the code of
// a `process.exit`-style error's `exitCode`, 130 for Ctrl-C, 1 for an exception, whose
// message goes as the error (usage-report scrubs it) and whose class as the error type.
// usage-report is started without waiting, by posix_spawn through the platform package's
// usage-report.node where it loads (addon.c: no fork of Node), else by child_process (unref'd;
// Node reaps it), with every fact on its standard input, never in its arguments (which other
// users can read) or in any limit: a message or property too long is truncated, never lost.
// Nothing here throws, writes to the host's stdout, or changes the command's outcome; Ctrl-C
// during a synchronous command ends it as it would without this package (a listener is
// installed only while a promise runs).
// The usage-report run is the one of this platform's optional package (@usage-report/linux-x64,
// linux-arm64 or win32-x64, from npm install usage-report), else the one on PATH; when there is
// none, every call does nothing. On Windows it starts with no console window (windowsHide).
// usage-report's stderr is the user's: its first-run notice shows there.
//
// This file is the implementation (CommonJS, so that require() works on Node 18); index.js
// is its ES module face.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');

// The event variables of a caller's own environment must not leak into this report.
const EVENT_VARIABLES = ['USAGE_REPORT_COMMAND', 'USAGE_REPORT_DURATION', 'USAGE_REPORT_EXIT_CODE', 'USAGE_REPORT_ERROR',
  'USAGE_REPORT_ERROR_TYPE', 'USAGE_REPORT_EVENT', 'USAGE_REPORT_CLI_VERSION'];

const settings = { app: undefined, config: undefined, cliVersion: undefined, binary: 'usage-report', properties: {} };

function configure({ app, config, cliVersion, binary, properties } = {}) {
  if (app !== undefined) settings.app = app;
  if (config !== undefined) settings.config = config;
  if (cliVersion !== undefined) settings.cliVersion = cliVersion;
  if (binary !== undefined) settings.binary = binary;
  if (properties !== undefined) settings.properties = { ...properties };
}

function baseArgs() {
  const args = [];
  if (settings.app) args.push('--app', settings.app);
  if (settings.config) args.push('--config', settings.config);
  return args;
}

// usage-report's limits (usage-report(1)): what goes beyond them is truncated here.
const MAX_ERROR_BYTES = 4096; // scrubbed and cut to 300 characters by usage-report anyway
const MAX_TEXT_BYTES = 200;
const MAX_PROPERTY_BYTES = 1000;
const MAX_PROPERTIES = 64;
const PROPERTY_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

// s in at most limit bytes of UTF-8, cut on a character boundary.
function cut(s, limit) {
  const text = String(s).replace(/\0/g, ' ');
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, limit)).replace(/\uFFFD$/, '');
}

// The properties usage-report takes: valid keys, values within its limit (a typed value too
// long becomes its JSON text, cut), at most 64.
function propertiesOf(props) {
  const out = {};
  let n = 0;
  for (const [key, raw] of Object.entries(props)) {
    if (n === MAX_PROPERTIES || key.startsWith('$') || !PROPERTY_KEY.test(key)) continue;
    const value = raw === undefined ? null : raw;
    if (typeof value === 'string') out[key] = cut(value, MAX_PROPERTY_BYTES);
    else {
      const text = JSON.stringify(value) ?? 'null';
      out[key] = Buffer.byteLength(text) <= MAX_PROPERTY_BYTES ? JSON.parse(text) : cut(text, MAX_PROPERTY_BYTES);
    }
    n++;
  }
  return out;
}

// This platform's package (@usage-report/linux-x64, ...: an optional dependency npm installs
// only where it runs), found once: its folder, or null.
let platformPackage;
function platformFolder() {
  if (platformPackage === undefined) {
    platformPackage = null;
    try {
      platformPackage = path.dirname(require.resolve(`@usage-report/${process.platform}-${process.arch}/package.json`));
    } catch {
      // no package for this platform
    }
  }
  return platformPackage;
}

// Its executable, found once; null without one.
let platformBinary;
function bundledBinary() {
  if (platformBinary === undefined) {
    platformBinary = null;
    try {
      const candidate = path.join(platformFolder(), 'bin', process.platform === 'win32' ? 'usage-report.exe' : 'usage-report');
      fs.accessSync(candidate, fs.constants.X_OK);
      platformBinary = candidate;
    } catch {
      // none: the one on PATH, if any
    }
  }
  return platformBinary;
}

// The usage-report to run: the one configure() named; else this platform's package's; else
// the one on PATH (spawn looks it up; not there, nothing is reported).
function binary() {
  return (settings.binary === 'usage-report' && bundledBinary()) || settings.binary;
}

// The native starter (addon.c), loaded once: the platform package's lib/usage-report.node, else
// one built beside this file (an in-tree build's); null where none loads. Linux's main thread
// only: a worker's process.env is its own, not the environment the addon passes on.
let nativeStarter;
function native() {
  if (nativeStarter === undefined) {
    nativeStarter = null;
    const folders = process.platform === 'linux' && isMainThread ? [__dirname] : [];
    if (folders.length && platformFolder()) folders.unshift(path.join(platformFolder(), 'lib'));
    for (const folder of folders) {
      try {
        nativeStarter = require(path.join(folder, 'usage-report.node'));
        break;
      } catch {
        // not there, or not for this Node or libc: child_process
      }
    }
  }
  return nativeStarter;
}

// Reap what the native starter started, from the loop as libuv reaps its own: an unref'd
// timer (it never keeps the host alive), 10 ms after a start, then less and less often while
// one still runs (usage-report's foreground takes a millisecond or two).
const REAP_FIRST_MS = 10;
const REAP_LAST_MS = 1000;
let reapTimer = null;
function reapLater(delay = REAP_FIRST_MS) {
  if (reapTimer) return;
  reapTimer = setTimeout(() => {
    reapTimer = null;
    if (nativeStarter.reap() > 0) reapLater(Math.min(delay * 2, REAP_LAST_MS));
  }, delay);
  reapTimer.unref();
}

// Start usage-report with doc on its stdin and forget it: errors (not installed, a closed
// pipe) are swallowed.
function start(args, doc) {
  const argv = [...baseArgs(), ...args, '--json', '-'];
  const input = JSON.stringify(doc);
  try {
    const starter = native();
    // started, or no such executable (child_process would not find it either)
    const pid = starter ? starter.start(binary(), argv, Buffer.from(input), EVENT_VARIABLES) : 0;
    if (pid > 0) reapLater();
    if (pid > 0 || pid === -os.constants.errno.ENOENT) return;
  } catch {
    // child_process below
  }
  try {
    const childEnv = { ...process.env };
    for (const name of EVENT_VARIABLES) delete childEnv[name];
    const child = spawn(binary(), argv, {
      stdio: ['pipe', 'ignore', 'inherit'],
      env: childEnv,
      windowsHide: true, // Windows: no console window of its own (ignored elsewhere)
    });
    child.on('error', () => {});
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    child.unref();
    if (child.stdin.unref) child.stdin.unref();
  } catch {
    // never the host's problem
  }
}

// The event as usage-report's --json - reads it.
function docOf(command, { durationMs, exitCode, error, errorType: kind, event, properties } = {}) {
  const doc = {};
  if (command) doc.command = cut(command, MAX_TEXT_BYTES);
  if (exitCode !== undefined) doc.exit_code = Number.isInteger(exitCode) && exitCode >= 0 && exitCode <= 255 ? exitCode : 1;
  if (durationMs > 0) doc.duration_ms = Math.round(durationMs * 1000) / 1000;
  if (error) doc.error = cut(error, MAX_ERROR_BYTES);
  if (kind) doc.error_type = kind;
  if (event) doc.event = cut(event, MAX_TEXT_BYTES);
  if (settings.cliVersion) doc.cli_version = cut(settings.cliVersion, MAX_TEXT_BYTES);
  const props = propertiesOf({ ...settings.properties, ...(properties || {}) });
  if (Object.keys(props).length) doc.properties = props;
  return doc;
}

function errorType(error) {
  const name = (error && error.constructor && error.constructor.name) || 'Error';
  const own = error && typeof error.errorType === 'string' && error.errorType;
  const kind = (own || name).replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase().replace(/[^a-z0-9_.-]/g, '_');
  return kind.slice(0, 64) || 'error';
}

function report(command, { exitCode = 0, ...facts } = {}) {
  try {
    start(['track'], docOf(command, { exitCode, ...facts }));
  } catch {
    // never the host's problem
  }
}

function exitCodeOf(error) {
  const code = error && (error.exitCode ?? error.code);
  return Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1;
}

function failed(command, started, error, options) {
  report(command, {
    ...options,
    durationMs: performance.now() - started,
    exitCode: exitCodeOf(error),
    error: error instanceof Error ? error.message : String(error),
    errorType: errorType(error),
  });
}

// While a command runs, Ctrl-C is reported as cancelled (130) and then does what it would
// have done: our listener is the only one only when the host has none.
function watchInterrupt(command, started, options) {
  const onInterrupt = () => {
    report(command, { ...options, durationMs: performance.now() - started, exitCode: 130 });
    if (process.listenerCount('SIGINT') === 0) process.kill(process.pid, 'SIGINT');
  };
  process.once('SIGINT', onInterrupt);
  return () => process.removeListener('SIGINT', onInterrupt);
}

function track(command, fn, options = {}) {
  const started = performance.now();
  let result;
  try {
    result = fn();
  } catch (error) {
    failed(command, started, error, options);
    throw error;
  }
  if (result && typeof result.then === 'function') {
    const unwatch = watchInterrupt(command, started, options); // the loop runs: a listener can act at once
    return result.then(
      (value) => {
        unwatch();
        report(command, { ...options, durationMs: performance.now() - started });
        return value;
      },
      (error) => {
        unwatch();
        failed(command, started, error, options);
        throw error;
      },
    );
  }
  report(command, { ...options, durationMs: performance.now() - started });
  return result;
}

function command(name, fn, options = {}) {
  return function tracked(...args) {
    return track(name, () => fn.apply(this, args), options);
  };
}

function account(subcommand, principalId, facts = {}) {
  const doc = docOf(facts.command, facts);
  if (principalId) doc.principal_id = cut(principalId, MAX_TEXT_BYTES);
  start([subcommand], doc);
}

// facts: command, durationMs, exitCode, properties, event, as for report().
function login(principalId, facts) {
  account('login', principalId, facts);
}

function logout(facts) {
  account('logout', undefined, facts);
}

// Run a usage-report subcommand a person asked for and wait: what it printed, or null when
// there is no usage-report or it said no (its exit status not 0).
function ask(args) {
  try {
    const done = spawnSync(binary(), [...baseArgs(), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30000, windowsHide: true });
    return done.status === 0 ? done.stdout : null;
  } catch {
    return null;
  }
}

// For a host's own telemetry command: the user's level, 'all' or 'errors' (failed runs only);
// what left the machine ({ json, n }); a request to delete this device's data ({ disable }).
// Each returns what usage-report printed, or null (none installed, or it refused).
function level(value) {
  return ask(['level', String(value)]);
}

function history({ json = false, n } = {}) {
  return ask(['history', ...(json ? ['--json'] : []), ...(n ? ['-n', String(n)] : [])]);
}

function forget({ disable = false } = {}) {
  return ask(['forget', ...(disable ? ['--disable'] : [])]);
}

// commander: preAction starts the clock, postAction reports the success; an action that
// throws (or rejects) is reported by the monitor of uncaught exceptions, which changes
// nothing of how Node then ends; Ctrl-C is reported as cancelled.
function commander(program, { prefix } = {}) {
  let current = null;
  const pathOf = (cmd) => {
    const names = [];
    for (let c = cmd; c; c = c.parent) names.unshift(c.name());
    if (prefix !== undefined) names[0] = prefix;
    return names.filter(Boolean).join(' ');
  };
  program.hook('preAction', (_root, actionCommand) => {
    const name = pathOf(actionCommand);
    const started = performance.now();
    const run = { name, started, unwatch: () => {} };
    current = run;
    // a synchronous action keeps Node's own Ctrl-C; an async one is watched once it awaits
    setImmediate(() => {
      if (current === run) run.unwatch = watchInterrupt(name, started, {});
    });
  });
  program.hook('postAction', () => {
    if (!current) return;
    current.unwatch();
    report(current.name, { durationMs: performance.now() - current.started });
    current = null;
  });
  process.on('uncaughtExceptionMonitor', (error) => {
    if (!current) return;
    current.unwatch();
    failed(current.name, current.started, error, {});
    current = null;
  });
}

module.exports = { configure, report, track, command, login, logout, level, history, forget, commander, errorType };
