"""How the attribution test's signals are combined, measured on a zoo: detection and false accusation per rule.

    python benchmarks/attribution_combine.py --eval ATTRIBUTION.json --zoo DIR [--alpha 0.05]

ATTRIBUTION.json is what `distillscope attribute --zoo DIR --out FILE` wrote. Every case (each student with every
candidate listed, each distilled student again with its teacher left out) is decided again from its stored per-signal
z, against the untaught (case, candidate) pairs of the other recipes (leave-one-recipe-out, as the zoo evaluation
does), with a Student-t predictive p-value over cases (pooled over candidates: the product's own-candidate nulls,
`hypothesis.candidate_p`, are left out so that only the statistic differs) and Holm across candidates. The rules
differ only in how one
(case, candidate)'s per-signal z become the statistic; each is fitted on the null pairs alone (no taught case, so
nothing here learns what a teacher looks like):

- mean: the mean z over the signals (the test's statistic);
- standardized: the mean over signals of (z - null mean) / null SD, so a signal whose untaught spread is wide
  weighs less;
- whitened: the standardized z weighted by the inverse of their null correlation (shrunk toward the identity):
  signals that repeat one another count once;
- discriminant (the product's statistic since 2026-12-07, `distillscope/attribution/combination.py`): each standardized
  signal weighted by how far the taught pairs of the other recipes (each distilled
  student with its true teacher) lie above the null, in null SDs (a diagonal Fisher discriminant, weights >= 0): the
  one rule that learns from taught cases. Its null statistics are cross-fitted (each null pair scored by weights
  fitted without its own recipe), so an untaught case is scored as a new one would be.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from distillscope.attribution.hypothesis import Z_CLIP


def cases_of(evaluation: dict, second_teachers: dict[str, str]) -> list[dict]:
    out = []
    for row in evaluation["students"]:
        if row["kind"] == "base":
            continue
        teachers = {row["true_teacher"]} if row["true_teacher"] else set()
        for listed, result in ((True, row["result"]), (False, row.get("unlisted"))):
            if not result:
                continue
            z = {  # as stored: the discriminant clips in null SDs itself, the other rules clip z (`_clipped`)
                c["name"]: dict(c["test"]["z"]) for c in result["candidates"] if c.get("test") and c["test"].get("z")
            }
            if len(z) < 2:
                continue
            out.append(
                {
                    "key": f"{row['name']} ({'listed' if listed else 'teacher left out'})",
                    "recipe": row["recipe"],
                    "kind": row["kind"],
                    "budget": row.get("budget") or 0,
                    "teachers": teachers | ({second_teachers[row["name"]]} if row["name"] in second_teachers else set()),
                    "listed": listed,
                    "z": z,
                }
            )
    return out


def _clipped(z: dict[str, float]) -> dict[str, float]:
    """z clipped as the mean z clips it (`hypothesis.Z_CLIP`): the rules fitted here other than the discriminant."""
    return {s: float(np.clip(v, -Z_CLIP, Z_CLIP)) for s, v in z.items()}


def null_pairs(cases: list[dict], recipe: str) -> list[tuple[str, dict]]:
    """(recipe, z) of untaught pairs of other recipes: controls and teacher-left-out cases (not other teachers' listed
    students, whose teacher's margin pushes the others down)."""
    pairs = []
    for case in cases:
        if case["recipe"] == recipe or (case["kind"] == "distilled" and case["listed"]):
            continue
        pairs += [(case["recipe"], z) for name, z in case["z"].items() if name not in case["teachers"]]
    return pairs


def taught_pairs(cases: list[dict], recipe: str) -> list[tuple[str, dict]]:
    """(recipe, z) of each listed distilled student of another recipe toward its true teacher."""
    return [
        (case["recipe"], z)
        for case in cases
        if case["recipe"] != recipe and case["kind"] == "distilled" and case["listed"]
        for name, z in case["z"].items()
        if name in case["teachers"]
    ]


def fit(rule: str, signals: list[str], null: list[dict]):
    matrix = np.array([[z.get(s, 0.0) for s in signals] for z in null])
    mean, sd = matrix.mean(axis=0), matrix.std(axis=0, ddof=1) + 1e-9
    if rule == "mean":
        return lambda z: float(np.mean([z.get(s, 0.0) for s in signals]))
    standard = (matrix - mean) / sd
    if rule == "standardized":
        return lambda z: float(np.mean((np.array([z.get(s, 0.0) for s in signals]) - mean) / sd))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.nan_to_num(np.corrcoef(standard.T))  # a signal constant over the null correlates with nothing
    shrunk = 0.5 * correlation + 0.5 * np.eye(len(signals))
    weights = np.linalg.solve(shrunk, np.ones(len(signals)))
    return lambda z: float(weights @ ((np.array([z.get(s, 0.0) for s in signals]) - mean) / sd))


def decide(rule: str, cases: list[dict], alpha: float, goal_budget: int = 300) -> dict:
    from distillscope.attribution.combination import null_sample
    from distillscope.attribution.hypothesis import holm, predictive_p

    signals = sorted({s for case in cases for z in case["z"].values() for s in z})
    named, untaught, detected, taught = 0, 0, 0, 0
    for case in cases:
        pairs = null_pairs(cases, case["recipe"])
        if rule == "discriminant":  # the product's statistic, its null cross-fitted (attribution/combination.py)
            statistic, null = null_sample(signals, pairs, taught_pairs(cases, case["recipe"]))
            null = null[np.isfinite(null)]  # a pair without any weighted signal has no statistic
            own = case["z"]
        else:
            statistic = fit(rule, signals, [_clipped(z) for _, z in pairs])
            null = np.array([statistic(_clipped(z)) for _, z in pairs])
            own = {name: _clipped(z) for name, z in case["z"].items()}
        k = len({c["key"] for c in cases if c["recipe"] != case["recipe"] and not (c["kind"] == "distilled" and c["listed"])})
        p = {name: predictive_p(u, null, k) for name, z in own.items() if (u := statistic(z)) is not None}
        rejected = [name for name, q in holm(p).items() if q <= alpha]
        outcome = rejected[0] if len(rejected) == 1 else None
        if case["kind"] == "control" or not case["listed"]:
            untaught += 1
            named += bool(rejected)
        elif case["kind"] == "distilled" and case["budget"] >= goal_budget:
            taught += 1
            detected += outcome in case["teachers"]
    return {
        "detection": detected / max(taught, 1),
        "n_taught": taught,
        "false_accusation": named / max(untaught, 1),
        "n_untaught": untaught,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", required=True)
    parser.add_argument("--zoo", required=True, help="the zoo (its manifest names a mixture student's second teacher)")
    parser.add_argument("--alpha", type=float, nargs="*", default=[0.01, 0.05, 0.1, 0.2])
    parser.add_argument("--goal-budget", type=int, default=300, help="detection counts distilled students at this budget or more")
    args = parser.parse_args()
    from distillscope.zoo.spec import read_manifest

    second = {s.name: s.rest_from for s in read_manifest(args.zoo).students if s.rest_from}
    cases = cases_of(json.loads(open(args.eval, encoding="utf-8").read()), second)
    print(f"{len(cases)} cases; detection over distilled students at budget >= {args.goal_budget} with their teacher listed")
    print(f"{'rule':14} {'alpha':>5} {'detection':>9} {'false accusation':>16}")
    for rule in ("mean", "standardized", "whitened", "discriminant"):
        for alpha in args.alpha:
            r = decide(rule, cases, alpha, args.goal_budget)
            print(f"{rule:14} {alpha:5.2f} {r['detection']:6.2f} /{r['n_taught']:<2} {r['false_accusation']:13.2f} /{r['n_untaught']}")


if __name__ == "__main__":
    main()
