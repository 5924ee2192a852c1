"""The `distillscope` typer app: every command, registered under its name.

Only typer and rich are imported here; each command imports what it needs
inside itself, so `distillscope --help` stays fast and a missing extra only
matters to the command that uses it. A new command is one module under cli/
and one line below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli import (
    attribute_cmd,
    audit_cmd,
    claims_cmd,
    degree_cmd,
    distill_cmd,
    generate_cmd,
    ice_cmd,
    indist_cmd,
    models_cmd,
    probes_cmd,
    report_cmd,
    rse_cmd,
    similarity_cmd,
    store_cmd,
    store_import_cmd,
    sweep_cmd,
    zoo_cmd,
)

app = typer.Typer(
    name="distillscope",
    help="Measure how much a language model was distilled from another, with black-box access only.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _everywhere(
    log: Annotated[
        Optional[Path],
        typer.Option("--log", help="also append every log line (ours and the libraries') to FILE; give it before the command"),
    ] = None,
) -> None:
    """Measure how much a language model was distilled from another, with black-box access only."""
    if log is not None:  # --no-progress quiets the terminal; the file keeps the detail
        from distillscope.quiet import keep_log

        keep_log(log)


app.command("models")(models_cmd.models)
app.command("generate")(generate_cmd.generate)
app.command("demo")(report_cmd.demo)
app.command("audit")(audit_cmd.audit)
app.command("report")(report_cmd.report)
app.command("rse")(rse_cmd.rse)
app.command("similarity")(similarity_cmd.similarity)
app.command("ice")(ice_cmd.ice)
app.command("claims")(claims_cmd.claims)
app.command("indist")(indist_cmd.indist)
app.command("attribute")(attribute_cmd.attribute)
app.command("degree")(degree_cmd.degree)
distill_cmd.app.command("sweep")(sweep_cmd.sweep)
app.add_typer(distill_cmd.app, name="distill")
app.add_typer(probes_cmd.app, name="probes")
store_cmd.app.command("import")(store_import_cmd.store_import)
app.add_typer(store_cmd.app, name="store")
app.add_typer(zoo_cmd.app, name="zoo")
