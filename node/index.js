// usage-report — report a Node CLI's command runs through usage-report(1).
//
//   import * as usageReport from 'usage-report';
//   usageReport.configure({ app: 'mycli', cliVersion: '2.1.0' });
//   const deploy = usageReport.command('mycli deploy', async (opts) => { ... });
//   usageReport.commander(program);            // or: every action of a commander program
//
// Each run is timed with the monotonic clock and reported with its exit code: 0, the code of
// a `process.exit`-style error's `exitCode`, 130 for Ctrl-C, 1 for an exception, whose
// message goes as --error (usage-report scrubs it) and whose class as --error-type.
// usage-report is started without waiting (unref'd; Node reaps it), with the facts in its
// environment and the host's properties as arguments (keep secrets out of properties). Nothing here throws or changes the command's
// outcome. When usage-report is not installed, or on Windows (which usage-report does not
// support), every call does nothing. usage-report's stderr is the user's: its first-run
// notice shows there.
import { spawn } from 'node:child_process';

// The event variables of a caller's own environment must not leak into this report.
const EVENT_VARIABLES = ['USAGE_REPORT_COMMAND', 'USAGE_REPORT_DURATION', 'USAGE_REPORT_EXIT_CODE', 'USAGE_REPORT_ERROR',
  'USAGE_REPORT_ERROR_TYPE', 'USAGE_REPORT_EVENT', 'USAGE_REPORT_CLI_VERSION'];

const settings = { app: undefined, config: undefined, cliVersion: undefined, binary: 'usage-report', properties: {} };

export function configure({ app, config, cliVersion, binary, properties } = {}) {
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

// Start usage-report and forget it: errors (not installed, a closed pipe) are swallowed.
function start(args, input, env) {
  if (process.platform === 'win32') return;
  try {
    const childEnv = { ...process.env };
    for (const name of EVENT_VARIABLES) delete childEnv[name];
    const child = spawn(settings.binary, [...baseArgs(), ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'],
      env: { ...childEnv, ...(env || {}) },
    });
    child.on('error', () => {});
    if (input !== undefined) {
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
    child.unref();
  } catch {
    // never the host's problem
  }
}

export function errorType(error) {
  const name = (error && error.constructor && error.constructor.name) || 'Error';
  const kind = name.replace(/(?<!^)(?=[A-Z])/g, '_').toLowerCase().replace(/[^a-z0-9_.-]/g, '_');
  return kind.slice(0, 64) || 'error';
}

// The facts go in usage-report's environment (readable by this user alone, unlike
// arguments), the host's properties as --property KEY:=JSON arguments: no pipe to set up,
// which is a quarter of what a spawn from Node costs (make bench).
export function report(command, { durationMs, exitCode = 0, error, errorType: kind, event, properties } = {}) {
  try {
    const text = (s) => String(s).replace(/\0/g, ' ');
    const env = { USAGE_REPORT_COMMAND: text(command), USAGE_REPORT_EXIT_CODE: String(exitCode) };
    if (durationMs > 0) env.USAGE_REPORT_DURATION = durationMs.toFixed(3);
    if (error) env.USAGE_REPORT_ERROR = text(error);
    if (kind) env.USAGE_REPORT_ERROR_TYPE = kind;
    if (event) env.USAGE_REPORT_EVENT = text(event);
    if (settings.cliVersion) env.USAGE_REPORT_CLI_VERSION = text(settings.cliVersion);
    const args = ['track'];
    for (const [key, value] of Object.entries({ ...settings.properties, ...(properties || {}) }))
      args.push('--property', `${key}:=${JSON.stringify(value ?? null)}`);
    start(args, undefined, env);
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

export function track(command, fn, options = {}) {
  const started = performance.now();
  const unwatch = watchInterrupt(command, started, options);
  let result;
  try {
    result = fn();
  } catch (error) {
    unwatch();
    failed(command, started, error, options);
    throw error;
  }
  if (result && typeof result.then === 'function') {
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
  unwatch();
  report(command, { ...options, durationMs: performance.now() - started });
  return result;
}

export function command(name, fn, options = {}) {
  return function tracked(...args) {
    return track(name, () => fn.apply(this, args), options);
  };
}

function account(subcommand, principalId) {
  const args = [subcommand];
  if (principalId) args.push('--principal-id', principalId);
  start(args, undefined, settings.cliVersion ? { USAGE_REPORT_CLI_VERSION: settings.cliVersion } : undefined);
}

export function login(principalId) {
  account('login', principalId);
}

export function logout() {
  account('logout');
}

// commander: preAction starts the clock, postAction reports the success; an action that
// throws (or rejects) is reported by the monitor of uncaught exceptions, which changes
// nothing of how Node then ends; Ctrl-C is reported as cancelled.
export function commander(program, { prefix } = {}) {
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
    current = { name, started, unwatch: watchInterrupt(name, started, {}) };
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
