"""`distillscope attribute --zoo DIR`: the attribution test on every zoo case, each against a null population
that leaves its whole recipe out.

The zoo (`distillscope zoo build`) writes `manifest.json`: the store, the
sampling, the test prompts, the candidates {name: spec} and the students
[{name, spec, base, true_teacher, budget, kind}], every answer already stored.
Each student is a case with every candidate listed; each distilled student is
also a case with its true teacher left out (right answer: none), the audit
that did not list the real teacher. The null population (`null_population.py`)
is made of every untaught (case, candidate) pair and written beside the
manifest for `attribute --student ... --calibration DIR`; each case is decided
against it with every case of its own recipe (base, teacher, budget, kind)
left out, so no seed sibling, and none of the case's own statistics, enter its
null. What a case is and how the rates (detection, false accusation, wrong
teacher, closed-set top-1) are counted over the cases live in `zoo_cases.py`.

Over resampled test sets every noise source is redrawn: the prompts (with
replacement; the per-prompt margins and the POS profiles recomputed on the
draw) and the adversaries' training (their fold splits drawn with replacement).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from distillscope.attribution.hypothesis import ALPHA, holm
from distillscope.attribution.result import AttributionResult, CurvePoint, ZooAttribution, ZooStudentRow
from distillscope.attribution.signals import ADVERSARY_SPLITS
from distillscope.attribution.zoo_cases import (
    GOAL_BUDGET,
    Case,
    mean_share,
    recipe_of,
    summarise,
    taught_by,
    teachers_of,
    unlisted_candidates,
)
from distillscope.errors import InputFileError

if TYPE_CHECKING:
    from distillscope.attribution.null_population import NullPopulation, Role
    from distillscope.runner.runner import Runner
    from distillscope.zoo.spec import ZooManifest, ZooStudent

RESAMPLES = 200
CURVE_ALPHAS = (0.01, 0.02, 0.05, 0.1, 0.2)


def read_manifest(zoo: Path) -> ZooManifest:
    from distillscope.zoo.spec import read_manifest as read

    manifest = read(zoo)
    unknown = [s.name for s in manifest.students if s.true_teacher and s.true_teacher not in manifest.candidates]
    if unknown:
        raise InputFileError(f"zoo {zoo}: students {', '.join(unknown)} name a true teacher that is no candidate", "rebuild the zoo")
    return manifest


def null_population(cases: Sequence[Case], source: str, n_prompts: int, draw: np.ndarray | None = None) -> NullPopulation:
    """Every (case, candidate) pair whose candidate did not teach the student, bases left out (see null_population.py);
    `draw`: on those test prompts only (row indices, as `Evidence.z` takes them)."""
    from distillscope.attribution.null_population import NullEntry, NullPopulation

    entries: list[NullEntry] = []
    taught: list[NullEntry] = []
    for case in cases:
        if case.role == "base" or case.evidence is None:
            continue
        raw, _ = case.evidence.z("raw", draw)
        specific = case.evidence.z("specific", draw)[0] if len(case.evidence.candidates) >= 2 else None
        untaught: Role = "control" if case.role == "control" else ("teacher-left-out" if case.role == "unlisted" else "other-teacher")
        teachers = teachers_of(case.student)
        for name in case.evidence.candidates:
            role: Role = "taught" if name in teachers else untaught  # taught: only weights the signals (`combination.py`)
            (taught if role == "taught" else entries).append(
                NullEntry(
                    case=case.key,
                    recipe=case.recipe,
                    candidate=name,
                    role=role,
                    raw=raw[name],
                    specific=specific[name] if specific else None,
                    n_prompts=len(case.evidence.ids) if draw is None else len(draw),
                    n_candidates=len(case.evidence.candidates),
                )
            )
    return NullPopulation(source=source, n_prompts=n_prompts, entries=entries, taught=taught)


def zoo_cases(
    zoo: Path,
    signals: list[str],
    runner_factory: Callable[[Path], AbstractContextManager[Runner]],
    seed: int = 0,
    family_overrides: dict[str, str] | None = None,
) -> tuple[ZooManifest, list, list[Case]]:
    """(manifest, test prompts, cases): every student with every candidate listed, each distilled student again with
    its teacher(s) left out, each attributed (uncalibrated) with the per-prompt evidence its test rests on."""
    from distillscope.attribution.answers import collect_answers
    from distillscope.attribution.attribute import attribute_with_evidence
    from distillscope.attribution.families import candidate_family
    from distillscope.attribution.run import build_bank
    from distillscope.models.registry import load_model
    from distillscope.probes.loader import load_prompts
    from distillscope.types import SamplingParams

    manifest = read_manifest(zoo)
    prompts = load_prompts(manifest.located(zoo, manifest.test_prompts))
    sampling = SamplingParams(**manifest.sampling.model_dump())
    columns = dict(manifest.candidates)
    student_column = {}
    for s in manifest.students:
        columns[f"base:{s.base}"] = s.base
        # an untouched base is its base's column: its numbers are the reference's, computed once
        student_column[s.name] = f"base:{s.base}" if s.spec == s.base else f"student:{s.name}"
        columns[student_column[s.name]] = s.spec
    with runner_factory(manifest.located(zoo, manifest.store)) as runner:
        models = {name: load_model(manifest.model_spec(zoo, spec)) for name, spec in columns.items()}
        table = collect_answers(runner, models, prompts, sampling)
        families = {n: candidate_family(n, spec, family_overrides) for n, spec in manifest.candidates.items()}
        bank = build_bank(runner, table, manifest.candidates, families, signals, seed)
        cases = []
        for s in manifest.students:
            listings = [(True, manifest.candidates)]
            unlisted = unlisted_candidates(s, manifest.candidates)
            if unlisted:  # the audit that did not list the real teacher(s): "none" is right
                listings.append((False, unlisted))
            for listed, candidates in listings:
                result, evidence = attribute_with_evidence(
                    bank, student_column[s.name], candidates, base=f"base:{s.base}", base_spec=s.base, signals=signals,
                    student_spec=s.spec,
                )  # fmt: skip
                cases.append(Case(s, listed, recipe_of(s), result, evidence))
    return manifest, prompts, cases


def evaluate_zoo(
    zoo: Path,
    signals: list[str],
    runner_factory: Callable[[Path], AbstractContextManager[Runner]],
    seed: int = 0,
    ablation: bool = True,
    family_overrides: dict[str, str] | None = None,
    alpha: float = ALPHA,
    resamples: int = RESAMPLES,
) -> ZooAttribution:
    from distillscope.attribution.attribute import redecide
    from distillscope.attribution.null_population import FILE_NAME, save

    manifest, prompts, cases = zoo_cases(zoo, signals, runner_factory, seed, family_overrides)
    population = null_population(cases, f"zoo {zoo}", len(prompts))
    population.max_tokens, population.temperature = manifest.sampling.max_tokens, manifest.sampling.temperature
    population.candidates = dict(manifest.candidates)
    save(population, Path(zoo) / FILE_NAME)
    source = f"leave-one-recipe-out null population of zoo {zoo}"

    def decided(case: Case, chosen: list[str], level: float = alpha) -> AttributionResult:
        return redecide(case.result, chosen, level, population, source, exclude_recipe=case.recipe)

    final = {c.key: decided(c, signals) for c in cases}
    first = {key: (r.ranking[0] if r.ranking else None) for key, r in final.items()}
    point = {key: [set(r.test.rejected) if r.test else set()] for key, r in final.items()}
    out = ZooAttribution(
        zoo=str(zoo),
        signals=signals,
        goal_budget=GOAL_BUDGET,
        alpha=alpha,
        overall=summarise(cases, point, signals, first),
        n_bases_not_counted=sum(c.role == "base" for c in cases),
        students=_rows(manifest.students, cases, final),
    )
    budgets = sorted({s.budget for s in manifest.students if s.true_teacher and s.budget is not None})
    for b in budgets:
        at = [c for c in cases if c.role == "distilled" and c.student.budget == b]
        out.by_budget[str(b)] = mean_share([taught_by(point[c.key][0], c.student) for c in at])
    draws = _resampled_p_values(cases, final, population, resamples, seed)
    if draws:
        out.resampled, out.resamples = summarise(cases, {**point, **_rejections(draws, alpha)}, signals, first), resamples
        _resampled_rows(out, cases, _rejections(draws, alpha))
    for level in sorted({*CURVE_ALPHAS, alpha}):
        at_level = {c.key: decided(c, signals, level) for c in cases}
        level_point = {k: [set(r.test.rejected) if r.test else set()] for k, r in at_level.items()}
        row = summarise(cases, level_point, signals, first)
        sampled = summarise(cases, {**level_point, **_rejections(draws, level)}, signals, first) if draws else None
        out.curve.append(
            CurvePoint(
                alpha=level,
                detection=row.detection,
                false_accusation=row.false_accusation,
                detection_resampled=sampled.detection if sampled else None,
                false_accusation_resampled=sampled.false_accusation if sampled else None,
            )
        )
    if ablation and len(signals) > 1:
        for signal in signals:
            for chosen, into in (([x for x in signals if x != signal], out.leave_one_out), ([signal], out.single_signal)):
                again = {c.key: decided(c, chosen) for c in cases}
                firsts = {k: (r.ranking[0] if r.ranking else None) for k, r in again.items()}
                into[signal] = summarise(cases, {k: [set(r.test.rejected) if r.test else set()] for k, r in again.items()}, chosen, firsts)
    return out


def _rows(students: Sequence[ZooStudent], cases: Sequence[Case], final: dict[str, AttributionResult]) -> list[ZooStudentRow]:
    rows = []
    for s in students:
        mine = {c.listed: c for c in cases if c.student is s}
        result = final[mine[True].key]
        rejected = set(result.test.rejected) if result.test else set()
        rows.append(
            ZooStudentRow(
                name=s.name,
                kind=s.kind,
                budget=s.budget,
                true_teacher=s.true_teacher,
                recipe=mine[True].recipe,
                result=result,
                correct=taught_by(rejected, s) if s.true_teacher else not rejected,
                unlisted=final[mine[False].key] if False in mine else None,
            )
        )
    return rows


def _resampled_p_values(
    cases: Sequence[Case],
    final: dict[str, AttributionResult],
    population: NullPopulation,
    resamples: int,
    seed: int,
) -> dict[str, list[dict[str, float]]]:
    """Per case, per resampled test set, each candidate's p-value against the case's leave-one-recipe-out null."""
    rng = np.random.default_rng([seed, 13])
    out: dict[str, list[dict[str, float]]] = {}
    for case in cases:
        result = final[case.key]
        if case.evidence is None or result.test is None or not result.test.signals:
            continue
        used = result.test.signals
        kind = "specific" if len(case.evidence.candidates) >= 2 else "raw"
        calibration = population.calibration(kind, used, case.recipe)
        if len(calibration.sample) < 3 or calibration.clusters < 3:
            continue
        n = len(case.evidence.ids)
        draws = []
        for _ in range(resamples):
            z, _ = case.evidence.z(kind, rng.integers(0, n, n), used, splits=rng.integers(0, ADVERSARY_SPLITS, ADVERSARY_SPLITS))
            draws.append({c: p for c, v in z.items() if (p := calibration.p_value(v, candidate=c)) is not None})
        out[case.key] = draws
    return out


def _rejections(draws: dict[str, list[dict[str, float]]], alpha: float) -> dict[str, list[set[str]]]:
    return {key: [{c for c, p in holm(ps).items() if p <= alpha} for ps in per] for key, per in draws.items()}


def _resampled_rows(out: ZooAttribution, cases: Sequence[Case], rejected: dict[str, list[set[str]]]) -> None:
    rows = {r.name: r for r in out.students}
    for case in cases:
        if case.key not in rejected:
            continue
        draws = rejected[case.key]
        row = rows[case.student.name]
        if case.listed:
            row.resampled = mean_share([taught_by(r, case.student) if case.student.true_teacher else bool(r) for r in draws])
        else:
            row.unlisted_resampled = mean_share([bool(r) for r in draws])
