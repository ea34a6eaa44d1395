#!/usr/bin/env python3
"""democli.py — a three-subcommand argparse CLI that reports through usage_report alone."""
import argparse
import sys

import usage_report

usage_report.configure(app="democli", cli_version="1.0.0")


@usage_report.command("democli hello", properties={"greeting": "plain", "count": 1})
def hello(args):
    print("hello, %s" % args.name)


@usage_report.command("democli fail")
def fail(args):
    raise ValueError("could not reach the build server")


@usage_report.command("democli wait")
def wait(args):
    raise KeyboardInterrupt  # as if Ctrl-C arrived during the command


def main():
    parser = argparse.ArgumentParser(prog="democli")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("hello")
    p.add_argument("name", nargs="?", default="world")
    p.set_defaults(run=hello)
    sub.add_parser("fail").set_defaults(run=fail)
    sub.add_parser("wait").set_defaults(run=wait)
    args = parser.parse_args()
    try:
        args.run(args)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
