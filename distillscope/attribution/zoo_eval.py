"""`distillscope attribute --zoo DIR`: attribute every zoo student, calibrated leave-one-student-out.

The zoo (`distillscope zoo build`) writes `manifest.json`: the store, the
sampling, the test prompts (JSONL), the candidates {name: spec} and the
students [{name, spec, base, true_teacher, budget, kind}], every answer already
stored. Signals are computed once per (model, candidate) and shared (a base's
numbers serve all its students). Each student is then decided by a
calibration fitted on all the *other* students, so its own label never enters
its confidence. Each distilled student is also decided with its true teacher
left out of the candidates (right answer: none), the audit that did not list
the real teacher; these cases enter the calibration as well, since it must
learn to refuse them; the calibration fitted on all of them is written beside the
manifest for `attribute --student ... --calibration DIR`. Leaving each signal
out (and using each alone) shows which signals carry the attribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from distillscope.attribution.calibration import NONE, Calibration
from distillscope.attribution.result import (
    AblationRow,
    AttributionResult,
    ZooAttribution,
    ZooStudentRow,
)
from distillscope.errors import InputFileError

GOAL_BUDGET = 300
#: (student name -> its decision with every candidate, student name -> its decision with its teacher left out)
Decisions = tuple[dict[str, AttributionResult], dict[str, AttributionResult]]


def read_manifest(zoo: Path):  # noqa: ANN201 - zoo.spec.ZooManifest
    from distillscope.zoo.spec import read_manifest as read

    manifest = read(zoo)
    unknown = [s.name for s in manifest.students if s.true_teacher and s.true_teacher not in manifest.candidates]
    if unknown:
        raise InputFileError(f"zoo {zoo}: students {', '.join(unknown)} name a true teacher that is no candidate", "rebuild the zoo")
    return manifest


def _resolve(zoo: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(zoo) / path


def _rate(hits: Sequence[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def summarise(students: Sequence[object], decided: Decisions, signals: list[str]) -> AblationRow:
    listed, unlisted = decided
    distilled = [s for s in students if s.true_teacher]
    controls = [s for s in students if not s.true_teacher]
    goal = [s for s in distilled if (s.budget or 0) >= GOAL_BUDGET]
    return AblationRow(
        signals=signals,
        top1=_rate([listed[s.name].predicted == s.true_teacher for s in goal]),
        top1_all=_rate([listed[s.name].predicted == s.true_teacher for s in distilled]),
        false_attribution=_rate([listed[s.name].outcome == "candidate" for s in controls]),
        ranking_top1=_rate([_first_ranked(listed[s.name]) == s.true_teacher for s in goal]),
        n_distilled=len(distilled),
        n_controls=len(controls),
        unlisted_attribution=_rate([r.outcome == "candidate" for r in unlisted.values()]),
    )


def _first_ranked(result: AttributionResult) -> str | None:
    """The candidate ranked first; None when another one ties with it (a signal that says nothing ranks nobody)."""
    ranked = sorted((c for c in result.candidates if c.combined is not None), key=lambda c: -c.combined)
    if not ranked or (len(ranked) > 1 and abs(ranked[0].combined - ranked[1].combined) < 1e-9):
        return None
    return ranked[0].name


def _cases(students: Sequence[object], raw: Decisions, with_unlisted: bool = True) -> list:
    """Calibration cases: every student with its true teacher (None for controls), and each distilled student
    with its teacher left out of the candidates, whose truth is none."""
    from distillscope.attribution.attribute import calibration_case

    listed, unlisted = raw
    cases = [calibration_case(listed[s.name], s.name, s.true_teacher) for s in students]
    return cases + ([calibration_case(result, name, None) for name, result in unlisted.items()] if with_unlisted else [])


def _loso(
    students: Sequence[object], raw: Decisions, signals: list[str], with_unlisted: bool = True
) -> tuple[Decisions, dict[str, Calibration]]:
    """Each student (both its cases) decided by the calibration fitted on every other student's cases."""
    from distillscope.attribution.attribute import redecide
    from distillscope.attribution.calibration import leave_one_student_out

    listed, unlisted = raw
    fits = leave_one_student_out(_cases(students, raw, with_unlisted), signals)

    def again(result: AttributionResult, name: str) -> AttributionResult:
        return redecide(result, signals, fits[name], f"leave-one-student-out over {len(fits[name].students)} other zoo students")

    decided = ({s.name: again(listed[s.name], s.name) for s in students}, {name: again(r, name) for name, r in unlisted.items()})
    return decided, fits


def evaluate_zoo(
    zoo: Path,
    signals: list[str],
    runner_factory,
    seed: int = 0,
    ablation: bool = True,  # noqa: ANN001
    family_overrides: dict[str, str] | None = None,
) -> ZooAttribution:
    from distillscope.attribution.answers import collect_answers
    from distillscope.attribution.attribute import attribute
    from distillscope.attribution.calibration import FILE_NAME, fit, save
    from distillscope.attribution.families import candidate_family
    from distillscope.attribution.run import build_bank
    from distillscope.models.registry import load_model
    from distillscope.probes.loader import load_prompts
    from distillscope.types import SamplingParams

    manifest = read_manifest(zoo)
    prompts = load_prompts(_resolve(zoo, manifest.test_prompts))
    sampling = SamplingParams(**manifest.sampling.model_dump())
    columns = dict(manifest.candidates)
    student_column = {}
    for s in manifest.students:
        columns[f"base:{s.base}"] = s.base
        # an untouched base is its base's column: its numbers are the reference's, computed once
        student_column[s.name] = f"base:{s.base}" if s.spec == s.base else f"student:{s.name}"
        columns[student_column[s.name]] = s.spec
    with runner_factory(_resolve(zoo, manifest.store)) as runner:
        table = collect_answers(runner, {name: load_model(spec) for name, spec in columns.items()}, prompts, sampling)
        families = {n: candidate_family(n, spec, family_overrides) for n, spec in manifest.candidates.items()}
        bank = build_bank(runner, table, manifest.candidates, families, signals, seed)

        def attributed(s, candidates: dict[str, str]) -> AttributionResult:  # noqa: ANN001
            column = student_column[s.name]
            return attribute(bank, column, candidates, base=f"base:{s.base}", base_spec=s.base, signals=signals, student_spec=s.spec)

        raw = (
            {s.name: attributed(s, manifest.candidates) for s in manifest.students},
            {  # the same student with its teacher left out of the candidates: the right answer is "none"
                s.name: attributed(s, {n: spec for n, spec in manifest.candidates.items() if n != s.true_teacher})
                for s in manifest.students
                if s.true_teacher and len(manifest.candidates) > 1
            },
        )
    decided, fits = _loso(manifest.students, raw, signals)
    save(fit(_cases(manifest.students, raw), signals), Path(zoo) / FILE_NAME)
    overall = summarise(manifest.students, decided, signals)
    listed, unlisted = decided
    out = ZooAttribution(
        zoo=str(zoo),
        signals=signals,
        goal_budget=GOAL_BUDGET,
        **overall.model_dump(include={"top1", "top1_all", "false_attribution", "ranking_top1", "unlisted_attribution"}),
        students=[
            ZooStudentRow(
                name=s.name,
                kind=s.kind,
                budget=s.budget,
                true_teacher=s.true_teacher,
                result=listed[s.name],
                correct=listed[s.name].predicted == s.true_teacher,
                unlisted=unlisted.get(s.name),
            )
            for s in manifest.students
        ],
    )
    _resampled(out, bank, raw, fits, student_column, manifest.students, seed)
    budgets = sorted({s.budget for s in manifest.students if s.true_teacher and s.budget is not None})
    out.by_budget = {
        str(b): _rate([listed[s.name].predicted == s.true_teacher for s in manifest.students if s.true_teacher and s.budget == b])
        for b in budgets
    }
    out.fit_without_unlisted = summarise(manifest.students, _loso(manifest.students, raw, signals, with_unlisted=False)[0], signals)
    if ablation and len(signals) > 1:
        for s in signals:
            rest = [x for x in signals if x != s]
            out.leave_one_out[s] = summarise(manifest.students, _loso(manifest.students, raw, rest)[0], rest)
            out.single_signal[s] = summarise(manifest.students, _loso(manifest.students, raw, [s])[0], [s])
    return out


def _resampled(out: ZooAttribution, bank, raw: Decisions, fits: dict, columns: dict, students: Sequence, seed: int) -> None:  # noqa: ANN001
    """Each student's decisions on resampled test sets, under its own leave-one-student-out calibration."""
    from distillscope.attribution.resampling import RESAMPLES, resampled_outcomes

    rows = {row.name: row for row in out.students}
    for s in students:
        outcomes = resampled_outcomes(bank, raw[0][s.name], columns[s.name], f"base:{s.base}", fits[s.name], seed=seed)
        hits = [o == s.true_teacher for o in outcomes] if s.true_teacher else [o != NONE for o in outcomes]
        rows[s.name].resampled = _rate(hits)
        if s.name in raw[1]:
            outcomes = resampled_outcomes(bank, raw[1][s.name], columns[s.name], f"base:{s.base}", fits[s.name], seed=seed)
            rows[s.name].unlisted_resampled = _rate([o != NONE for o in outcomes])
    out.top1_resampled = _mean([rows[s.name].resampled for s in students if s.true_teacher and (s.budget or 0) >= GOAL_BUDGET])
    out.false_attribution_resampled = _mean([rows[s.name].resampled for s in students if not s.true_teacher])
    out.unlisted_attribution_resampled = _mean([r.unlisted_resampled for r in out.students if r.unlisted_resampled is not None])
    out.resamples = RESAMPLES


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
