"""The attribution test's error rates on simulated zoos, and its adversary margins' null |z| (issues 27 and 31.6).

    python benchmarks/attribution_test.py curve --zoos 200          # detection vs false accusation over alpha
    python benchmarks/attribution_test.py curve --attraction 0.3 --twin 1.0 --null pooled   # other populations, nulls
    python benchmarks/attribution_test.py margins --runs 20000      # adversary margins under the null: share with |z| >= 2
    python benchmarks/attribution_test.py power --eval FILE --zoo DIR   # a real zoo: how far each true teacher is from rejection
    python benchmarks/attribution_test.py prompts --zoo DIR         # a real zoo: detection and false accusation by test-set size

`curve`: simulated zoos with the real structure (`distillscope/attribution/simulation.py`: students of each
candidate on two bases, two seeds per recipe, controls toward styles no candidate has, every distilled student
again with its teacher left out, strong per-prompt effects, three answers per prompt), each case tested against its
leave-one-recipe-out null population, Holm across candidates; the uncalibrated rule beside it. `--attraction` (each
candidate's pull on every fine-tune of a base) and `--twin` (the first teacher's students also pulled toward the last
candidate) build the populations that candidate-centred nulls are for; `--null pooled` tests against every candidate's
untaught cases, as before 2026-12-07.

`power`: on a real zoo's `attribute --zoo DIR --out FILE`, for each distilled student with its teacher listed, the
statistic U its true teacher reached, its leave-one-recipe-out null (mean, SD, cases k), and the U that Holm's first step
would need at alpha (mean + t(1 - alpha/m, k - 1) SD sqrt(1 + 1/k), m candidates tested), in null SDs; then the effect
(U - mean) / SD that 80% detection would need at k and at larger null populations. It says whether a zoo can detect at all
before anyone tunes a threshold.

`prompts`: on a real zoo, what more test prompts buy. For each size m (a share of the zoo's test prompts), `--draws`
subsets of m prompts drawn without replacement; on each, every case's z and the whole null population are computed
on those m prompts alone, and every case is decided as `attribute --zoo` decides it (leave-one-recipe-out null,
Student-t predictive p, Holm). Printed per m: detection at the goal budget, false accusation, and the true teachers'
effect (U - null mean) / null SD. If the effect grows as sqrt(m) the null's spread is prompt noise and more prompts
buy detection; if it stays flat, the spread is between models and no number of prompts will.

`margins`: the null of issue 31.6: an adversary margin whose true value is 0, with prompt noise and training noise (each
refit of the adversary shifts every pair score), its z from one fit's prompt SE (the old interval) and from three refits
with the between-refit variance inside (the new one).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def curve(
    zoos: int,
    seed: int,
    effect: float,
    by_signal: tuple[float, ...] | None = None,
    rule: str = "discriminant",
    attraction: float = 0.0,
    twin: float = 0.0,
    null: str = "centred",
) -> None:
    from distillscope.attribution.hypothesis import holm, normal_p, statistic
    from distillscope.attribution.simulation import SimSettings, simulate_zoo
    from distillscope.attribution.zoo_eval import null_population

    alphas = (0.01, 0.02, 0.05, 0.1, 0.2)
    rng = np.random.default_rng(seed)
    hits = {(mode, a): {"fa": [], "det": [], "wrong": []} for mode in ("calibrated", "uncalibrated") for a in alphas}
    start = time.time()
    for _ in range(zoos):
        cases = simulate_zoo(SimSettings(effect=effect, effect_by_signal=by_signal, attraction=attraction, twin=twin), rng)
        population = null_population(cases, "sim", 100)
        if rule == "mean":  # without taught pairs the statistic is the mean z
            population.taught = []
        for case in cases:
            z, _ = case.evidence.z("specific")
            calibration = population.calibration("specific", list(case.evidence.per_prompt), case.recipe)
            ps = {"calibrated": {c: calibration.p_value(v, candidate=None if null == "pooled" else c) for c, v in z.items()}}
            ps["uncalibrated"] = {c: normal_p(statistic(v)) for c, v in z.items()}
            for mode, p in ps.items():
                adjusted = holm(p)
                for a in alphas:
                    rejected = {c for c, q in adjusted.items() if q <= a}
                    h = hits[(mode, a)]
                    if case.role in ("control", "unlisted"):
                        h["fa"].append(bool(rejected))
                    elif case.role == "distilled":
                        h["det"].append(rejected == {case.student.true_teacher})
                        h["wrong"].append(bool(rejected - {case.student.true_teacher}))
    print(
        f"{zoos} simulated zoos, effect {effect} (by signal: {by_signal or 'alike'}), attraction {attraction}, twin {twin}, "
        f"{rule} statistic, {null} null, {time.time() - start:.0f} s"
    )
    print("| test | alpha | false accusation | detection | wrong teacher |\n| --- | --- | --- | --- | --- |")
    for (mode, a), h in hits.items():
        print(f"| {mode} | {a:g} | {np.mean(h['fa']):.3f} | {np.mean(h['det']):.3f} | {np.mean(h['wrong']):.3f} |")


def power(eval_file: str, zoo: str, alpha: float) -> None:
    import json

    from scipy.stats import norm, t

    from distillscope.attribution.null_population import load

    population = load(zoo)
    evaluation = json.loads(open(eval_file, encoding="utf-8").read())
    effects, needs = [], []
    print(
        f"{'student':28} {'U':>6} {'null mean':>9} {'null SD':>7} {'k':>3} {'U needed':>8} {'effect':>6} {'needed':>6} "
        f"{'p own':>6} (pooled columns; p own: against the teacher's own untaught cases, as the test decides)"
    )
    for student in evaluation["students"]:
        result = student["result"]
        test = result.get("test") or {}
        teacher = next((c for c in result["candidates"] if c["name"] == student.get("true_teacher")), None)
        if student["kind"] != "distilled" or teacher is None or not (teacher.get("test") or {}).get("statistic"):
            continue
        kind, used = teacher["test"]["kind"], test["signals"]
        calibration = population.calibration(kind, used, student["recipe"])
        sample, k = calibration.sample, calibration.clusters
        m = sum(1 for c in result["candidates"] if (c.get("test") or {}).get("p_value") is not None)
        mean, sd = float(np.mean(sample)), float(np.std(sample, ddof=1))
        crit = float(t.isf(alpha / m, k - 1)) * (1 + 1 / k) ** 0.5
        u = teacher["test"]["statistic"]
        effects.append((u - mean) / sd)
        needs.append(crit)
        own = calibration.p_of(u, teacher["name"])
        print(
            f"{student['name']:28} {u:6.2f} {mean:9.2f} {sd:7.2f} {k:3d} {mean + crit * sd:8.2f} {effects[-1]:6.2f} {crit:6.2f} "
            f"{own if own is not None else float('nan'):6.3f}"
        )
    if not effects:
        print("no distilled student with its teacher listed and tested")
        return
    m_typical = 3
    print(
        f"\nthe true teacher's effect (U - null mean) / null SD: median {np.median(effects):.2f}, range {min(effects):.2f}-{max(effects):.2f}"
    )
    print(f"rejection at alpha {alpha} needs an effect of {min(needs):.2f}-{max(needs):.2f} null SDs at this zoo's null")
    print("80% detection (the effect's own SD taken as one null SD) needs, by null cases k (Holm's first step, 3 candidates):")
    for k in (8, 12, 20, 40, 100):
        crit = float(t.isf(alpha / m_typical, k - 1)) * (1 + 1 / k) ** 0.5
        print(f"  k = {k:3d}: {crit + float(norm.isf(0.2)):.2f} null SDs")


def prompts(zoo: str, sizes: list[float], draws: int, alpha: float, seed: int) -> None:
    from pathlib import Path

    from distillscope.attribution.hypothesis import holm
    from distillscope.attribution.result import DEFAULT_SIGNALS
    from distillscope.attribution.zoo_cases import GOAL_BUDGET, taught_by
    from distillscope.attribution.zoo_eval import null_population, zoo_cases
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    start = time.time()
    _, prompts_, cases = zoo_cases(Path(zoo), list(DEFAULT_SIGNALS), lambda path: Runner(ResponseStore(path), show_progress=False), seed)
    cases = [c for c in cases if c.evidence is not None and c.role != "base" and len(c.evidence.candidates) >= 2]
    n = min(len(c.evidence.ids) for c in cases)
    print(f"{len(cases)} cases on {n} test prompts ({time.time() - start:.0f} s to gather); alpha {alpha}, {draws} draws per size")
    print("| prompts | detection (budget >= 300) | false accusation | teacher effect, null SDs (median) | null SD |")
    print("| --- | --- | --- | --- | --- |")
    rng = np.random.default_rng(seed)
    for share in sizes:
        m = max(10, round(share * n))
        detected, accused, effects, spreads = [], [], [], []
        for _ in range(draws if m < n else 1):
            draw = np.sort(rng.choice(n, m, replace=False)) if m < n else None
            population = null_population(cases, "subset", m, draw)
            for case in cases:
                z, _ = case.evidence.z("specific", draw)
                used = sorted({s for v in z.values() for s in v})
                calibration = population.calibration("specific", used, case.recipe)
                sample = calibration.sample
                if len(sample) < 3:
                    continue
                stats = {c: u for c, v in z.items() if v and (u := calibration.combination(v)) is not None}
                p = {c: q for c, v in z.items() if v and (q := calibration.p_value(v, candidate=c)) is not None}
                rejected = {c for c, q in holm(p).items() if q <= alpha}
                if case.role == "distilled" and (case.student.budget or 0) >= GOAL_BUDGET:
                    detected.append(taught_by(rejected, case.student))
                    teacher = case.student.true_teacher
                    if teacher in stats:
                        sd = float(np.std(sample, ddof=1))
                        effects.append((stats[teacher] - float(np.mean(sample))) / sd)
                        spreads.append(sd)
                elif case.role in ("control", "unlisted"):
                    accused.append(bool(rejected))
        print(
            f"| {m} | {np.mean(detected):.2f} ({len(detected)}) | {np.mean(accused):.2f} ({len(accused)}) | "
            f"{np.median(effects):.2f} | {np.median(spreads):.2f} |"
        )


def margins(runs: int, n: int, seed: int, training_sd: float = 0.042, prompt_sd: float = 0.48) -> None:
    """The margin's null with training noise, at the sizes of issue 31.6 (prompt SE 0.062, true SD 0.075 at n = 60):
    per prompt a paired difference with a strong prompt effect, plus for each adversary refit a shift common to every
    prompt (a refitted adversary moves every pair score). Old: one fit, prompt bootstrap SE. New (`evidence._per_prompt_z`
    and `signals.adversary_margin`): three refits averaged, between-refit variance / 3 added."""
    from distillscope.attribution.evidence import _per_prompt_z

    rng = np.random.default_rng(seed)
    old, new = [], []
    for _ in range(runs):
        prompts = rng.normal(0, prompt_sd, (1, n, 1))
        fits = prompts + rng.normal(0, training_sd, (3, 1, 1))
        old.append(_per_prompt_z(fits[:1])[0][0])
        new.append(_per_prompt_z(fits)[0][0])
    old_z, new_z = np.abs(old), np.abs(new)
    print(f"{runs} null runs, {n} prompts; prompt SE {prompt_sd / n**0.5:.3f}, training SD {training_sd}")
    print(f"one fit, prompt SE only:               |z| >= 2 in {np.mean(old_z >= 2):.3f} (sd of z {np.std(old):.2f})")
    print(f"three refits, training noise in the SE: |z| >= 2 in {np.mean(new_z >= 2):.3f} (sd of z {np.std(new):.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("curve", "margins", "power", "prompts"))
    parser.add_argument("--sizes", type=float, nargs="*", default=[0.25, 0.5, 0.75, 1.0], help="prompts: shares of the test set")
    parser.add_argument("--draws", type=int, default=20, help="prompts: subsets drawn per size")
    parser.add_argument("--zoos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--effect", type=float, default=0.3)
    parser.add_argument("--by-signal", type=float, nargs="*", help="curve: the teacher's pull on each signal, times --effect")
    parser.add_argument("--rule", choices=("discriminant", "mean"), default="discriminant", help="curve: the statistic")
    parser.add_argument("--attraction", type=float, default=0.0, help="curve: SD of each candidate's pull on every fine-tune")
    parser.add_argument("--twin", type=float, default=0.0, help="curve: the first teacher's students' pull toward the last candidate")
    parser.add_argument("--null", choices=("centred", "pooled"), default="centred", help="curve: each candidate's own null or all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval", help="power: the JSON `distillscope attribute --zoo DIR --out FILE` wrote")
    parser.add_argument("--zoo", help="power: the zoo directory (its attribution_null.json) or that file; prompts: the zoo")
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    if args.what == "power":
        if not (args.eval and args.zoo):
            parser.error("power needs --eval FILE and --zoo DIR")
        power(args.eval, args.zoo, args.alpha)
    elif args.what == "prompts":
        if not args.zoo:
            parser.error("prompts needs --zoo DIR")
        prompts(args.zoo, args.sizes, args.draws, args.alpha, args.seed)
    elif args.what == "curve":
        by_signal = tuple(args.by_signal) if args.by_signal else None
        curve(args.zoos, args.seed, args.effect, by_signal, args.rule, args.attraction, args.twin, args.null)
    else:
        margins(args.runs, args.n, args.seed)
