"""`distillscope degree`: how much a student was distilled from a teacher, read off a dose zoo's curves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def degree(
    student: Annotated[str, typer.Option("--student", help="model spec, or the name of a student of the calibration zoo")],
    teacher: Annotated[str, typer.Option("--teacher", help="a candidate of the calibration zoo, by name or spec")],
    base: Annotated[str, typer.Option("--base", help="the student's base model spec (a base of the calibration zoo)")],
    calibration: Annotated[
        Optional[Path], typer.Option("--calibration", help="the dose zoo (default: the user cache's zoo-dose/, see `zoo build --dose`)")
    ] = None,
    resamples: Annotated[int, typer.Option("--resamples", min=20, help="resamples for the interval")] = 400,
    as_json: Annotated[bool, typer.Option("--json", help="print the typed DegreeResult as JSON")] = False,
) -> None:
    """Estimate the teacher-answer count (log scale) and the teacher's share behind STUDENT, with 95% intervals.

    Fitted on the dose zoo with the student's own recipe and seed left out; outside the calibrated range it says so."""
    from distillscope.attribution.answers import collect_answers
    from distillscope.cli.zoo_cmd import default_zoo_dir
    from distillscope.degree.estimator import estimate_degree
    from distillscope.degree.observe import observation, paired_gain, zoo_observations
    from distillscope.errors import InputFileError, UserError
    from distillscope.models.registry import load_model
    from distillscope.probes.loader import load_prompts
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams
    from distillscope.zoo.spec import read_manifest

    zoo = (calibration or default_zoo_dir(False, dose=True)).expanduser()
    manifest = read_manifest(zoo)
    teacher_name = next((n for n, spec in manifest.candidates.items() if teacher in (n, spec)), None)
    if teacher_name is None:
        raise UserError(
            f"teacher {teacher} is no candidate of the calibration zoo {zoo} ({', '.join(manifest.candidates)})",
            "name one of them, or build a dose zoo on that teacher",
        )
    on_base = [s for s in manifest.students if s.base == base]
    if not on_base:
        raise UserError(
            f"no student of the calibration zoo {zoo} has base {base}",
            f"give a base it has: {', '.join(sorted({s.base for s in manifest.students}))}",
        )
    member = next((s for s in manifest.students if student in (s.name, s.spec)), None)
    store = Path(manifest.store) if Path(manifest.store).is_absolute() else zoo / manifest.store
    prompts_path = Path(manifest.test_prompts) if Path(manifest.test_prompts).is_absolute() else zoo / manifest.test_prompts
    if not store.exists():
        raise InputFileError(f"the calibration zoo's store {store} is missing", "rebuild it: distillscope zoo build --dose")
    if not prompts_path.exists():
        raise InputFileError(f"the calibration zoo's test prompts {prompts_path} are missing", "rebuild it: distillscope zoo build --dose")
    prompts = load_prompts(prompts_path)
    models = {s.name: load_model(s.spec) for s in on_base}
    models[teacher_name] = load_model(manifest.candidates[teacher_name])
    models[base] = load_model(base)
    if member is None:
        models["student"] = load_model(student)
    with Runner(ResponseStore(store)) as runner:
        table = collect_answers(runner, models, prompts, SamplingParams(**manifest.sampling.model_dump()))
    calibration_rows = zoo_observations(manifest, table.answers, teacher_name, base)
    if member is not None:
        target = next(o for o in calibration_rows if o.student == member.name)
    else:
        target = observation(
            student, "", 0, 0, 1.0, paired_gain(table.answers[teacher_name], table.answers["student"], table.answers[base])
        )
    result = estimate_degree(calibration_rows, target, teacher_name, base, resamples)
    if as_json:
        typer.echo(result.model_dump_json(indent=1))
        return
    print_degree(result, len(prompts))


def print_degree(result, n_prompts: int) -> None:  # noqa: ANN001 - degree.result.DegreeResult
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
