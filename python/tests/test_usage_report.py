"""test_usage_report.py — the Python helper, end to end: a real argparse CLI (democli.py)
reports through the package alone to the test intake on 127.0.0.1.

Run: python3 -m unittest discover -s python/tests (the build's src/ must hold usage-report;
USAGE_REPORT_BUILDDIR and USAGE_REPORT_SRCDIR say where the build and the sources are).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("USAGE_REPORT_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("USAGE_REPORT_BUILDDIR") or SRCDIR


def read(path):
    with open(path) as f:
        return f.read()


def wait_for(check, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


class Intake:
    """tests/intake.py on an ephemeral port."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder)
        self.proc = subprocess.Popen([sys.executable, os.path.join(SRCDIR, "tests", "intake.py"), folder],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = wait_for(lambda: os.path.exists(os.path.join(folder, "port")) and read(os.path.join(folder, "port")).strip())
        self.url = "http://127.0.0.1:%s" % port

    def events(self):
        path = os.path.join(self.folder, "requests.jsonl")
        if not os.path.exists(path):
            return []
        out = []
        for line in read(path).splitlines():
            r = json.loads(line)
            if r["path"] == "/batch/" and r["status"] == 200:
                out += r["body"]["batch"]
        return out

    def close(self):
        self.proc.terminate()
        self.proc.wait()


class HelperEndToEnd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.intake = Intake(os.path.join(self.tmp, "intake"))
        home = os.path.join(self.tmp, "home")
        os.makedirs(os.path.join(home, ".config", "usage-report"))
        with open(os.path.join(home, ".config", "usage-report", "democli.conf"), "w") as f:
            f.write("[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\n" % self.intake.url)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("USAGE_REPORT_", "XDG_"))
                    and k not in ("DO_NOT_TRACK", "CI")}
        self.env.update(HOME=home, PATH=os.path.join(BUILDDIR, "src") + os.pathsep + os.environ["PATH"],
                        PYTHONPATH=os.path.dirname(HERE), no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")

    def tearDown(self):
        self.intake.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def python(self, code, env=None):
        """Run code in a fresh interpreter with the test's environment."""
        return subprocess.run([sys.executable, "-c", code], env=env or self.env, capture_output=True, text=True,
                              timeout=30)

    def cli(self, *args, env=None):
        return subprocess.run([sys.executable, os.path.join(HERE, "democli.py"), *args], env=env or self.env,
                              capture_output=True, text=True, timeout=30)

    def test_three_subcommands_report_their_outcomes(self):
        ok = self.cli("hello", "you")
        self.assertEqual((ok.returncode, ok.stdout, ok.stderr), (0, "hello, you\n", ""))
        failed = self.cli("fail")
        self.assertEqual(failed.returncode, 1)  # the exception still reaches the user
        self.assertIn("ValueError: could not reach the build server", failed.stderr)
        cancelled = self.cli("wait")
        self.assertEqual(cancelled.returncode, 130)
        events = {e["properties"]["command_name"]: e for e in wait_for(lambda: len(self.intake.events()) >= 3 and self.intake.events())}
        hello = events["democli hello"]["properties"]
        self.assertEqual((hello["outcome"], hello["exit_code"], hello["cli_version"], hello["app"]),
                         ("success", 0, "1.0.0", "democli"))
        self.assertEqual((hello["greeting"], hello["count"]), ("plain", 1))  # typed
        fail = events["democli fail"]["properties"]
        self.assertEqual((fail["outcome"], fail["exit_code"], fail["error_type"], fail["error_message"]),
                         ("failure", 1, "value_error", "could not reach the build server"))
        self.assertEqual(events["democli fail"]["event"], "CLI execution failed")
        wait = events["democli wait"]["properties"]
        self.assertEqual((wait["outcome"], wait["exit_code"]), ("cancelled", 130))
        self.assertNotIn("error_type", wait)

    def test_nothing_in_argv_and_nothing_left_running(self):
        # a long-running host: right after a report, no child of its is left, reaped or running
        code = ("import os, time, usage_report\n"
                "usage_report.configure(app='democli')\n"
                "usage_report.report('democli secret-free', 5, 1, error='token=abc123 failed')\n"
                "try:\n    os.waitpid(-1, os.WNOHANG); print('child left')\n"
                "except ChildProcessError:\n    print('no child')\n")
        run = self.python(code)
        self.assertEqual(run.stdout, "no child\n")
        event = wait_for(lambda: self.intake.events())[0]["properties"]
        self.assertEqual(event["error_message"], "token=<redacted> failed")

    def test_64_properties_at_their_limit_escaped_arrive_whole(self):
        # 999 bytes each of quotes and accents: 170 KB of JSON on usage-report's stdin
        code = ("import usage_report\n"
                "usage_report.configure(app='democli')\n"
                "usage_report.report('democli wide', 5, 0, properties={'p%d' % i: '\"\u00e9' * 333 for i in range(64)})\n")
        run = self.python(code)
        self.assertEqual((run.returncode, run.stderr), (0, ""))
        event = wait_for(lambda: self.intake.events())[0]["properties"]
        self.assertEqual([event["p%d" % i] for i in range(64)], ['"\u00e9' * 333] * 64)

    def test_the_hosts_own_event_variables_do_not_leak(self):
        ok = self.cli("hello", env=dict(self.env, USAGE_REPORT_ERROR="stale", USAGE_REPORT_EXIT_CODE="9"))
        self.assertEqual(ok.returncode, 0)
        event = wait_for(lambda: self.intake.events())[0]["properties"]
        self.assertEqual((event["outcome"], event["exit_code"]), ("success", 0))

    def test_missing_binary_is_a_no_op(self):
        env = dict(self.env, PATH="/nonexistent")
        ok = self.cli("hello", env=env)
        self.assertEqual((ok.returncode, ok.stdout, ok.stderr), (0, "hello, world\n", ""))
        failed = self.cli("fail", env=env)
        self.assertEqual(failed.returncode, 1)
        # the user sees the command's own error, and nothing of a missing usage-report
        self.assertEqual(failed.stderr.splitlines()[-1], "ValueError: could not reach the build server")
        self.assertNotIn("FileNotFoundError", failed.stderr)

    def test_level_persists_the_users_choice_and_says_what_it_did(self):
        code = ("import usage_report\n"
                "usage_report.configure(app='democli')\n"
                "print(usage_report.level('errors'), end='')\n"
                "print(usage_report.level('most'))\n"
                "usage_report.report('democli ok', 5, 0)\n"
                "usage_report.report('democli bad', 5, 2)\n")
        run = self.python(code)
        self.assertEqual((run.returncode, run.stderr), (0, ""))
        self.assertEqual(run.stdout, "usage reporting level for democli: errors (failed runs only; a successful one "
                                     "records nothing)\nNone\n")
        names = [e["properties"].get("command_name") for e in wait_for(lambda: self.intake.events())]
        self.assertEqual(names, ["democli bad"])
        missing = self.python("import usage_report\nprint(usage_report.level('all'), usage_report.history(), "
                              "usage_report.forget())\n", env=dict(self.env, PATH="/nonexistent"))
        self.assertEqual(missing.stdout, "None None None\n")

    def test_history_and_forget(self):
        code = ("import json, usage_report\n"
                "usage_report.configure(app='democli')\n"
                "usage_report.report('democli before', 5, 0)\n")
        self.assertEqual(self.python(code).returncode, 0)
        wait_for(lambda: self.intake.events())
        code = ("import json, usage_report\n"
                "usage_report.configure(app='democli')\n"
                "import time\n"
                "for _ in range(200):\n"
                "    lines = (usage_report.history(json=True, n=5) or '').splitlines()\n"
                "    if lines and 'body' in json.loads(lines[0]): break\n"
                "    time.sleep(0.05)\n"
                "print(json.loads(lines[0])['body']['batch'][0]['properties']['command_name'])\n"
                "print(usage_report.forget(disable=True).splitlines()[-1])\n"
                "print(usage_report.forget())\n")
        run = self.python(code)
        self.assertEqual((run.returncode, run.stderr), (0, ""))
        self.assertEqual(run.stdout, "democli before\nusage reporting is now off (that one request still goes).\nNone\n")
        events = wait_for(lambda: [e for e in self.intake.events() if e["event"] == "usage-report forget requested"])
        self.assertEqual(len(events), 1)

    def test_windows_starts_the_wheels_exe_with_no_console_window(self):
        # Windows' branch, on Linux: which executable, which flags, and what is waited for (the
        # run of usage-report.exe only: it starts its sender detached itself, design.md §9.1)
        bin_dir = os.path.join(self.tmp, "bin")
        os.makedirs(bin_dir)
        exe = os.path.join(bin_dir, "usage-report.exe")
        with open(exe, "w") as f:
            f.write("")
        os.chmod(exe, 0o755)
        code = ("import json, os, subprocess, usage_report\n"
                "calls = []\n"
                "class Proc:\n"
                "    def __init__(self, args, **kw):\n"
                "        calls.append({'args': args, 'flags': kw.get('creationflags'), 'stdin': kw.get('stdin')})\n"
                "        self.stdin = open(os.devnull, 'wb')\n"
                "    def wait(self):\n"
                "        calls.append('waited')\n"
                "subprocess.Popen = Proc\n"
                "os.name = 'nt'\n"
                "usage_report._BIN = %r\n"
                "usage_report.configure(app='democli')\n"
                "usage_report.report('democli on-windows', 5, 0)\n"
                "os.name = 'posix'\n"
                "print(json.dumps(calls))\n" % bin_dir)
        run = self.python(code)
        self.assertEqual((run.returncode, run.stderr), (0, ""))
        calls = json.loads(run.stdout)
        self.assertEqual(calls[0]["args"][:4], [exe, "--app", "democli", "track"])
        self.assertEqual(calls[0]["flags"], 0x08000000)  # CREATE_NO_WINDOW
        self.assertEqual(calls[0]["stdin"], subprocess.PIPE)
        self.assertEqual(calls[1:], ["waited"])
        # python -m usage_report: not execv (on Windows it ends the caller at once), a child
        # whose exit status is passed on
        code = ("import os, subprocess, sys, usage_report\n"
                "usage_report._BIN = %r\n"
                "subprocess.call = lambda args: print(args) or 7\n"
                "os.name = 'nt'\n"
                "from usage_report.__main__ import main\n"
                "sys.argv = ['usage_report', '--version']\n"
                "sys.exit(main())\n" % bin_dir)
        run = self.python(code)
        self.assertEqual((run.returncode, run.stdout.strip()), (7, repr([exe, "--version"])))

    def debian_cli(self, script, *args):
        """A host CLI under Debian's python3, where python3-typer and python3-click live."""
        return subprocess.run(["/usr/bin/python3", os.path.join(HERE, script), *args], env=self.env,
                              capture_output=True, text=True, timeout=30)

    def test_typer_cli_exits_errors_and_async(self):
        self.assertEqual(self.debian_cli("typercli.py", "done").returncode, 0)
        self.assertEqual(self.debian_cli("typercli.py", "exit3").returncode, 3)
        self.assertEqual(self.debian_cli("typercli.py", "api").returncode, 1)
        self.assertEqual(self.debian_cli("typercli.py", "auth").returncode, 1)
        self.assertEqual(self.debian_cli("typercli.py", "abort").returncode, 1)
        self.assertEqual(self.debian_cli("typercli.py", "slow").returncode, 1)
        big = self.debian_cli("typercli.py", "big")
        self.assertEqual(big.returncode, 1)
        self.assertNotIn("usage-report", big.stderr)  # only the host's own traceback
        props = self.debian_cli("typercli.py", "props")
        self.assertEqual((props.returncode, props.stderr), (0, ""))
        events = {e["properties"]["command_name"]: e["properties"]
                  for e in wait_for(lambda: len(self.intake.events()) >= 8 and self.intake.events())}
        facts = {k: (v["outcome"], v["exit_code"], v.get("error_type"), v.get("error_message")) for k, v in events.items()}
        self.assertEqual(facts["typercli done"], ("success", 0, None, None))
        self.assertEqual(facts["typercli exit3"], ("failure", 3, None, None))
        self.assertEqual(facts["typercli api"], ("failure", 1, "api_error", "quota exceeded for this month"))
        self.assertEqual(facts["typercli auth"], ("failure", 1, "not_authenticated", "Not authenticated: run 'typercli login'"))
        self.assertEqual(facts["typercli abort"][:3], ("failure", 1, "abort"))
        self.assertEqual(facts["typercli slow"], ("failure", 1, "runtime_error", "gave up after 300 ms"))
        self.assertGreaterEqual(events["typercli slow"]["duration_ms"], 300)  # timed until the coroutine ended
        self.assertEqual(facts["typercli big"][:3], ("failure", 1, "runtime_error"))  # truncated, not lost
        self.assertEqual(events["typercli props"]["long"], "é" * 500)  # cut to 1000 bytes
        self.assertEqual((events["typercli props"]["list"][:5], events["typercli props"]["ok"]), ("[0, 1", 1))

    def test_click_cli_exit_codes(self):
        self.assertEqual(self.debian_cli("clickcli.py", "usage").returncode, 2)
        self.assertEqual(self.debian_cli("clickcli.py", "failed").returncode, 1)
        self.assertEqual(self.debian_cli("clickcli.py", "fine").returncode, 0)
        events = {e["properties"]["command_name"]: e["properties"]
                  for e in wait_for(lambda: len(self.intake.events()) >= 3 and self.intake.events())}
        self.assertEqual((events["clickcli usage"]["exit_code"], events["clickcli usage"]["error_type"],
                          events["clickcli usage"]["error_message"]), (2, "usage_error", "no such region 'mars'"))
        self.assertEqual((events["clickcli failed"]["exit_code"], events["clickcli failed"]["error_type"]),
                         (1, "click_exception"))
        self.assertEqual(events["clickcli fine"]["outcome"], "success")

    def test_error_type_names_keep_acronyms(self):
        import importlib
        sys.path.insert(0, os.path.dirname(HERE))
        ur = importlib.import_module("usage_report")
        names = {"APIError": "api_error", "CLIError": "cli_error", "NotAuthenticatedError": "not_authenticated_error",
                 "ValueError": "value_error", "HTTPServerError": "http_server_error", "OSError": "os_error"}
        for cls, want in names.items():
            self.assertEqual(ur._error_type(type(cls, (Exception,), {})()), want)

    def test_no_thread_and_a_later_fork_does_not_warn(self):
        code = ("import os, threading, warnings, usage_report\n"
                "warnings.simplefilter('error')\n"
                "usage_report.configure(app='democli')\n"
                "with usage_report.track('democli forks'):\n    pass\n"
                "print(threading.active_count())\n"
                "pid = os.fork()\n"
                "if pid == 0:\n    os._exit(0)\n"
                "os.waitpid(pid, 0)\n")
        run = self.python(code)
        self.assertEqual((run.returncode, run.stdout, run.stderr), (0, "1\n", ""))

    def test_login_with_facts_and_nothing_in_argv(self):
        # the principal id and the facts travel on stdin: a fake usage-report records its argv
        fake = os.path.join(self.tmp, "bin")
        os.makedirs(fake)
        with open(os.path.join(fake, "usage-report"), "w") as f:
            f.write("#!/bin/sh\necho \"$*\" >>%s/argv\ncat >>%s/stdin\necho >>%s/stdin\n" % (self.tmp, self.tmp, self.tmp))
        os.chmod(os.path.join(fake, "usage-report"), 0o755)
        code = ("import usage_report\nusage_report.configure(app='democli', cli_version='2.0')\n"
                "usage_report.login('user-secret-42', duration_ms=12, properties={'method': 'oauth'})\n"
                "usage_report.report('democli x', 5, 1, error='oops')\n")
        subprocess.run([sys.executable, "-c", code], env=dict(self.env, PATH=fake + os.pathsep + self.env["PATH"]),
                       timeout=30, check=True)
        self.assertEqual(read(os.path.join(self.tmp, "argv")), "--app democli login --json -\n--app democli track --json -\n")
        login = json.loads(read(os.path.join(self.tmp, "stdin")).splitlines()[0])
        self.assertEqual(login, {"principal_id": "user-secret-42", "duration_ms": 12, "cli_version": "2.0",
                                 "properties": {"method": "oauth"}})

    def test_login_and_logout(self):
        code = ("import usage_report\nusage_report.configure(app='democli', cli_version='2.0')\n"
                "usage_report.login('user-42')\nimport time; time.sleep(1)\nusage_report.logout()\n")
        subprocess.run([sys.executable, "-c", code], env=self.env, timeout=30, check=True)
        events = wait_for(lambda: len(self.intake.events()) >= 3 and self.intake.events())
        self.assertEqual([(e["event"], e["distinct_id"]) for e in events][:1], [("$create_alias", "user-42")])
        names = sorted(e["properties"].get("command_name", "") for e in events if e["event"] != "$create_alias")
        self.assertEqual(names, ["login", "logout"])
        self.assertTrue(all(e["properties"]["cli_version"] == "2.0" for e in events if e["event"] != "$create_alias"))


if __name__ == "__main__":
    unittest.main()
