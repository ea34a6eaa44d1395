#!/usr/bin/python3
"""typercli.py — a typer CLI shaped like Arcade's and AssemblyAI's (both are typer CLIs) that
reports through usage_report alone: exits on purpose, API errors, an async command."""
import asyncio

import typer

import usage_report

usage_report.configure(app="democli", cli_version="3.1.0")
app = typer.Typer()


class APIError(Exception):
    """A host's own error, named with an acronym."""


class NotAuthenticatedError(Exception):
    error_type = "not_authenticated"  # the host names its own failure class


@app.command()
@usage_report.command("typercli done")
def done():
    typer.echo("done")
    raise typer.Exit(0)  # a success that leaves early


@app.command()
@usage_report.command("typercli exit3")
def exit3():
    raise typer.Exit(3)


@app.command()
@usage_report.command("typercli api")
def api():
    raise APIError("quota exceeded for this month")


@app.command()
@usage_report.command("typercli auth")
def auth():
    raise NotAuthenticatedError("Not authenticated: run 'typercli login'")


@app.command()
@usage_report.command("typercli abort")
def abort():
    raise typer.Abort()


@usage_report.command("typercli slow")
async def slow_work():
    await asyncio.sleep(0.3)
    raise RuntimeError("gave up after 300 ms")


@app.command()
def slow():
    asyncio.run(slow_work())


@app.command()
@usage_report.command("typercli big")
def big():
    raise RuntimeError("x" * 70000)


@app.command()
def props():
    with usage_report.track("typercli props", properties={"long": "é" * 1200, "list": list(range(400)), "ok": 1}):
        pass


if __name__ == "__main__":
    app()
