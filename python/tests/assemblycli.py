#!/usr/bin/python3
"""assemblycli.py — AssemblyAI's CLI as it is shaped (typer, its CLIError with error_type and
exit_code, typer.Exit, Ctrl-C), after the switch to usage-report through the Python helper,
following doc/migrating.md: its Datadog facets, and `config set telemetry_enabled` wired to
usage-report's enable/disable."""
import shutil
import subprocess
import sys

import typer

import usage_report

usage_report.configure(app="assembly", cli_version="1.4.0",
                       properties={"python_version": "%d.%d.%d" % sys.version_info[:3]})
app = typer.Typer()
config_app = typer.Typer()
app.add_typer(config_app, name="config")


class CLIError(Exception):
    """AssemblyAI's own error: a failure class and an exit code."""

    def __init__(self, message, error_type, exit_code=1):
        super().__init__(message)
        self.error_type = error_type
        self.exit_code = exit_code


@app.command()
@usage_report.command("assembly transcripts get")
def transcripts():
    typer.echo("transcript")


@app.command()
@usage_report.command("assembly balance")
def balance():
    raise CLIError("Insufficient balance", "api_error")


@app.command()
@usage_report.command("assembly whoami")
def whoami():
    raise CLIError("Not authenticated: run 'assembly login'", "not_authenticated", exit_code=4)


@app.command()
@usage_report.command("assembly stream")
def stream(code: int = 3):
    raise typer.Exit(code)


@app.command()
@usage_report.command("assembly listen")
def listen():
    raise KeyboardInterrupt


@config_app.command("set")
def config_set(key: str, value: str):
    """config set telemetry_enabled true|false: the host's own opt-out, wired to usage-report."""
    if key == "telemetry_enabled":
        binary = shutil.which("usage-report")
        if binary:
            subprocess.run([binary, "--app", "assembly", "enable" if value == "true" else "disable"],
                           stdout=subprocess.DEVNULL, check=False)
    typer.echo("%s = %s" % (key, value))


if __name__ == "__main__":
    app()
