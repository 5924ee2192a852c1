"""`distillscope degree --curves`: every offline measure against dose over a built dose zoo.

Reads the zoo's stored answers (nothing is generated: a zoo's store holds every
answer), scores each student on each measure of `degree/measures.py`, and
summarises each measure's curve (Kendall's tau with a CI over seeds, the
detection limit, saturation) and the degree estimator's leave-one-out error
on that measure. This is how a measure earns a place in the report: it has
to rise with a known amount of distillation before anyone reads a student's
value off it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from distillscope.degree.dose_curves import summarise_zoo
from distillscope.degree.estimator import leave_one_out_errors
from distillscope.degree.resolution import Resolution, resolution
from distillscope.degree.result import DoseCurveSummary, DoseObservation

if TYPE_CHECKING:
    from distillscope.protocols import TextEmbedder
    from distillscope.types import Prompt
    from distillscope.zoo.spec import ZooManifest


class DoseZooReport(BaseModel):
    version: int = 1
    zoo: str
    teacher: str
    base: str
    n_prompts: int
    #: every (student, measure) observation, without the per-prompt values
    observations: list[DoseObservation]
    #: one curve per measure, best tau first
    curves: list[DoseCurveSummary]
    #: measure -> series -> {max_factor | max_abs_error, median, coverage, n, above_max_correct}: each trained student
    #: estimated without its recipe and its seed (a dose between the calibrated ones)
    estimator_errors: dict[str, dict[str, dict[str, float | None]]]
    #: the same with only the student's seed left out, its recipe's other seeds kept (a dose the zoo calibrated)
    estimator_errors_at_rungs: dict[str, dict[str, dict[str, float | None]]] = {}
    #: measure -> the estimator's error budget at each rung: prompt and training noise from the seed pairs, the 95%
    #: error of a new student, and the test prompts its goal needs (`resolution.py`); measures with per-prompt values
    resolution: dict[str, Resolution] = {}


def zoo_answers(
    zoo: Path, manifest: ZooManifest, teacher_name: str, base: str, extra: dict[str, str] | None = None
) -> tuple[list[Prompt], dict[str, list[str | None]]]:
    """The zoo's test prompts and every answer of the base's students, the teacher, the base (and `extra` specs by
    name) from the zoo's store; nothing is generated that the store does not hold."""
    from distillscope.attribution.answers import collect_answers
    from distillscope.errors import InputFileError
    from distillscope.models.registry import load_model
    from distillscope.probes.loader import load_prompts
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    store, prompts_path = manifest.located(zoo, manifest.store), manifest.located(zoo, manifest.test_prompts)
    for path, what in ((store, "store"), (prompts_path, "test prompts")):
        if not path.exists() and not (what == "store" and manifest.answers):  # an exported zoo's store is a cache
            raise InputFileError(f"the calibration zoo's {what} {path} is missing", "rebuild it: distillscope zoo build --dose")
    prompts = load_prompts(prompts_path)
    models = {s.name: load_model(manifest.model_spec(zoo, s.spec)) for s in manifest.students if s.base == base}
    models[teacher_name] = load_model(manifest.model_spec(zoo, manifest.candidates[teacher_name]))
    models[base] = load_model(manifest.model_spec(zoo, base))
    models.update({name: load_model(spec) for name, spec in (extra or {}).items()})
    with Runner(ResponseStore(store)) as runner:
        table = collect_answers(runner, models, prompts, SamplingParams(**manifest.sampling.model_dump()))
    return prompts, table.answers


def dose_zoo_report(
    zoo: Path, manifest: ZooManifest, teacher_name: str, base: str, embedder: TextEmbedder | None, resamples: int
) -> DoseZooReport:
    from distillscope.degree.measures import measure_observations, offline_measures

    prompts, answers = zoo_answers(zoo, manifest, teacher_name, base)
    records = [p.model_dump() for p in prompts]
    rows = measure_observations(manifest, answers, records, teacher_name, base, offline_measures(embedder))
    errors, at_rungs, budgets = {}, {}, {}
    for measure in sorted({r.measure for r in rows}):
        mine = [r for r in rows if r.measure == measure]
        errors[measure], at_rungs[measure] = leave_one_out_errors(mine, resamples), leave_one_out_errors(mine, resamples, recipe=False)
        if (budget := resolution(mine)) is not None:
            budgets[measure] = budget
    return DoseZooReport(
        zoo=str(zoo),
        teacher=teacher_name,
        base=base,
        n_prompts=len(prompts),
        observations=[r.model_copy(update={"per_prompt": None}) for r in rows],
        curves=summarise_zoo(rows, resamples),
        estimator_errors=errors,
        estimator_errors_at_rungs=at_rungs,
        resolution=budgets,
    )


def curve_lines(report: DoseZooReport) -> list[str]:
    """The report as plain lines: one per measure, then each student's values."""
    lines = [f"dose curves: {report.teacher} -> {report.base}, {report.n_prompts} test prompts, zoo {report.zoo}"]
    for c in report.curves:
        tau = "n/a" if c.kendall_tau is None else f"{c.kendall_tau:+.2f} [{c.tau_low:+.2f}, {c.tau_high:+.2f}]"
        limit = "none" if c.detection_limit is None else f"{c.detection_limit:g}"
        errs = report.estimator_errors.get(c.measure, {})
        budget = errs.get("budget", {}).get("max_factor")
        fraction = errs.get("fraction", {}).get("max_abs_error")
        rungs = report.estimator_errors_at_rungs.get(c.measure, {})
        rung_budget, rung_fraction = rungs.get("budget", {}).get("max_factor"), rungs.get("fraction", {}).get("max_abs_error")
        lines.append(
            f"  {c.measure:38s} tau {tau:24s} detection limit {limit:6s} saturates {'yes' if c.saturates else 'no ':3s}"
            f"  LOO budget x{budget if budget is None else round(budget, 2)} fraction {fraction if fraction is None else round(fraction, 3)}"
            f" (seed only: x{rung_budget if rung_budget is None else round(rung_budget, 2)},"
            f" {rung_fraction if rung_fraction is None else round(rung_fraction, 3)})"
        )
        for dose, mean, share in c.points:
            rejecting = "" if share is None else f", rejects in {share:.0%} of seeds"
            lines.append(f"      dose {dose:6g}: mean {mean:+.4f}{rejecting}")
        if c.measure in report.resolution:
            lines += resolution_lines(report.resolution[c.measure])
    return lines


def resolution_lines(budget: Resolution) -> list[str]:
    """The estimator's error budget for one measure: a line per series, each rung's 95% error of a new student."""
    lines = [
        f"      error budget ({budget.n_pairs} seed pairs, {budget.n_prompts} prompts, curve of {budget.seeds} seeds): "
        f"prompt variance {budget.prompt_variance:.2e}, training variance {budget.training_variance:.2e}"
    ]
    for series in ("budget", "fraction"):
        rungs = [r for r in budget.rungs if r.series == series]
        if not rungs:
            continue
        unit = "x" if series == "budget" else "+-"
        cells = []
        for r in rungs:
            if r.error95 is None:
                cells.append(f"{r.dose:g}: flat")
                continue
            needed = "unreachable" if r.prompts_for_goal is None else f"{r.prompts_for_goal} prompts"
            floor = f", floor {unit}{r.error95_floor:g}" if r.error95_floor is not None else ""
            cells.append(
                f"{r.dose:g}: {unit}{r.error95:g} (unlimited prompts {unit}{r.error95_unlimited_prompts:g}{floor}; goal needs {needed})"
            )
        lines.append(f"      95% error of a new student, {series} (goal {unit}{budget.goals[series]:g}): " + "; ".join(cells))
    return lines
