"""Simulated zoos for the attribution test: its false-accusation rate and detection where the truth is known.

Building a real zoo takes 1-2.5 hours of two cores, so the test's error rates
are measured here on simulated zoos with the real structure, run through the
real code (`evidence.Evidence`, the null population, the predictive p-value,
Holm). For student s, candidate j, signal k and prompt p the per-prompt
margin (closeness of S to j less that of its base) is the mean of `samples`
answers' values:

    d = g_s (1 + u_pk)             every fine-tune moves toward every fluent candidate (g_s: per recipe, plus seed noise)
      + a_rj g_s                   the recipe's own style happens to lie nearer some candidates (a_rj ~ N(0, affinity))
      + effect c_k 1[j taught s] (1 + v_pk)   the teacher's pull, stronger on some prompts and signals
      + e_sj                       training noise of this seed (seed siblings differ)
      + w_pk + ε_pjk               a strong per-prompt effect shared by the candidates, and noise

Each base has a student of every candidate (`seeds` seeds each) and
`controls` control recipes (fine-tuned toward a style no candidate has, also
`seeds` seeds); every distilled student is a second case with its teacher left
out. Signals share part of their noise (they read the same answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from distillscope.attribution.evidence import Evidence
from distillscope.attribution.result import AttributionResult

if TYPE_CHECKING:
    from distillscope.attribution.zoo_cases import Case
    from distillscope.zoo.spec import Kind, ZooStudent


@dataclass
class SimSettings:
    n_prompts: int = 100
    candidates: tuple[str, ...] = ("A", "B", "D")
    bases: int = 2
    seeds: int = 2
    controls: int = 2
    effect: float = 0.3
    affinity: float = 0.15
    seed_sd: float = 0.03
    prompt_sd: float = 1.0
    signals: int = 3
    samples: int = 3
    #: the teacher's pull on each signal, times `effect` (None: alike on every signal). Real signals differ: the
    #: discriminant weighting (`combination.py`) is what learns which of them carry the teacher
    effect_by_signal: tuple[float, ...] | None = None
    #: SD of each candidate's pull on every fine-tune of a base (a candidate that draws untaught students unequally,
    #: as the dose ladder's chatgpt and smollm2 do)
    attraction: float = 0.0
    #: the first candidate's students also move toward the last candidate by this share of `effect` (a teacher with a
    #: near twin among the candidates: the audit that leaves the teacher out lists the twin)
    twin: float = 0.0


def _student(name: str, base: str, teacher: str | None, kind: Kind) -> ZooStudent:
    from distillscope.zoo.spec import ZooStudent

    budget = 300 if kind == "distilled" else None
    return ZooStudent(name=name, spec=name, base=base, true_teacher=teacher, kind=kind, budget=budget)


def simulate_zoo(settings: SimSettings, rng: np.random.Generator) -> list[Case]:
    """The cases of one simulated zoo (`zoo_cases.Case`, evidence filled in, results left undecided)."""
    from distillscope.attribution.zoo_cases import Case

    cands, n, k = list(settings.candidates), settings.n_prompts, settings.signals
    by_signal = np.asarray(settings.effect_by_signal or (1.0,) * k, float)
    cases = []
    for b in range(settings.bases):
        base = f"base{b}"
        prompt_effect = rng.normal(0, settings.prompt_sd, (n, k))  # w_pk: shared by every student of this base
        u, v = rng.normal(0, 0.5, (n, k)), rng.normal(0, 0.5, (n, k))
        attraction = rng.normal(0, settings.attraction, len(cands)) if settings.attraction else np.zeros(len(cands))
        recipes: list[tuple[str, Kind]] = [(t, "distilled") for t in cands] + [(f"style{c}", "control") for c in range(settings.controls)]
        for label, kind in recipes:
            generic = rng.uniform(0.2, 0.6)
            affinity = rng.normal(0, settings.affinity, len(cands)) + attraction
            for seed in range(settings.seeds):
                name = f"{base}-{label}" + (f"-s{seed}" if seed else "")
                teacher = label if kind == "distilled" else None
                student = _student(name, base, teacher, kind)
                g = generic + rng.normal(0, settings.seed_sd)
                pull = np.asarray([settings.effect if c == teacher else 0.0 for c in cands])
                if teacher == cands[0]:
                    pull[-1] += settings.twin * settings.effect
                mean = (
                    g * (1 + u)[:, :, None]
                    + (affinity * g)[None, None, :]
                    + pull[None, None, :] * ((1 + v) * by_signal)[:, :, None]
                    + rng.normal(0, settings.seed_sd, len(cands))[None, None, :]
                    + prompt_effect[:, :, None]
                )
                shared = rng.normal(0, 1, (settings.samples, n, 1, len(cands)))  # the answers every signal reads
                own = rng.normal(0, 1, (settings.samples, n, k, len(cands)))
                values = mean + ((shared + own) / np.sqrt(2)).mean(axis=0)
                recipe = f"{base} <- {label} ({kind})"
                for listed in (True, False) if teacher else (True,):
                    keep = [j for j, c in enumerate(cands) if listed or c != teacher]
                    evidence = Evidence(candidates=[cands[j] for j in keep], ids=[f"p{i}" for i in range(n)])
                    for s in range(k):
                        evidence.per_prompt[f"signal{s}"] = values[None, :, s, keep]
                    undecided = AttributionResult(student=name, base=base, candidates=[], outcome="undecided", predicted=None)
                    cases.append(Case(student, listed, recipe, undecided, evidence))
    return cases


def rejected_sets(cases: list[Case], alpha: float, calibrated: bool = True) -> dict[str, set[str]]:
    """Each case's rejected candidates: against its leave-one-recipe-out null (calibrated) or the normal p (not)."""
    from distillscope.attribution.hypothesis import holm, normal_p, statistic
    from distillscope.attribution.zoo_eval import null_population

    n_prompts = next((len(c.evidence.ids) for c in cases if c.evidence is not None), 0)
    population = null_population(cases, "simulated zoo", n_prompts) if calibrated else None
    out = {}
    for case in cases:
        if case.evidence is None:  # never in a simulated zoo: every case is built with its evidence
            continue
        kind = "specific" if len(case.evidence.candidates) >= 2 else "raw"
        z, _ = case.evidence.z(kind)
        signals = sorted(case.evidence.per_prompt)
        if population is not None:
            calibration = population.calibration(kind, signals, case.recipe)
            p = {c: q for c, v in z.items() if (q := calibration.p_value(v, candidate=c)) is not None}
        else:
            p = {c: normal_p(u) for c, v in z.items() if (u := statistic(v)) is not None}
        out[case.key] = {c for c, q in holm(p).items() if q <= alpha}
    return out


def rates(cases: list[Case], rejected: dict[str, set[str]]) -> dict[str, float]:
    """False accusation (controls and teacher-left-out cases naming anyone) and detection (exactly the teacher)."""
    untaught = [c for c in cases if c.role in ("control", "unlisted")]
    distilled = [c for c in cases if c.role == "distilled"]
    return {
        "false_accusation": float(np.mean([bool(rejected[c.key]) for c in untaught])),
        "detection": float(np.mean([rejected[c.key] == {c.student.true_teacher} for c in distilled])),
        "wrong_teacher": float(np.mean([bool(rejected[c.key] - {c.student.true_teacher}) for c in distilled])),
    }


def simulate_rates(settings: SimSettings, zoos: int, alpha: float, seed: int = 0, calibrated: bool = True) -> dict[str, float]:
    """Mean rates over `zoos` independently simulated zoos."""
    rng = np.random.default_rng(seed)
    runs = [rates(cases, rejected_sets(cases, alpha, calibrated)) for cases in (simulate_zoo(settings, rng) for _ in range(zoos))]
    return {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
