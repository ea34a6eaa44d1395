#!/usr/bin/env python3
"""caller.py — a Python CLI that reports its commands through the usage_report package
(`pip install ./python` from the usage-report sources; no other dependency).

The package times each command, reports it without waiting, maps exceptions and Ctrl-C to
exit codes, and never fails the CLI. usage-report's first-run notice shows on this CLI's
stderr when it is a terminal: leave stderr alone. A host with its own interface for the
notice runs `usage-report --app mycli notice` and shows what it prints.
"""
import sys

import usage_report

usage_report.configure(app="mycli", cli_version="1.0.0")


@usage_report.command("mycli hello")
def hello(name):
    print("hello, %s" % name)


@usage_report.command("mycli fail")
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
