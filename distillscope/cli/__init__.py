"""The `distillscope` command line.

Only typer and rich are imported at start-up; every command imports what it
needs inside itself, so `distillscope --help` stays fast and a missing extra
only matters to the command that uses it. User errors become one line on
stderr and exit code 2; answers already stored are never lost.
"""

from __future__ import annotations

import sys

import click
import typer

from distillscope.cli import audit_cmd, distill_cmd, generate_cmd, ice_cmd, indist_cmd, metrics_cmd, models_cmd, probes_cmd, store_cmd

app = typer.Typer(
    name="distillscope",
    help="Measure how much a language model was distilled from another, with black-box access only.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("models")(models_cmd.models)
app.command("generate")(generate_cmd.generate)
app.command("demo")(audit_cmd.demo)
app.command("audit")(audit_cmd.audit)
app.command("report")(audit_cmd.report)
app.command("rse")(metrics_cmd.rse)
app.command("similarity")(metrics_cmd.similarity)
app.command("ice")(ice_cmd.ice)
app.command("claims")(ice_cmd.claims)
app.command("indist")(indist_cmd.indist)
app.add_typer(distill_cmd.app, name="distill")
app.add_typer(probes_cmd.app, name="probes")
app.add_typer(store_cmd.app, name="store")


def main(argv: list[str] | None = None) -> None:
    from distillscope.errors import EXIT_USER_ERROR, UserError

    try:
        code = app(args=argv, standalone_mode=False)
    except UserError as exc:
        typer.echo(f"error: {exc.one_line()}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        typer.echo("interrupted: every answer received so far is stored; re-run the same command to resume.", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
