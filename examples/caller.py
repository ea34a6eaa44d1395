#!/usr/bin/env python3
"""caller.py — report command runs from a Python CLI through usage-report.

report() starts usage-report with subprocess and returns at once: usage-report queues the
event and detaches its own sender, so the caller never waits for the network. Any failure
(usage-report not installed, say) is swallowed: telemetry must never break the CLI.
stderr is the user's: on the first run, usage-report shows its notice there when it is a
terminal (and holds events until someone could read it), so it is passed through.
"""
import subprocess
import sys
import time


def report(command, duration_ms, exit_code, error=None, app="mycli", cli_version=None):
    args = ["usage-report", "--app", app, "--command", command,
            "--duration", "%.3f" % duration_ms, "--exit-code", str(exit_code)]
    if error:
        args += ["--error", error]
    if cli_version:
        args += ["--cli-version", cli_version]
    try:
        subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        pass


def tracked(command):
    """Decorator: time the function, report success or failure, re-raise."""
    def wrap(fn):
        def run(*args, **kwargs):
            start = time.monotonic()
            try:
                result = fn(*args, **kwargs)
            except KeyboardInterrupt:
                report(command, (time.monotonic() - start) * 1000, 130)
                raise
            except Exception as exc:
                report(command, (time.monotonic() - start) * 1000, 1, error=str(exc))
                raise
            report(command, (time.monotonic() - start) * 1000, 0, cli_version="1.0.0")
            return result
        return run
    return wrap


@tracked("mycli hello")
def hello(name):
    print("hello, %s" % name)


@tracked("mycli fail")
def fail():
    raise RuntimeError("could not reach the build server")


if __name__ == "__main__":
    if sys.argv[1:] == ["fail"]:
        try:
            fail()
        except RuntimeError:
            sys.exit(1)
    else:
        hello(sys.argv[1] if len(sys.argv) > 1 else "world")
