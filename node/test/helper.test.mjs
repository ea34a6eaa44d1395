// helper.test.mjs — the Node package end to end: a real commander CLI (democli.mjs) and plain
// wrapped functions report through it to the test intake on 127.0.0.1.
// Run: node --test node/test/helper.test.mjs (USAGE_REPORT_BUILDDIR/SRCDIR say where the build and the
// sources are; commander is installed from npm into a temporary folder, or the CLI tests
// are skipped with a note when npm cannot reach its registry).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const srcdir = process.env.USAGE_REPORT_SRCDIR || join(here, '..', '..');
const builddir = process.env.USAGE_REPORT_BUILDDIR || srcdir;
let tmp, intake, url, env, commanderModules;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(check, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}
function events() {
  const path = join(tmp, 'intake', 'requests.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((r) => r.path === '/batch/' && r.status === 200).flatMap((r) => r.body.batch);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'usage-report-node-'));
  mkdirSync(join(tmp, 'intake'));
  intake = spawn('python3', [join(srcdir, 'tests', 'intake.py'), join(tmp, 'intake')], { stdio: 'ignore' });
  const port = await waitFor(() => existsSync(join(tmp, 'intake', 'port')) && readFileSync(join(tmp, 'intake', 'port'), 'utf8').trim());
  url = `http://127.0.0.1:${port}`;
  const home = join(tmp, 'home');
  mkdirSync(join(home, '.config', 'usage-report'), { recursive: true });
  writeFileSync(join(home, '.config', 'usage-report', 'democli.conf'), `[posthog]\nhost = ${url}\napi_key = phc_k\n[consent]\nnotice = off\n`);
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('USAGE_REPORT_') && !k.startsWith('XDG_') && k !== 'DO_NOT_TRACK' && k !== 'CI'));
  Object.assign(env, { HOME: home, PATH: `${join(builddir, 'src')}:${process.env.PATH}`, no_proxy: '127.0.0.1', NO_PROXY: '127.0.0.1' });
  const modules = join(process.env.USAGE_REPORT_BUILDDIR || tmp, 'tests', 'node-cache');
  if (!existsSync(join(modules, 'node_modules', 'commander'))) {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/proxy/i.test(k)));
    spawnSync('npm', ['install', '--prefix', modules, '--no-audit', '--no-fund', '--silent', 'commander@12'], { env: clean, stdio: 'ignore', timeout: 300000 });
  }
  if (existsSync(join(modules, 'node_modules', 'commander'))) commanderModules = join(modules, 'node_modules');
});

after(() => intake && intake.kill());

function cli(...args) {
  return spawnSync(process.execPath, [join(here, 'democli.mjs'), ...args], { env: { ...env, COMMANDER_MODULES: commanderModules }, encoding: 'utf8', timeout: 30000 });
}

test('a commander CLI reports success, an async success, an exception and a Ctrl-C', async (t) => {
  if (!commanderModules) return t.skip('npm could not install commander: the commander CLI is not tried');
  const before = events().length;
  assert.equal(cli('hello', 'you').stdout, 'hello, you\n');
  assert.equal(cli('build').stdout, 'built\n');
  const failed = cli('fail');
  assert.equal(failed.status, 1); // the exception still reaches the user
  assert.match(failed.stderr, /TypeError: could not reach the build server/);
  const cancelled = cli('wait');
  assert.equal(cancelled.signal, 'SIGINT'); // Ctrl-C still ends it as it would have
  const got = await waitFor(() => events().length >= before + 4 && events().slice(before));
  const by = Object.fromEntries(got.map((e) => [e.properties.command_name, e.properties]));
  assert.deepEqual([by['democli hello'].outcome, by['democli hello'].exit_code, by['democli hello'].cli_version, by['democli hello'].runtime], ['success', 0, '1.0.0', 'node']);
  assert.equal(by['democli build'].outcome, 'success');
  assert.ok(by['democli build'].duration_ms >= 20);
  assert.deepEqual([by['democli fail'].outcome, by['democli fail'].exit_code, by['democli fail'].error_type, by['democli fail'].error_message],
    ['failure', 1, 'type_error', 'could not reach the build server']);
  assert.deepEqual([by['democli wait'].outcome, by['democli wait'].exit_code], ['cancelled', 130]);
});

test('Ctrl-C during a synchronous command ends it at once, as without the package', (t) => {
  if (!commanderModules) return t.skip('npm could not install commander: the commander CLI is not tried');
  const spin = cli('spin');
  assert.equal(spin.signal, 'SIGINT');
  assert.equal(spin.stdout, ''); // it did not run to its end
});

test('a 200 KB message and a 1200-byte property are truncated, never lost; nothing on stderr', async () => {
  const code = `
    const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))});
    u.configure({ app: 'democli' });
    try { u.command('democli huge', () => { throw new Error('m'.repeat(200000)); })(); } catch {}
    u.report('democli props', { properties: { long: 'é'.repeat(1200), list: Array.from({ length: 400 }, (_, i) => i), n: 1 } });
  `;
  const before = events().length;
  const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30000 });
  assert.deepEqual([run.status, run.stderr], [0, '']);
  const got = await waitFor(() => events().length >= before + 2 && events().slice(before));
  const by = Object.fromEntries(got.map((e) => [e.properties.command_name, e.properties]));
  assert.equal(by['democli huge'].outcome, 'failure');
  assert.equal(by['democli huge'].error_message, 'm'.repeat(300));
  assert.equal(by['democli props'].long, 'é'.repeat(500));
  assert.equal(by['democli props'].list.slice(0, 5), '[0,1,');
  assert.equal(by['democli props'].n, 1);
});

test('64 properties of 1000 bytes, quotes in them (a 96 KB document: more than a pipe holds) arrive whole', async () => {
  const code = `
    const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))});
    u.configure({ app: 'democli' });
    u.report('democli wide', { properties: Object.fromEntries(Array.from({ length: 64 }, (_, i) => ['p' + i, ('"' + (i % 10)).repeat(500)])) });
  `;
  const before = events().length;
  const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30000 });
  assert.deepEqual([run.status, run.stderr], [0, '']);
  const [got] = await waitFor(() => events().length > before && events().slice(before));
  assert.equal(got.properties.command_name, 'democli wide');
  for (let i = 0; i < 64; i++) assert.equal(got.properties['p' + i], ('"' + (i % 10)).repeat(500));
});

test('a long-lived host (an MCP server) reporting 20 calls is left with no zombie', async () => {
  const code = `
    const { execFileSync } = require('node:child_process');
    const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))});
    u.configure({ app: 'democli' });
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      for (let i = 0; i < 20; i++) { u.report('democli call', { properties: { i } }); await sleep(30); }
      // the starter reaps from an unref'd timer, at most a second apart while one still runs:
      // every child is reaped within a few seconds, however slowly this machine runs them
      const zombies = () => execFileSync('ps', ['--ppid', String(process.pid), '-o', 'stat=,comm='], { encoding: 'utf8' })
        .split('\\n').filter((l) => /^Z/.test(l)).length;
      let left = zombies();
      for (let t = 0; left > 0 && t < 50; t++) { await sleep(100); left = zombies(); }
      console.log(left);
    })();
  `;
  const before = events().length;
  const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30000 });
  assert.equal(run.stderr, '');
  assert.equal(run.stdout, '0\n', 'zombies');
  const got = await waitFor(() => events().length >= before + 20 && events().slice(before));
  assert.deepEqual(got.map((e) => e.properties.i).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
});

test('a usage-report that never exits keeps the host from exiting no more than child_process would', () => {
  const bin = join(tmp, 'stuck');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'usage-report'), '#!/bin/sh\nexec sleep 20\n', { mode: 0o755 });
  const code = `
    const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))});
    u.configure({ app: 'democli', binary: ${JSON.stringify(join(bin, 'usage-report'))} });
    u.report('democli stuck');
    console.log('done');
  `;
  const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 10000 });
  assert.deepEqual([run.status, run.signal, run.stdout], [0, null, 'done\n']);
});

test('with every descriptor taken, a report neither throws nor prints; the next one, with descriptors free, arrives', async () => {
  const code = `
    const fs = require('node:fs');
    const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))});
    u.configure({ app: 'democli' });
    const held = [];
    try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
    u.report('democli no-descriptors');
    setTimeout(() => {
      held.forEach((fd) => fs.closeSync(fd));
      u.report('democli descriptors-back');
      console.log(held.length > 0 ? 'ok' : 'none held');
    }, 100);
  `;
  const before = events().length;
  const run = spawnSync('sh', ['-c', 'ulimit -n 128 && exec "$0" -e "$1"', process.execPath, code], { env, encoding: 'utf8', timeout: 30000 });
  assert.deepEqual([run.status, run.stdout, run.stderr], [0, 'ok\n', '']);
  const got = await waitFor(() => events().slice(before).find((e) => e.properties.command_name === 'democli descriptors-back'));
  assert.ok(got);
});

test('require() works (CommonJS, as on Node 18) and both faces are the same functions', () => {
  const code = `
    const cjs = require(${JSON.stringify(join(here, '..'))});
    import(${JSON.stringify(join(here, '..', 'index.js'))}).then((esm) => {
      console.log(typeof cjs.track, esm.track === cjs.track, Object.keys(esm).sort().join());
    });
  `;
  const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30000 });
  assert.equal(run.stdout, 'function true command,commander,configure,errorType,forget,history,level,login,logout,report,track\n');
});

test('facts, the principal id included, travel on stdin: nothing in argv', async () => {
  const bin = join(tmp, 'fakebin');
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(tmp, 'calls'));
  writeFileSync(join(bin, 'usage-report'), `#!/bin/sh\ncat >${tmp}/calls/stdin.$$\necho "$*" >${tmp}/calls/argv.$$\n`, { mode: 0o755 });
  const code = `
    const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))});
    u.configure({ app: 'democli', cliVersion: '2.0' });
    u.login('user-secret-42', { durationMs: 12, properties: { method: 'oauth' } });
    u.report('democli x', { exitCode: 1, error: 'oops', properties: { token_count: 3 } });
  `;
  spawnSync(process.execPath, ['-e', code], { env: { ...env, PATH: `${bin}:${env.PATH}` }, timeout: 30000 });
  const calls = () => readdirSync(join(tmp, 'calls'));
  await waitFor(() => calls().filter((f) => f.startsWith('argv.')).length === 2);
  const of = (prefix) => calls().filter((f) => f.startsWith(prefix)).map((f) => readFileSync(join(tmp, 'calls', f), 'utf8'));
  assert.deepEqual(of('argv.').sort(), ['--app democli login --json -\n', '--app democli track --json -\n']);
  const docs = of('stdin.').map((l) => JSON.parse(l));
  const login = docs.find((d) => d.principal_id);
  assert.deepEqual(login, { duration_ms: 12, cli_version: '2.0', properties: { method: 'oauth' }, principal_id: 'user-secret-42' });
});

test('wrapped functions, sync and async, return and throw exactly what they did', async () => {
  const code = `
    import * as u from ${JSON.stringify(join(here, '..', 'index.js'))};
    u.configure({ app: 'democli' });
    const add = u.command('democli add', (a, b) => a + b);
    const later = u.command('democli later', async (x) => x * 2);
    const boom = u.command('democli boom', () => { const e = new RangeError('too far'); e.exitCode = 3; throw e; });
    let threw = false;
    try { boom(); } catch (e) { threw = e instanceof RangeError; }
    console.log(JSON.stringify([add(2, 3), await later(21), threw]));
    u.login('user-9');
  `;
  const before = events().length;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8', timeout: 30000 });
  assert.equal(run.stdout, '[5,42,true]\n');
  const got = await waitFor(() => events().length >= before + 5 && events().slice(before));
  const by = Object.fromEntries(got.map((e) => [e.properties.command_name ?? e.event, e]));
  assert.equal(by['democli add'].properties.outcome, 'success');
  assert.deepEqual([by['democli boom'].properties.exit_code, by['democli boom'].properties.error_type], [3, 'range_error']);
  assert.equal(by.$create_alias.distinct_id, 'user-9');
  assert.equal(by.login.distinct_id, 'user-9');
});

test("the host's own event variables do not leak into a report", async () => {
  const code = `
    import * as u from ${JSON.stringify(join(here, '..', 'index.js'))};
    u.configure({ app: 'democli' });
    u.command('democli clean', () => 1)();
  `;
  const before = events().length;
  const stale = { USAGE_REPORT_ERROR: 'stale', USAGE_REPORT_EXIT_CODE: '9', USAGE_REPORT_EVENT: 'stale event', USAGE_REPORT_CLI_VERSION: '9.9.9' };
  spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...env, ...stale }, timeout: 30000 });
  const [e] = await waitFor(() => events().length > before && events().slice(before));
  assert.deepEqual([e.event, e.properties.outcome, e.properties.exit_code, e.properties.cli_version],
    ['CLI execution succeeded', 'success', 0, undefined]);
});

test("level() persists the user's choice and returns what usage-report said", async () => {
  writeFileSync(join(env.HOME, '.config', 'usage-report', 'levelcli.conf'), `[posthog]\nhost = ${url}\napi_key = phc_k\n[consent]\nnotice = off\n`);
  const code = `
    const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))});
    u.configure({ app: 'levelcli' });
    process.stdout.write(u.level('errors'));
    console.log(u.level('most'));
    u.report('levelcli ok');
    u.report('levelcli bad', { exitCode: 2 });
  `;
  const run = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30000 });
  assert.deepEqual([run.status, run.stderr], [0, '']);
  assert.equal(run.stdout, 'usage reporting level for levelcli: errors (failed runs only; a successful one records nothing)\nnull\n');
  await waitFor(() => events().some((e) => e.properties.command_name === 'levelcli bad'));
  assert.deepEqual(events().filter((e) => e.properties.app === 'levelcli').map((e) => e.properties.command_name), ['levelcli bad']);
  const cjs = JSON.stringify(join(here, '..', 'index.cjs'));
  const historyOf = () => spawnSync(process.execPath, ['-e', `
    const u = require(${cjs});
    u.configure({ app: 'levelcli' });
    const lines = (u.history({ json: true, n: 5 }) || '').split('\\n').filter(Boolean).map((l) => JSON.parse(l));
    console.log(lines.map((l) => (l.body ? l.body.batch[0].properties.command_name : 'queued')).join());`],
  { env, encoding: 'utf8', timeout: 30000 }).stdout;
  // the sender writes its history just after the intake answered: poll
  assert.equal(await waitFor(() => historyOf() === 'levelcli bad\n' && 'levelcli bad\n'), 'levelcli bad\n');
  const forgot = spawnSync(process.execPath, ['-e', `
    const u = require(${cjs});
    u.configure({ app: 'levelcli' });
    console.log(u.forget({ disable: true }).trim().split('\\n').pop());
    console.log(u.forget());`], { env, encoding: 'utf8', timeout: 30000 });
  assert.deepEqual([forgot.status, forgot.stderr], [0, '']);
  assert.equal(forgot.stdout, 'usage reporting is now off (that one request still goes).\nnull\n');
  await waitFor(() => events().some((e) => e.event === 'usage-report forget requested' && e.properties.app === 'levelcli'));
  const missing = spawnSync(process.execPath, ['-e', `const u = require(${JSON.stringify(join(here, '..', 'index.cjs'))}); console.log(u.level('all'), u.history(), u.forget())`],
    { env: { ...env, PATH: '/nonexistent' }, encoding: 'utf8', timeout: 30000 });
  assert.equal(missing.stdout, 'null null null\n');
});

test('without usage-report installed, nothing happens and nothing breaks', () => {
  const code = `
    import * as u from ${JSON.stringify(join(here, '..', 'index.js'))};
    console.log(u.command('x', () => 'ran')());
    u.login(); u.logout(); u.report('y');
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...env, PATH: '/nonexistent' }, encoding: 'utf8', timeout: 30000 });
  assert.equal(run.status, 0);
  assert.equal(run.stdout, 'ran\n');
  assert.equal(run.stderr, '');
});

test('on Windows: the win32-x64 package\'s usage-report.exe, started with no console window and not waited for', async () => {
  // Windows' branch, on Linux: the package as npm lays it out, its usage-report.exe a script
  // that records how it was started and then waits for a file this test makes
  const dir = mkdtempSync(join(tmp, 'win-'));
  const pkg = join(dir, 'node_modules', '@usage-report', 'win32-x64');
  const helper = join(dir, 'node_modules', 'usage-report');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  mkdirSync(helper, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@usage-report/win32-x64', version: '0.0.0' }));
  writeFileSync(join(helper, 'index.cjs'), readFileSync(join(here, '..', 'index.cjs')));
  const mark = join(dir, 'mark');
  writeFileSync(join(pkg, 'bin', 'usage-report.exe'),
    `#!/bin/sh\nexec 2>/dev/null # the host's stderr: spawnSync below would wait for it\nprintf '%s\\n' "$@" >'${mark}.args'\ncat >'${mark}.stdin'\n` +
    `while [ ! -e '${mark}.release' ]; do sleep 0.05; done\ntouch '${mark}.done'\n`, { mode: 0o755 });
  const code = `
    const cp = require('node:child_process');
    const options = [];
    const spawn = cp.spawn;
    cp.spawn = (file, args, opts) => { options.push({ file, opts }); return spawn(file, args, opts); };
    Object.defineProperty(process, 'platform', { value: 'win32' });
    Object.defineProperty(process, 'arch', { value: 'x64' });
    const u = require(${JSON.stringify(join(helper, 'index.cjs'))});
    u.configure({ app: 'democli' });
    u.report('democli on-windows', { exitCode: 0 });
    console.log(JSON.stringify(options.map(({ file, opts }) => ({ file, windowsHide: opts.windowsHide, stdio: opts.stdio }))));
  `;
  const run = spawnSync(process.execPath, ['-e', code], { env, cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.deepEqual([run.status, run.stderr], [0, '']);
  // node has exited while usage-report.exe still waits: nothing waited for it
  assert.deepEqual(JSON.parse(run.stdout), [{ file: join(pkg, 'bin', 'usage-report.exe'), windowsHide: true, stdio: ['pipe', 'ignore', 'inherit'] }]);
  assert.equal(existsSync(`${mark}.done`), false);
  writeFileSync(`${mark}.release`, '');
  await waitFor(() => existsSync(`${mark}.done`));
  assert.deepEqual(readFileSync(`${mark}.args`, 'utf8').split('\n').slice(0, 3), ['--app', 'democli', 'track']);
  assert.equal(JSON.parse(readFileSync(`${mark}.stdin`, 'utf8')).command, 'democli on-windows');
});
