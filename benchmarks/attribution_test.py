"""The attribution test's error rates on simulated zoos, and its adversary margins' null |z| (issues 27 and 31.6).

    python benchmarks/attribution_test.py curve --zoos 200          # detection vs false accusation over alpha
    python benchmarks/attribution_test.py margins --runs 20000      # adversary margins under the null: share with |z| >= 2

`curve`: simulated zoos with the real structure (`distillscope/attribution/simulation.py`: students of each
candidate on two bases, two seeds per recipe, controls toward styles no candidate has, every distilled student
again with its teacher left out, strong per-prompt effects, three answers per prompt), each case tested against its
leave-one-recipe-out null population, Holm across candidates; the uncalibrated rule beside it.

`margins`: the null of issue 31.6: an adversary margin whose true value is 0, with prompt noise and training noise (each
refit of the adversary shifts every pair score), its z from one fit's prompt SE (the old interval) and from three refits
with the between-refit variance inside (the new one).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def curve(zoos: int, seed: int, effect: float) -> None:
    from distillscope.attribution.hypothesis import holm, normal_p, predictive_p, statistic
    from distillscope.attribution.simulation import SimSettings, simulate_zoo
    from distillscope.attribution.zoo_eval import null_population

    alphas = (0.01, 0.02, 0.05, 0.1, 0.2)
    rng = np.random.default_rng(seed)
    hits = {(mode, a): {"fa": [], "det": [], "wrong": []} for mode in ("calibrated", "uncalibrated") for a in alphas}
    start = time.time()
    for _ in range(zoos):
        cases = simulate_zoo(SimSettings(effect=effect), rng)
        population = null_population(cases, "sim", 100)
        for case in cases:
            z, _ = case.evidence.z("specific")
            stats = {c: statistic(v) for c, v in z.items()}
            sample, clusters = (
                population.statistics("specific", list(case.evidence.per_prompt), case.recipe),
                population.n_cases("specific", case.recipe),
            )
            ps = {"calibrated": {c: predictive_p(u, sample, clusters) for c, u in stats.items()}}
            ps["uncalibrated"] = {c: normal_p(u) for c, u in stats.items()}
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
    print(f"{zoos} simulated zoos, effect {effect}, {time.time() - start:.0f} s")
    print("| test | alpha | false accusation | detection | wrong teacher |\n| --- | --- | --- | --- | --- |")
    for (mode, a), h in hits.items():
        print(f"| {mode} | {a:g} | {np.mean(h['fa']):.3f} | {np.mean(h['det']):.3f} | {np.mean(h['wrong']):.3f} |")


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
    parser.add_argument("what", choices=("curve", "margins"))
    parser.add_argument("--zoos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--effect", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    curve(args.zoos, args.seed, args.effect) if args.what == "curve" else margins(args.runs, args.n, args.seed)
