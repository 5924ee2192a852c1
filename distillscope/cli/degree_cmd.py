"""`distillscope degree`: how much a student was distilled from a teacher, read off a dose zoo's curves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from distillscope.degree.result import DegreeResult
    from distillscope.zoo.spec import ZooManifest


def degree(
    student: Annotated[Optional[str], typer.Option("--student", help="model spec, or the name of a student of the calibration zoo")] = None,
    teacher: Annotated[str, typer.Option("--teacher", help="a candidate of the calibration zoo, by name or spec")] = "",
    base: Annotated[str, typer.Option("--base", help="the student's base model spec (a base of the calibration zoo)")] = "",
    calibration: Annotated[
        Optional[Path], typer.Option("--calibration", help="the dose zoo (default: the user cache's zoo-dose/, see `zoo build --dose`)")
    ] = None,
    curves: Annotated[
        bool, typer.Option("--curves", help="every offline measure against dose over the zoo (tau, detection limit, estimator error)")
    ] = False,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="write the typed result (JSON) here")] = None,
    html: Annotated[
        Optional[Path], typer.Option("--html", help="with --curves: every measure's dose curve as a self-contained HTML page")
    ] = None,
    resamples: Annotated[int, typer.Option("--resamples", min=20, help="resamples for the interval")] = 400,
    as_json: Annotated[bool, typer.Option("--json", help="print the typed DegreeResult as JSON")] = False,
    measure: Annotated[
        Optional[str],
        typer.Option("--measure", help="the measure the dose is read off (default: the estimator's, docs/dose.md; --curves ranks them)"),
    ] = None,
) -> None:
    """Estimate the teacher-answer count (log scale) and the teacher's share behind STUDENT, with 95% intervals.

    Fitted on the dose zoo with the student's own recipe and seed left out; outside the calibrated range it says so.
    With --curves: each measure's dose curve over the zoo instead (no --student)."""
    from distillscope.cli.zoo_cmd import default_zoo_dir
    from distillscope.degree.student import zoo_teacher
    from distillscope.errors import UserError
    from distillscope.paths import atomic_write_text, check_parent, guard_outputs
    from distillscope.zoo.spec import MANIFEST_FILE, read_manifest

    if not teacher or not base:
        raise UserError("degree needs --teacher and --base", "give the zoo's teacher (name or spec) and the base spec")
    if not curves and not student:
        raise UserError("degree needs --student (or --curves for the zoo's dose curves)", "give --student SPEC or NAME")
    if html is not None and not curves:
        raise UserError("--html draws the zoo's dose curves", "add --curves (a single student's estimate is in --out or the audit report)")
    zoo = (calibration or default_zoo_dir(False, dose=True)).expanduser()
    manifest = read_manifest(zoo)
    outputs = {flag: path for flag, path in (("--out", out), ("--html", html)) if path is not None}
    if outputs:  # the zoo's manifest, test prompts and store are this command's inputs
        for path in outputs.values():
            check_parent(path, "results file")
        inputs = {"the calibration zoo's manifest": zoo / MANIFEST_FILE if zoo.is_dir() else zoo}
        inputs["its test prompts"] = manifest.located(zoo, manifest.test_prompts)
        guard_outputs(outputs, inputs=inputs, store=manifest.located(zoo, manifest.store))
    teacher_name = zoo_teacher(manifest, teacher)
    if teacher_name is None:
        raise UserError(
            f"teacher {teacher} is no candidate of the calibration zoo {zoo} ({', '.join(manifest.candidates)})",
            "name one of them, or build a dose zoo on that teacher",
        )
    if not any(s.base == base for s in manifest.students):
        raise UserError(
            f"no student of the calibration zoo {zoo} has base {base}",
            f"give a base it has: {', '.join(sorted({s.base for s in manifest.students}))}",
        )
    if curves:
        result_json = _curves(zoo, manifest, teacher_name, base, resamples, as_json, html)
    else:
        result, n_prompts = _estimate(zoo, manifest, teacher_name, base, student or "", resamples, measure)
        result_json = result.model_dump_json(indent=1)
        if as_json:
            typer.echo(result_json)
        else:
            print_degree(result, n_prompts)
    if out is not None:
        atomic_write_text(out, result_json)
        typer.echo(f"results: {out}", err=True)


def _curves(zoo: Path, manifest: ZooManifest, teacher_name: str, base: str, resamples: int, as_json: bool, html: Path | None) -> str:
    from distillscope.degree.measures import available_embedder
    from distillscope.degree.zoo_report import curve_lines, dose_zoo_report

    report = dose_zoo_report(zoo, manifest, teacher_name, base, available_embedder(), resamples)
    text = report.model_dump_json(indent=1)
    typer.echo(text if as_json else "\n".join(curve_lines(report)))
    if html is not None:
        from distillscope.report.dose_curves import write_curves_page

        write_curves_page(report, html)
        typer.echo(f"dose curves: {html}", err=True)
    return text


def _estimate(
    zoo: Path, manifest: ZooManifest, teacher_name: str, base: str, student: str, resamples: int, measure: str | None
) -> tuple[DegreeResult, int]:
    from distillscope.degree.student import estimate_student  # shared with the audit's `degree` metric

    return estimate_student(zoo, manifest, teacher_name, base, student, resamples, measure)


def print_degree(result: DegreeResult, n_prompts: int) -> None:
    typer.echo(
        f"{result.student} <- {result.teacher} (base {result.base}): {result.measure} = {result.value:+.2f} over {n_prompts} prompts"
    )
    for estimate in (result.budget, result.fraction):
        if estimate is None:
            continue
        typer.echo(f"  {estimate.series:8s} {estimate.message}  [{len(estimate.calibration_students)} calibration students]")
    if result.budget is None and result.fraction is None:
        typer.echo("  the calibration zoo has fewer than two doses for this teacher and base: nothing to read off")
    if result.left_out:
        typer.echo(f"  left out of the calibration (the student's recipe or seed): {', '.join(result.left_out)}")
