#!/usr/bin/python3
"""clickcli.py — a click CLI reporting through usage_report: click's own exceptions carry
their exit codes (UsageError 2, ClickException 1)."""
import click

import usage_report

usage_report.configure(app="democli")


@click.group()
def cli():
    pass


@cli.command()
@usage_report.command("clickcli usage")
def usage():
    raise click.UsageError("no such region 'mars'")


@cli.command()
@usage_report.command("clickcli failed")
def failed():
    raise click.ClickException("upload failed")


@cli.command()
@usage_report.command("clickcli fine")
def fine():
    click.echo("fine")


if __name__ == "__main__":
    cli()
