"""A one-line verdict per student, by the rules written in docs/audit.md, applied literally.

Two things decide it, and nothing else:
- distinguishability, from the adversaries' advantage intervals at q = 1. "Indistinguishable" needs
  the class ε (the largest bound on |Adv| over every adversary tried) to be at most 0.10 with at
  least 200 test prompts; "distinguishable" needs an adversary whose advantage interval lies above
  0. Anything else is "undecided", and the headline says what more data would decide it.
- identity: an accusation of claiming another family's identity needs ICE *hard* (strict claims,
  misleading templates left out) with at least 3 successes and a 95% lower bound above 0.
Similarity and RSE are quoted alongside but decide nothing, because a weak judge or a short answer
limit moves them without any distillation. No point ever asks the reader to check a control that
was not run.
"""

from __future__ import annotations

EPSILON_MAX = 0.10  # class ε at q = 1 at or below which a student is called indistinguishable
MIN_TEST_PROMPTS = 200  # ... and the test prompts that ε must rest on
CLEAR = 0.5  # a lower bound above this is "clearly" distinguishable
MIN_HARD_SUCCESSES = 3  # ICE hard successes an identity accusation needs (with a lower bound > 0)


def _fmt(estimate: dict) -> str:
    if estimate.get("mean") is None:
        return f"n/a ({estimate['status']})" if estimate.get("status") else "n/a"
    if estimate.get("low") is None or estimate.get("high") is None:
        why = f"; {estimate['status']}" if estimate.get("status") else ""
        return f"{estimate['mean']:.2f} (no interval{why})"
    return f"{estimate['mean']:.2f} [{estimate['low']:.2f}, {estimate['high']:.2f}]"


def adversary_estimates(indist: dict) -> dict[str, dict]:
    """Each adversary's advantage at q = 1: the learned ones, and the pairwise judge over all pairs.

    The judge's comes from its ε-table row where there is one (the interval the class bound used,
    with the reason when there is none), else from its own result.
    """
    out = {name: r["advantage"] for name, r in (indist.get("learned") or {}).items() if r.get("advantage")}
    if indist.get("judge"):
        row = next((r for r in indist.get("epsilon_table") or [] if r.get("adversary") == "judge" and r.get("q") == 1), None)
        if row is not None and "low" in row:
            out["judge"] = {"mean": row.get("advantage"), "low": row.get("low"), "high": row.get("high"), "n": row.get("n"),
                            "status": row.get("status")}
        else:
            out["judge"] = indist["judge"]["advantage_all_pairs"]
    return out


def class_epsilon(indist: dict) -> dict | None:
    """The class ε at q = 1: max over adversaries of max(|low|, |high|); None when no adversary gave an interval.

    Uses the indist result's own class row when it has one (with its correction for the number of
    adversaries); otherwise computes the uncorrected bound here. `missing` names adversaries that
    gave no interval: with any of them the class bound is incomplete.
    """
    row = indist.get("epsilon_class")
    if isinstance(row, dict) and "epsilon" in row:
        return {"epsilon": row["epsilon"], "adversary": row.get("adversary"), "missing": list(row.get("missing") or []),
                "corrected": True}
    bounds, missing = {}, []
    for name, estimate in adversary_estimates(indist).items():
        if estimate.get("low") is None or estimate.get("high") is None:
            missing.append(name)
        else:
            bounds[name] = max(abs(estimate["low"]), abs(estimate["high"]))
    if not bounds:
        return None
    worst = max(bounds, key=bounds.get)
    return {"epsilon": bounds[worst], "adversary": worst, "missing": missing, "corrected": False}


def _prompts_needed(n: int, estimate: dict) -> str | None:
    """A rough count of test prompts that would decide it, if the half-width shrinks as 1/sqrt(n)."""
    mean, low, high = estimate.get("mean"), estimate.get("low"), estimate.get("high")
    if mean is None or low is None or high is None or n <= 0:
        return None
    half = (high - low) / 2
    if abs(mean) < EPSILON_MAX:
        target, outcome = EPSILON_MAX - abs(mean), f"bring ε under {EPSILON_MAX:.2f}"
    elif mean > 0:
        target, outcome = mean, "put the lower bound above 0"
    else:
        return None
    needed = int(n * (half / target) ** 2) + 1
    return f"about {max(needed, MIN_TEST_PROMPTS)} test prompts would {outcome} if the advantage stays at {mean:.2f}"


def decisive_lower_bounds(indist: dict) -> tuple[dict[str, float], str]:
    """Lower bounds at q = 1 that may call a student distinguishable, and how they were corrected.

    Picking the best of k adversaries on the test data would be optimistic, so: the adversary selected
    on the train split counts with its 95% bound; every other one with its simultaneous (Bonferroni,
    1 − α/k) bound where the results store one; results without a class row (older files) fall back
    to the 95% bounds, and say so.
    """
    estimates = adversary_estimates(indist)
    if not isinstance(indist.get("epsilon_class"), dict):
        return {n: e["low"] for n, e in estimates.items() if e.get("low") is not None}, "95% bounds, uncorrected for the number tried"
    selected = indist.get("selected") if len(estimates) > 1 else next(iter(estimates), None)
    rows = {r.get("adversary"): r for r in indist.get("epsilon_table") or [] if r.get("q") == 1}
    lows = {}
    for name, estimate in estimates.items():
        learned = (indist.get("learned") or {}).get(name) or {}
        simultaneous = (learned.get("q_curve_simultaneous") or {})
        pair = simultaneous.get(1) or simultaneous.get("1") or (rows.get(name, {}).get("low_simultaneous"), None)
        if name == selected and estimate.get("low") is not None:
            lows[name] = estimate["low"]
        elif pair and pair[0] is not None:
            lows[name] = pair[0]
        elif name == "judge":
            low = _judge_simultaneous_low(indist, rows.get(name, {}).get("simultaneous_confidence"))
            if low is not None:
                lows[name] = low
    return lows, "the train-selected adversary's 95% bound, the others' simultaneous bounds"


def _judge_simultaneous_low(indist: dict, confidence: float | None) -> float | None:
    """The pairwise judge's lower bound at the simultaneous level, from its per-pair scores (one answer per prompt)."""
    scores = (indist.get("judge") or {}).get("scores") or []
    if not scores or confidence is None or (indist.get("samples_per_prompt") or 1) != 1:
        return None
    from distillscope.metrics.stats import cluster_bootstrap

    return cluster_bootstrap(scores, None, confidences=(confidence,))[1][confidence][0]


def _distinguishability(indist: dict) -> tuple[str, list[str]]:
    estimates = adversary_estimates(indist)
    n = indist.get("n_test") or max((e.get("n") or 0 for e in estimates.values()), default=0)
    eps = class_epsilon(indist)
    bounded = {name: e for name, e in estimates.items() if e.get("low") is not None and e.get("high") is not None}
    if eps is None or eps.get("epsilon") is None or not bounded:
        why = "; ".join(f"{name}: {_fmt(e)}" for name, e in estimates.items()) or "no adversary was run"
        return "undecided: no adversary gave an advantage interval", [f"adversaries at q = 1: {why}"]
    points = [f"{name} advantage {_fmt(e)} at q = 1" for name, e in estimates.items()]
    corrected = "" if eps["corrected"] else " (uncorrected for the number of adversaries)"
    points.append(f"class ε at q = 1: {eps['epsilon']:.3f} (from {eps['adversary']}){corrected} over n = {n} test prompts")
    lows, how = decisive_lower_bounds(indist)
    if lows:
        best_name = max(lows, key=lows.get)
        best = estimates[best_name]
        if lows[best_name] > 0:
            strength = "clearly" if lows[best_name] > CLEAR else "partly"
            points.append(f"decided by {best_name}'s lower bound {lows[best_name]:.2f} ({how})")
            return f"{strength} distinguishable from the teacher ({best_name} advantage {_fmt(best)})", points
    if eps["epsilon"] <= EPSILON_MAX and n >= MIN_TEST_PROMPTS and not eps["missing"]:
        return (f"indistinguishable from the teacher by the adversaries tried (class ε {eps['epsilon']:.3f} ≤ {EPSILON_MAX:.2f} "
                f"at q = 1, n = {n} test prompts)"), points
    needs = []
    if n < MIN_TEST_PROMPTS:
        needs.append(f"n = {n} test prompts; ≥ {MIN_TEST_PROMPTS} needed")
    if eps["epsilon"] > EPSILON_MAX:
        needs.append(f"class ε = {eps['epsilon']:.2f}; ≤ {EPSILON_MAX:.2f} needed")
    if eps["missing"]:
        needs.append(f"no interval from {', '.join(eps['missing'])}")
    hint = _prompts_needed(n, estimates[eps["adversary"]]) if eps["adversary"] in estimates else None
    if hint:
        points.append(hint)
    return f"undecided: {'; '.join(needs)}", points


def _hard_successes(scores: dict, kind: str) -> int:
    counted = (scores.get("successes") or {}).get(kind)
    if counted is not None:
        return int(counted)
    estimate = scores.get(kind) or {}
    return int(round((estimate.get("mean") or 0) * (estimate.get("n") or 0)))


def _identity(ice: dict) -> tuple[str | None, list[str]]:
    overall = ice.get("overall")
    if not overall:
        return None, [f"ICE not scored: {ice['skipped']}"] if ice.get("skipped") else []
    hard, strict = overall["hard"], overall["strict"]
    k_hard, k_strict, queries = _hard_successes(overall, "hard"), _hard_successes(overall, "strict"), ice.get("queries")
    point = f"ICE hard {k_hard}/{queries} {_fmt(hard)}, strict {k_strict}/{queries} {_fmt(strict)} over {queries} fuzzed queries"
    if k_hard >= MIN_HARD_SUCCESSES and (hard.get("low") or 0) > 0:
        return f"claims another family's identity (ICE hard {k_hard}/{queries}, {_fmt(hard)})", [point]
    if k_strict:
        need = (f"an identity accusation needs ≥ {MIN_HARD_SUCCESSES} hard successes (non-misleading templates) with a lower "
                f"bound above 0; a larger ICE budget would decide it")
        return None, [point, need]
    return None, [point]


def _rse(rse: dict) -> list[str]:
    estimate = rse.get("rse") or {}
    if estimate.get("mean") is None:
        return [f"RSE: no pair scored ({rse.get('parse_failures', 0)} unreadable judge answers)"] if rse else []
    text = f"RSE {_fmt(estimate)} (1-5) over {rse.get('n_scored')}/{rse.get('n_pairs')} pairs"
    bound = rse.get("sensitivity") or {}
    if bound.get("unscored"):
        text += (f"; {bound['unscored']} unscored: {bound['if_all_1']['mean']:.2f} if all were 1, "
                 f"{bound['if_all_5']['mean']:.2f} if all were 5")
    swap = (rse.get("swap_control") or {}).get("mean_difference") or {}
    if swap.get("mean") is not None:  # the order-swap control, quoted only because it ran
        text += f"; order-swap control: swapped − original {_fmt(swap)}"
    return [text + "; decides nothing"]


def _without_invalid_judge(indist: dict) -> tuple[dict, list[str]]:
    """The pairwise judge cannot decide "distinguishable" when it failed its own on-topic control.

    It stays in the class ε (more adversaries only widen that bound, so keeping it never helps an
    "indistinguishable"), but its interval is no longer one of the decisive lower bounds.
    """
    control = indist.get("judge_control") or {}
    if not indist.get("judge") or control.get("valid") is not False:
        return indist, []
    trimmed = {**indist, "judge": None, "epsilon_table": [r for r in indist.get("epsilon_table") or [] if r.get("adversary") != "judge"]}
    return trimmed, [f"pairwise judge left out of the decision: it failed its control ({control.get('reason')})"]


def verdict_for(section: dict, controls: dict | None = None) -> dict:
    """The headline and points for one student; `controls` is the audit's control ladder (invalid measures decide nothing)."""
    from distillscope.metrics.controls import invalid_reason  # numpy: kept off the import of this module

    points: list[str] = []
    if section.get("indist"):
        indist, found = _without_invalid_judge(section["indist"])
        headline, decided = _distinguishability(indist)
        points += found + decided
    else:
        headline = "distinguishability not measured (indist was not run)"
    identity, found = _identity(section.get("ice") or {})
    points += found
    if identity:
        headline += f"; {identity}"
    conflict = (section.get("ice") or {}).get("judge_control") or {}
    if conflict.get("valid") is False:
        points.append(f"ICE loose not used: the conflict judge failed its control ({conflict.get('reason')})")
    similarity = (section.get("similarity") or {}).get("overall")
    if similarity:
        why = invalid_reason(controls, "cosine")
        points.append(f"embedding cosine: invalid for this run ({why}); not used" if why else
                      f"embedding cosine to the teacher {_fmt(similarity['cosine'])}; decides nothing")
    why = invalid_reason(controls, "rse")
    if why and section.get("rse"):
        points.append(f"RSE: invalid for this run ({why}); not used")
    else:
        points += _rse(section.get("rse") or {})
    return {"headline": headline, "points": points}
