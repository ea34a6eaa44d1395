#!/usr/bin/env python3
"""bench.py — what usage-report costs a command, measured against the alternatives a CLI
author would pick instead, all doing the same job against the same local test intake.

Usage: bench.py BUILDDIR [--runs N] [--out FILE]
Prints a Markdown report of medians and ratios measured in the same run (interleaved
rounds after a warm-up, N runs each, default 40). Nothing here asserts a time.
"""
import argparse
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
SRCDIR = os.path.dirname(HERE)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, builddir, runs):
        self.builddir = os.path.abspath(builddir)
        self.srcdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.runs = runs
        self.ur = os.path.join(self.builddir, "src", "usage-report")
        self.sender = os.path.join(self.builddir, "src", "usage-report-sender")
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "src", "common", "sender-proto.h")) as f:
            self.proto = re.search(r"#define SENDER_PROTO_VERSION (\d+)", f.read()).group(1)
        self.tmp = tempfile.mkdtemp(prefix="usage-report-bench-")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("USAGE_REPORT_") and k not in ("DO_NOT_TRACK", "CI")}
        env.update(HOME=self.home, XDG_CONFIG_HOME=self.home + "/.config",
                   XDG_STATE_HOME=self.home + "/.local/state", LC_ALL="C",
                   no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")
        os.environ.clear()
        os.environ.update(env)
        self.results = {}
        self.notes = []

    # --- set-up -------------------------------------------------------------------------

    def build_harness(self):
        self.harness = os.path.join(self.tmp, "spawnbench")
        subprocess.run(["cc", "-O2", "-o", self.harness, os.path.join(HERE, "spawnbench.c")], check=True)

    def start_intake(self):
        folder = os.path.join(self.tmp, "intake")
        os.makedirs(folder)
        self.intake = subprocess.Popen([sys.executable, os.path.join(SRCDIR, "tests", "intake.py"), folder],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(folder, "port")
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if time.time() > deadline:
                raise SystemExit("bench: the test intake did not start")
            time.sleep(0.02)
        self.url = "http://127.0.0.1:" + open(port_file).read().strip()
        self.requests_log = os.path.join(folder, "requests.jsonl")

    def state(self, app):
        return os.path.join(self.home, ".local/state/usage-report", app)

    def config(self, app, extra=""):
        path = os.path.join(self.home, ".config/usage-report", app + ".conf")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("[posthog]\nhost = %s\napi_key = phc_benchkey\n[consent]\nnotice = off\n%s" % (self.url, extra))
        return path

    def hold_delivery(self, app):
        """Make the app's intake look in backoff for an hour: no sender is started."""
        path = os.path.join(self.state(app), "delivery.json")
        with open(path, "w") as f:
            f.write('{"failures":1}')
        t = time.time() + 3600
        os.utime(path, (t, t))

    def setup_apps(self):
        for app in ("bench-on", "bench-off", "bench-q0", "bench-q999", "bench-snd"):
            self.config(app)
            subprocess.run([self.ur, "--app", app, "--command", "warm-up", "--wait"], check=True)
        # a project_file searched for and never found: the whole walk, every run
        self.config("bench-proj", "project_file = .bench-no-telemetry\n")
        subprocess.run([self.ur, "--app", "bench-proj", "--command", "warm-up", "--wait"], check=True)
        self.deep = os.path.join(self.tmp, *("d%02d" % i for i in range(20)))
        os.makedirs(self.deep)
        subprocess.run([self.ur, "--app", "bench-off", "disable"], check=True, capture_output=True)
        for app in ("bench-q0", "bench-q999", "bench-snd", "bench-proj"):
            self.hold_delivery(app)
        for i in range(999):
            subprocess.run([self.ur, "--app", "bench-q999", "--command", "q%d" % i], check=True)
        queued = len(os.listdir(os.path.join(self.state("bench-q999"), "queue")))
        log("bench: %d events queued for the 999 case" % queued)
        # the body one event makes, for curl and the other senders
        out = subprocess.run([self.ur, "--app", "bench-on", "--command", "bench", "--duration", "5", "--dry-run"],
                             capture_output=True, text=True, check=True).stdout
        body = out[out.index("\n{") + 1:].strip()
        self.body = json.loads(body)
        self.body_path = os.path.join(self.tmp, "body.json")
        with open(self.body_path, "w") as f:
            json.dump(self.body, f)
        self.body_gz = os.path.join(self.tmp, "body.json.gz")
        with gzip.open(self.body_gz, "wb") as f:
            f.write(json.dumps(self.body).encode())

    def install_posthog_node(self):
        cache = os.environ.get("USAGE_REPORT_BENCH_CACHE") or os.path.join(self.builddir, "bench-cache")
        module = os.path.join(cache, "node_modules", "posthog-node")
        if not shutil.which("node") or not shutil.which("npm"):
            self.notes.append("posthog-node skipped: node or npm is not installed")
            return None
        if not os.path.isdir(module):
            log("bench: installing posthog-node into %s" % cache)
            os.makedirs(cache, exist_ok=True)
            try:
                subprocess.run(["npm", "install", "--prefix", cache, "--no-audit", "--no-fund", "--silent",
                                "posthog-node"], check=True, timeout=300, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            except (subprocess.SubprocessError, OSError) as e:
                self.notes.append("posthog-node skipped: npm install failed (%s)" % e.__class__.__name__)
                return None
        return module

    # --- measurements -------------------------------------------------------------------

    def spawnbench(self, settle, commands, runs=None):
        argv = [self.harness, str(runs or self.runs), "5", settle, "--"]
        for i, (name, cmd) in enumerate(commands):
            if i:
                argv.append("::")
            argv += [name, *cmd]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        lines = [json.loads(line) for line in out.splitlines()]
        # the last line: the CPU of what the commands left running, by program
        return {r["name"]: r for r in lines[:-1]}, lines[-1]["background"]

    def foreground(self, posthog_node):
        on_lock = os.path.join(self.state("bench-on"), "sender.lock")
        q0 = os.path.join(self.state("bench-q0"), "queue")
        qp = os.path.join(self.state("bench-proj"), "queue")
        # before every run: the previous run's sender has finished, and the 0-queues are empty
        settle = "flock -w 15 %s true; rm -f %s/*.json %s/*.json" % (on_lock, q0, qp)
        post = ("import json, os, urllib.request\n"
                "req = urllib.request.Request(os.environ['URL'] + '/batch/', data=open(os.environ['BODY'], 'rb').read(),"
                " headers={'Content-Type': 'application/json'})\n"
                "urllib.request.urlopen(req, timeout=5).read()\n")
        spawn_detached = ("import os, subprocess, sys\n"
                          "subprocess.Popen([sys.executable, '-c', %r], start_new_session=True,"
                          " stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,"
                          " env={**os.environ, 'URL': %r, 'BODY': %r})\n" % (post, self.url, self.body_path))
        commands = [
            ("/bin/true", ["/bin/true"]),
            ("usage-report track (sender spawned)", [self.ur, "--app", "bench-on", "--command", "bench", "--duration", "5"]),
            ("usage-report track, consent off", [self.ur, "--app", "bench-off", "--command", "bench"]),
            *self.static_commands(),
            ("usage-report track, 0 queued", [self.ur, "--app", "bench-q0", "--command", "bench"]),
            ("usage-report track, 999+ queued", [self.ur, "--app", "bench-q999", "--command", "bench"]),
            ("usage-report --dry-run", [self.ur, "--app", "bench-on", "--command", "bench", "--dry-run"]),
            ("env -C / usage-report track, project_file, 0 queued", ["env", "-C", "/", self.ur, "--app", "bench-proj", "--command", "bench"]),
            ("env -C 20-deep usage-report track, project_file, 0 queued", ["env", "-C", self.deep, self.ur, "--app", "bench-proj", "--command", "bench"]),
            ("usage-report exec -- /bin/true (sender spawned)", [self.ur, "--app", "bench-on", "exec", "--", "/bin/true"]),
            ("sh + backgrounded curl (Homebrew)", ["sh", "-c",
                "curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @%s %s/batch/ >/dev/null 2>&1 &"
                % (self.body_path, self.url)]),
            ("python3 + detached sender (Arcade, AssemblyAI)", [sys.executable, "-c", spawn_detached]),
        ]
        if posthog_node:
            script = os.path.join(self.tmp, "posthog-node.js")
            with open(script, "w") as f:
                f.write("const { PostHog } = require(%r);\n"
                        "const c = new PostHog('phc_benchkey', { host: %r, flushAt: 1, flushInterval: 0 });\n"
                        "c.capture({ distinctId: 'bench', event: 'CLI execution succeeded',"
                        " properties: { command_name: 'bench' } });\n"
                        "c.shutdown();\n" % (posthog_node, self.url))
            commands.append(("node + posthog-node capture/shutdown", ["node", script]))
        log("bench: foreground, %d runs of %d commands, interleaved" % (self.runs, len(commands)))
        self.results["foreground"], _ = self.spawnbench(settle, commands)

    def static_commands(self):
        """The static executable of make dist-static (no dynamic loader), when it was built."""
        static = os.path.join(self.builddir, "dist", "static", platform.machine(), "usage-report")
        if not os.access(static, os.X_OK):
            return []
        return [("static usage-report track (sender spawned)", [static, "--app", "bench-on", "--command", "bench", "--duration", "5"]),
                ("static usage-report track, 0 queued", [static, "--app", "bench-q0", "--command", "bench"])]

    def sizes(self):
        """What pip and npm bring: each static executable, each wheel and npm tarball, and
        what each installs (the sum of its members' sizes)."""
        dist = os.path.join(self.builddir, "dist")
        rows = []
        for arch in ("x86_64", "aarch64"):
            folder = os.path.join(dist, "static", arch)
            if os.path.isdir(folder):
                sizes = [os.path.getsize(os.path.join(folder, p)) for p in ("usage-report", "usage-report-sender")]
                rows.append(("static executables, %s: usage-report + usage-report-sender" % arch,
                             "%.2f + %.2f = %.2f" % (sizes[0] / MIB, sizes[1] / MIB, sum(sizes) / MIB), ""))
        for name in sorted(os.listdir(dist)) if os.path.isdir(dist) else []:
            if name.endswith(".whl"):
                path = os.path.join(dist, name)
                with zipfile.ZipFile(path) as z:
                    installed = sum(i.file_size for i in z.infolist())
                rows.append(("wheel " + name.split("-py3-none-")[1], "%.2f" % (os.path.getsize(path) / MIB),
                             "%.2f" % (installed / MIB)))
        npm = os.path.join(dist, "npm")
        for name in sorted(os.listdir(npm)) if os.path.isdir(npm) else []:
            path = os.path.join(npm, name)
            with tarfile.open(path) as t:
                installed = sum(m.size for m in t.getmembers())
            rows.append(("npm " + name, "%.2f" % (os.path.getsize(path) / MIB), "%.2f" % (installed / MIB)))
        self.results["sizes"] = rows
        if not rows:
            self.notes.append("nothing in dist/ (make dist-static wheel npm-packages): the static rows are missing")

    def burst(self):
        # Commands back to back, as from a script: the first track starts a sender, which
        # stays half a second after the queue empties; the others find it running.
        self.config("bench-burst")
        subprocess.run([self.ur, "--app", "bench-burst", "--command", "warm-up", "--wait"], check=True)
        commands = [
            ("/bin/true", ["/bin/true"]),
            ("usage-report track, a sender running (one per burst)",
             [self.ur, "--app", "bench-burst", "--command", "bench", "--duration", "5"]),
            ("sh + backgrounded curl (Homebrew)", ["sh", "-c",
                "curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @%s %s/batch/ >/dev/null 2>&1 &"
                % (self.body_path, self.url)]),
        ]
        log("bench: a burst, %d runs of %d commands, back to back" % (self.runs * 5, len(commands)))
        self.results["burst"], left_behind = self.spawnbench("", commands, runs=self.runs * 5)
        # the work each command left behind, per command: the senders' CPU, the curls'
        self.results["burst_background"] = {
            "usage-report track, a sender running (one per burst)": left_behind.get("usage-report-se", {}),
            "sh + backgrounded curl (Homebrew)": left_behind.get("curl", {})}
        lock = os.path.join(self.state("bench-burst"), "sender.lock")
        subprocess.run(["flock", "-w", "15", lock, "true"], check=True)
        self.results["burst_requests"] = sum(1 for line in open(os.path.join(self.state("bench-burst"), "sent.log"))
                                            if '"events"' in line) - 1

    def background(self):
        snd = self.state("bench-snd")
        conf = self.config("bench-snd")
        # Before each run one event is queued with delivery held, so that the run queueing it
        # starts no sender of its own: the measured sender never waits for another's lock (a
        # delivery clears the backoff, so it is set again every time).
        held = os.path.join(snd, "delivery.json")
        settle = ("printf '{\"failures\":1}' >%s && touch -d '+1 hour' %s && "
                  "{ ls %s/queue | grep -q . || %s --app bench-snd --command one; }" % (held, held, snd, self.ur))
        static = os.path.join(self.builddir, "dist", "static", platform.machine(), "usage-report-sender")
        sender_args = ["--app", "bench-snd", "--config", conf, "--foreground", "--ignore-backoff", "--proto", self.proto]
        commands = [
            ("usage-report-sender, one event", [self.sender, *sender_args]),
            *([("usage-report-sender, static (what pip and npm ship)", [static, *sender_args])]
              if os.access(static, os.X_OK) else []),
            ("curl, the same body gzip'd", ["curl", "-s", "-o", "/dev/null", "-H", "Content-Type: application/json",
                                           "-H", "Content-Encoding: gzip", "--data-binary", "@" + self.body_gz,
                                           self.url + "/batch/"]),
        ]
        log("bench: background cost, %d runs" % self.runs)
        self.results["background"], _ = self.spawnbench(settle, commands)

    def scale(self, n=1000):
        app = "bench-scale"
        self.config(app)
        subprocess.run([self.ur, "--app", app, "--command", "warm-up", "--wait"], check=True)
        before = self.count_requests()
        alive, stop = [0], threading.Event()

        def sample():
            while not stop.is_set():
                out = subprocess.run(["pgrep", "-c", "-f", "usage-report-sender --app " + app],
                                     capture_output=True, text=True).stdout.strip()
                alive[0] = max(alive[0], int(out or 0))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        log("bench: %d concurrent tracks" % n)
        start = time.monotonic()
        procs = [subprocess.Popen([self.ur, "--app", app, "--command", "c%d" % i], stdin=subprocess.DEVNULL)
                 for i in range(n)]
        for p in procs:
            p.wait()
        callers_done = time.monotonic() - start
        deadline = time.time() + 60
        while self.delivered_since(before) < n and time.time() < deadline:
            time.sleep(0.01)
        delivered_at = time.monotonic() - start
        stop.set()
        sampler.join()
        self.results["scale"] = {
            "calls": n, "callers_done_s": callers_done, "all_delivered_s": delivered_at,
            "delivered": self.delivered_since(before), "requests": self.count_requests() - before,
            "max_senders": alive[0]}

    def count_requests(self):
        with open(self.requests_log) as f:
            return sum(1 for line in f if '"/batch/"' in line)

    def delivered_since(self, skip):
        n = 0
        with open(self.requests_log) as f:
            lines = [json.loads(l) for l in f if '"/batch/"' in l]
        for r in lines[skip:]:
            if r["status"] == 200 and isinstance(r["body"], dict):
                n += len(r["body"].get("batch", []))
        return n

    def in_process(self, posthog_node):
        """What a Python or Node CLI pays inside its own process."""
        argv = [self.ur, "--app", "bench-on", "--command", "bench"]
        lock = os.path.join(self.state("bench-on"), "sender.lock")
        post = ("import urllib.request, os\n"
                "urllib.request.urlopen(urllib.request.Request(os.environ['URL'] + '/batch/',"
                " data=open(os.environ['BODY'], 'rb').read(), headers={'Content-Type': 'application/json'}), timeout=5)\n")
        ours, nowait, theirs = [], [], []
        for i in range(self.runs + 5):
            subprocess.run(["flock", "-w", "15", lock, "true"])
            t = time.perf_counter()
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            a = time.perf_counter() - t
            subprocess.run(["flock", "-w", "15", lock, "true"])
            t = time.perf_counter()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            c = time.perf_counter() - t
            p.wait()
            t = time.perf_counter()
            subprocess.Popen([sys.executable, "-c", post], start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "URL": self.url, "BODY": self.body_path})
            b = time.perf_counter() - t
            if i >= 5:
                ours.append(a * 1e3)
                nowait.append(c * 1e3)
                theirs.append(b * 1e3)
        self.results["python_in_process"] = {"usage-report via subprocess.run (waits for it)": statistics.median(ours),
                                             "usage-report via Popen (no wait, like the sender below)": statistics.median(nowait),
                                             "Popen of a detached stdlib POST": statistics.median(theirs)}
        # the helper package: what usage_report.report() (and so @command/track) costs the host
        helper = ("import json, os, statistics, subprocess, sys, time\n"
                  "sys.path.insert(0, %r)\n"
                  "import usage_report\n"
                  "usage_report.configure(app='bench-on', binary=%r)\n"
                  "ts = []\n"
                  "for i in range(%d):\n"
                  "    subprocess.run(['flock', '-w', '15', %r, 'true'])\n"
                  "    t = time.perf_counter()\n"
                  "    usage_report.report('bench', 5, 0)\n"
                  "    ts.append((time.perf_counter() - t) * 1e3)\n"
                  "    time.sleep(0.01)\n"
                  "print(json.dumps(statistics.median(ts[5:])))\n"
                  % (os.path.join(self.srcdir, "python"), self.ur, self.runs + 5, lock))
        self.results["python_in_process"]["usage_report package: report(), the cost of @command/track"] = \
            json.loads(subprocess.run([sys.executable, "-c", helper], capture_output=True, text=True, check=True).stdout)
        for _, cmd in self.static_commands()[:1]:  # the same, running the static executable (a wheel's)
            self.results["python_in_process"]["usage_report package: report(), static executable (the wheel's)"] = \
                json.loads(subprocess.run([sys.executable, "-c", helper.replace(repr(self.ur), repr(cmd[0]))],
                                          capture_output=True, text=True, check=True).stdout)
        if shutil.which("node"):
            # the helper with the native starter make check built (node/usage-report.node, what
            # the Linux platform packages carry) beside it, and without (child_process, as on
            # Windows or a musl Node): two copies
            plain, module = os.path.join(self.tmp, "node-plain"), os.path.join(self.tmp, "node-native", "index.js")
            for folder in (plain, os.path.dirname(module)):
                os.makedirs(folder, exist_ok=True)
                for name in ("index.js", "index.cjs", "package.json"):
                    shutil.copy(os.path.join(self.srcdir, "node", name), folder)
            native = os.path.exists(os.path.join(self.builddir, "node", "usage-report.node"))
            if native:
                shutil.copy(os.path.join(self.builddir, "node", "usage-report.node"), os.path.dirname(module))
            self.node_helper_ms = self.node_helper(module, self.ur, lock)
            for _, cmd in self.static_commands()[:1]:  # the same, running the static executable (npm's)
                self.node_helper_static_ms = self.node_helper(module, cmd[0], lock)
                self.node_helper_plain_ms = self.node_helper(os.path.join(plain, "index.js"), cmd[0], lock)
            self.node_native = native
            # Node's own floor: a bare spawn of /bin/true, as the helper starts usage-report
            # without its starter (libuv forks the whole process and waits until the child has exec'd)
            self.node_spawn_floor_ms = self.node_median(
                "import { spawn } from 'node:child_process';",
                "const c = spawn('/bin/true', [], { stdio: ['pipe', 'ignore', 'inherit'] });\n"
                "c.stdin.on('error', () => {}); c.stdin.end('{}'); c.unref();")
        if posthog_node:
            script = os.path.join(self.tmp, "in-process.js")
            with open(script, "w") as f:
                f.write("""
const { spawnSync, execFileSync } = require('child_process');
const { PostHog } = require(%r);
const runs = %d, ours = [], theirs = [];
const median = a => a.sort((x, y) => x - y)[a.length >> 1];
(async () => {
  for (let i = 0; i < runs + 5; i++) {
    execFileSync('flock', ['-w', '15', %r, 'true']);
    let t = process.hrtime.bigint();
    spawnSync(%r, %s, { stdio: 'ignore' });
    const a = Number(process.hrtime.bigint() - t) / 1e6;
    t = process.hrtime.bigint();
    const c = new PostHog('phc_benchkey', { host: %r, flushAt: 1, flushInterval: 0 });
    c.capture({ distinctId: 'bench', event: 'CLI execution succeeded', properties: { command_name: 'bench' } });
    await c.shutdown();
    const b = Number(process.hrtime.bigint() - t) / 1e6;
    if (i >= 5) { ours.push(a); theirs.push(b); }
  }
  console.log(JSON.stringify({ ours: median(ours), theirs: median(theirs) }));
})();
""" % (posthog_node, self.runs, lock, self.ur, json.dumps(argv[1:]), self.url))
            out = json.loads(subprocess.run(["node", script], capture_output=True, text=True, check=True).stdout)
            self.results["node_in_process"] = {"usage-report via spawnSync": out["ours"],
                                               "posthog-node capture + shutdown": out["theirs"]}
        if getattr(self, "node_helper_ms", None) is not None:
            starter = "native starter" if self.node_native else "child_process: no native starter was built"
            self.results.setdefault("node_in_process", {"usage-report via spawnSync": float("nan")})
            self.results["node_in_process"]["usage-report package: report(), the cost of command()/commander (%s)" % starter] = \
                self.node_helper_ms
        if getattr(self, "node_helper_static_ms", None) is not None:
            self.results["node_in_process"]["usage-report package: report(), static executable (npm's, %s)" % starter] = \
                self.node_helper_static_ms
            self.results["node_in_process"]["usage-report package: report(), static executable, child_process (Windows, musl)"] = \
                self.node_helper_plain_ms
        if getattr(self, "node_spawn_floor_ms", None) is not None:
            self.results["node_in_process"]["Node's own floor: spawn of /bin/true, stdin piped"] = self.node_spawn_floor_ms

    def node_median(self, setup, call, before=""):
        """The median ms, in a Node ES module after setup, of call (before each: before, untimed)."""
        script = os.path.join(self.tmp, "median.mjs")
        with open(script, "w") as f:
            f.write("""
%s
const ts = [];
for (let i = 0; i < %d; i++) {
  %s
  const t = process.hrtime.bigint();
  %s
  ts.push(Number(process.hrtime.bigint() - t) / 1e6);
  await new Promise((r) => setTimeout(r, 10));
}
const rest = ts.slice(5).sort((x, y) => x - y);
console.log(JSON.stringify(rest[rest.length >> 1]));
""" % (setup, self.runs + 5, before, call))
        return json.loads(subprocess.run(["node", script], capture_output=True, text=True, check=True).stdout)

    def node_helper(self, module, binary, lock):
        """The median ms of the Node helper's report() (module: its index.js) running binary."""
        return self.node_median(
            "import { execFileSync } from 'node:child_process';\n"
            "const u = await import(%r);\nu.configure({ app: 'bench-on', binary: %r });" % (module, binary),
            "u.report('bench', { durationMs: 5 });",
            before="execFileSync('flock', ['-w', '15', %r, 'true']);" % lock)

    # --- report -------------------------------------------------------------------------

    def report(self):
        fg = self.results["foreground"]
        base = fg["/bin/true"]["median_ms"]
        lines = ["Machine: %s, %d cores, %s %s; %d interleaved runs after 5 warm-up rounds; medians."
                 % (platform.machine(), os.cpu_count(), platform.system(), platform.release(), self.runs), "",
                 "| foreground: one command run | median ms | p90 ms | × /bin/true | CPU ms | peak RSS KiB |",
                 "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, r in fg.items():
            lines.append("| %s | %.2f | %.2f | %.2f | %.2f | %d |" % (
                name, r["median_ms"], r["p90_ms"], r["median_ms"] / base, r["cpu_ms"], r["maxrss_kib"]))
        q0, q999 = fg["usage-report track, 0 queued"]["median_ms"], fg["usage-report track, 999+ queued"]["median_ms"]
        lines.append("")
        lines.append("Queue length: 999+ vs 0 queued = %.2f×." % (q999 / q0))
        shallow = fg["env -C / usage-report track, project_file, 0 queued"]["median_ms"]
        deep = fg["env -C 20-deep usage-report track, project_file, 0 queued"]["median_ms"]
        lines.append("project_file searched from a folder %d levels deep vs from / = %.2f×."
                     % (self.deep.count("/"), deep / shallow))
        b = self.results["burst"]
        bbase = b["/bin/true"]["median_ms"]
        behind = {name: r.get("cpu_ms", 0.0) / b[name]["runs"] for name, r in self.results["burst_background"].items()}
        lines += ["", "| a burst: commands back to back | median ms | p90 ms | × /bin/true | CPU ms | background CPU ms per event |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, r in b.items():
            lines.append("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
                name, r["median_ms"], r["p90_ms"], r["median_ms"] / bbase, r["cpu_ms"], behind.get(name, 0.0)))
        lines.append("")
        lines.append("In the burst, %d tracks were delivered in %d requests (sent.log). The background CPU is what the "
                     "processes a command left behind used (the senders, the backgrounded curls; reaped by the harness, "
                     "a subreaper), divided by the commands: per event, the sender used %.2f× curl's CPU."
                     % (b["usage-report track, a sender running (one per burst)"]["runs"] + 5, self.results["burst_requests"],
                        behind["usage-report track, a sender running (one per burst)"] / behind["sh + backgrounded curl (Homebrew)"]))
        bg = self.results["background"]
        c = bg["curl, the same body gzip'd"]
        lines += ["", "| background: delivering one event | median ms | CPU ms | × curl CPU | peak RSS KiB |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for name, title in (("usage-report-sender, one event", "usage-report-sender"),
                            ("usage-report-sender, static (what pip and npm ship)", "usage-report-sender, static (pip, npm)")):
            if name in bg:
                r = bg[name]
                lines.append("| %s | %.2f | %.2f | %.2f | %d |" % (title, r["median_ms"], r["cpu_ms"], r["cpu_ms"] / c["cpu_ms"],
                                                                 r["maxrss_kib"]))
        lines.append("| curl, same body | %.2f | %.2f | 1.00 | %d |" % (c["median_ms"], c["cpu_ms"], c["maxrss_kib"]))
        for key, title in (("python_in_process", "inside a Python CLI"), ("node_in_process", "inside a Node CLI")):
            if key in self.results:
                r = self.results[key]
                names = list(r)
                lines += ["", "| %s | median ms | × usage-report |" % title, "| --- | ---: | ---: |"]
                for n in names:
                    lines.append("| %s | %.2f | %.2f |" % (n, r[n], r[n] / r[names[0]]))
        if self.results.get("sizes"):
            lines += ["", "| what pip and npm bring | file MiB | installed MiB |", "| --- | ---: | ---: |"]
            lines += ["| %s | %s | %s |" % row for row in self.results["sizes"]]
        sc = self.results["scale"]
        lines += ["", "Scale: %(calls)d concurrent `track` calls returned in %(callers_done_s).2f s; all "
                  "%(delivered)d events delivered %(all_delivered_s).2f s after the start, in %(requests)d HTTP "
                  "requests; at most %(max_senders)d sender(s) alive at once." % sc]
        for note in self.notes:
            lines.append("\nNote: " + note)
        return "\n".join(lines) + "\n"

    def cleanup(self):
        if getattr(self, "intake", None):
            self.intake.terminate()
        deadline = time.time() + 12
        while time.time() < deadline and subprocess.run(["pgrep", "-f", "usage-report-sender --app bench"],
                                                         capture_output=True).returncode == 0:
            time.sleep(0.05)
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--out")
    args = ap.parse_args()
    b = Bench(args.builddir, max(args.runs, 30))
    try:
        b.build_harness()
        b.start_intake()
        b.setup_apps()
        node = b.install_posthog_node()
        b.foreground(node)
        b.burst()
        b.background()
        b.in_process(node)
        b.scale()
        b.sizes()
        text = b.report()
    finally:
        b.cleanup()
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
