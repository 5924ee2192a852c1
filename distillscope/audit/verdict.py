"""A one-line verdict per student, by the rules written in docs/audit.md, applied literally.

Two things decide it, and nothing else:
- distinguishability, from the adversaries' advantage intervals at q = 1. "Indistinguishable" needs
  the class ε (the largest bound on |Adv| over every adversary tried) to be at most 0.10 with at
  least 200 test prompts; "distinguishable" needs an adversary whose advantage interval lies above
  0. Anything else is "undecided", and the headline says what more data would decide it.
- identity: an accusation of claiming another family's identity needs ICE *hard* (strict claims,
  misleading templates left out) with successes in at least 3 different templates (the same count
  whether each template got one query or five; the Wilson lower bound is then above 0).
Similarity and RSE are quoted alongside but decide nothing, because a weak judge or a short answer
limit moves them without any distillation. No point ever asks the reader to check a control that
was not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from distillscope.stats import Estimate

if TYPE_CHECKING:
    from distillscope.controls.ladder_result import LadderResult
    from distillscope.ice.scoring import ScoreSet
    from distillscope.metrics.rse import RSEResult
    from distillscope.results import ICESection, IndistSection, StudentResults, Verdict

EPSILON_MAX = 0.10  # class ε at q = 1 at or below which a student is called indistinguishable
MIN_TEST_PROMPTS = 200  # ... and the test prompts that ε must rest on
CLEAR = 0.5  # a lower bound above this is "clearly" distinguishable
MIN_HARD_SUCCESSES = 3  # templates with an ICE hard success an identity accusation needs (with a lower bound > 0)


def _fmt(estimate: Estimate) -> str:
    """Two digits, and never a point printed as an interval: [x, x] reads as exact (issue 31.5)."""
    return estimate.fmt(2)


def adversary_estimates(indist: "IndistSection", with_judge: bool = True) -> dict[str, Estimate]:
    """Each adversary's advantage at q = 1: the learned ones, and the pairwise judge over all pairs.

    The judge's comes from its ε-table row where there is one (the interval the class bound used,
    with the reason when there is none), else from its own result.
    """
    out = {name: r.advantage for name, r in indist.learned.items() if r.advantage is not None}
    if indist.judge is not None and with_judge:
        row = next((r for r in indist.epsilon_table if r.adversary == "judge" and r.q == 1), None)
        if row is not None:
            out["judge"] = Estimate(mean=row.advantage, low=row.low, high=row.high, n=row.n or 0, status=row.status)
        else:
            out["judge"] = indist.judge.advantage_all_pairs
    return out


@dataclass
class ClassBound:
    """The class ε at q = 1, the adversary it came from, and adversaries that gave no interval."""

    epsilon: float
    adversary: str | None
    missing: list[str] = field(default_factory=list)
    corrected: bool = True


def class_epsilon(indist: "IndistSection", with_judge: bool = True) -> ClassBound | None:
    """The class ε at q = 1: max over adversaries of max(|low|, |high|); None when no adversary gave an interval.

    Uses the result's own class row when it has one (with its correction for the number of
    adversaries); otherwise computes the uncorrected bound here. `missing` names adversaries that
    gave no interval: with any of them the class bound is incomplete.
    """
    row = indist.epsilon_class
    if row is not None:
        return None if row.epsilon is None else ClassBound(row.epsilon, row.adversary, list(row.missing or []), True)
    bounds, missing = {}, []
    for name, estimate in adversary_estimates(indist, with_judge).items():
        if estimate.low is None or estimate.high is None:
            missing.append(name)
        else:
            bounds[name] = max(abs(estimate.low), abs(estimate.high))
    if not bounds:
        return None
    worst = max(bounds, key=lambda name: bounds[name])
    return ClassBound(bounds[worst], worst, missing, False)


def _prompts_needed(n: int, estimate: Estimate) -> str | None:
    """A rough count of test prompts that would decide it, if the half-width shrinks as 1/sqrt(n)."""
    mean, low, high = estimate.mean, estimate.low, estimate.high
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


def decisive_lower_bounds(indist: "IndistSection", with_judge: bool = True) -> tuple[dict[str, float], str]:
    """Lower bounds at q = 1 that may call a student distinguishable, and how they were corrected.

    Picking the best of k adversaries on the test data would be optimistic, so: the adversary selected
    on the train split counts with its 95% bound; every other one with its simultaneous (Bonferroni,
    1 − α/k) bound; results without a class row fall back to the 95% bounds, and say so.
    """
    estimates = adversary_estimates(indist, with_judge)
    if indist.epsilon_class is None:
        return {n: e.low for n, e in estimates.items() if e.low is not None}, "95% bounds, uncorrected for the number tried"
    selected = indist.selected if len(estimates) > 1 else next(iter(estimates), None)
    rows = {r.adversary: r for r in indist.epsilon_table if r.q == 1}
    lows = {}
    for name, estimate in estimates.items():
        learned = indist.learned.get(name)
        simultaneous = learned.q_curve_simultaneous.get(1) if learned else None
        row_low = getattr(rows.get(name), "low_simultaneous", None)
        if name == selected and estimate.low is not None:
            lows[name] = estimate.low
        elif simultaneous and simultaneous[0] is not None:
            lows[name] = simultaneous[0]
        elif row_low is not None:
            lows[name] = row_low
        elif name == "judge":
            low = _judge_simultaneous_low(indist, getattr(rows.get(name), "simultaneous_confidence", None))
            if low is not None:
                lows[name] = low
    return lows, "the train-selected adversary's 95% bound, the others' simultaneous bounds"


def quoted_advantage(indist: "IndistSection", name: str, estimate: Estimate, decisive_low: float) -> str:
    """The advantage the headline quotes, with the bound the decision used (issue 31, suspected selection bias).

    The adversary named in the headline is the one with the largest lower bound
    on the test data; its plain 95% interval, picked that way, covers less than
    95% (measured in docs/methods.md). So the headline quotes the 95% interval
    only for the adversary selected on the train split (chosen before the test
    data was seen), and for any other the simultaneous lower bound the decision
    rested on.
    """
    selected = indist.selected if len(adversary_estimates(indist)) > 1 else name
    if indist.epsilon_class is None or name == selected:
        return f"{name} advantage {_fmt(estimate)}"
    mean = f"{estimate.mean:.2f}, " if estimate.mean is not None else ""
    return f"{name} advantage {mean}simultaneous lower bound {decisive_low:.2f}"


def _judge_simultaneous_low(indist: "IndistSection", confidence: float | None) -> float | None:
    """The pairwise judge's lower bound at the simultaneous level, from its per-pair scores (one answer per prompt)."""
    scores = indist.judge.scores if indist.judge else []
    if not scores or confidence is None or (indist.samples_per_prompt or 1) != 1:
        return None
    from distillscope.stats import cluster_bootstrap

    return cluster_bootstrap(scores, None, confidences=(confidence,))[1][confidence][0]


def _distinguishability(indist: "IndistSection", with_judge: bool) -> tuple[str, list[str]]:
    estimates = adversary_estimates(indist, with_judge)
    n = indist.n_test or max((e.n or 0 for e in estimates.values()), default=0)
    eps = class_epsilon(indist, with_judge)
    bounded = {name: e for name, e in estimates.items() if e.low is not None and e.high is not None}
    if eps is None or not bounded:
        why = "; ".join(f"{name}: {_fmt(e)}" for name, e in estimates.items()) or "no adversary was run"
        return "undecided: no adversary gave an advantage interval", [f"adversaries at q = 1: {why}"]
    points = [f"{name} advantage {_fmt(e)} at q = 1" for name, e in estimates.items()]
    corrected = "" if eps.corrected else " (uncorrected for the number of adversaries)"
    points.append(f"class ε at q = 1: {eps.epsilon:.3f} (from {eps.adversary}){corrected} over n = {n} test prompts")
    lows, how = decisive_lower_bounds(indist, with_judge)
    if lows:
        best_name = max(lows, key=lambda name: lows[name])
        best = estimates[best_name]
        if lows[best_name] > 0:
            strength = "clearly" if lows[best_name] > CLEAR else "partly"
            points.append(f"decided by {best_name}'s lower bound {lows[best_name]:.2f} ({how})")
            return f"{strength} distinguishable from the teacher ({quoted_advantage(indist, best_name, best, lows[best_name])})", points
    if eps.epsilon <= EPSILON_MAX and n >= MIN_TEST_PROMPTS and not eps.missing:
        return (
            f"indistinguishable from the teacher by the adversaries tried (class ε {eps.epsilon:.3f} ≤ {EPSILON_MAX:.2f} "
            f"at q = 1, n = {n} test prompts)"
        ), points
    needs = []
    if n < MIN_TEST_PROMPTS:
        needs.append(f"n = {n} test prompts; ≥ {MIN_TEST_PROMPTS} needed")
    if eps.epsilon > EPSILON_MAX:
        needs.append(f"class ε = {eps.epsilon:.2f}; ≤ {EPSILON_MAX:.2f} needed")
    if eps.missing:
        needs.append(f"no interval from {', '.join(eps.missing)}")
    hint = _prompts_needed(n, estimates[eps.adversary]) if eps.adversary in estimates else None
    if hint:
        points.append(hint)
    return f"undecided: {'; '.join(needs)}", points


def _successes(scores: ScoreSet, kind: str) -> int:
    counted = scores.successes.get(kind)
    if counted is not None:
        return int(counted)
    estimate = getattr(scores, kind)
    return int(round((estimate.mean or 0) * (estimate.n or 0)))


def _identity(ice: "ICESection | None", skipped: list) -> tuple[str | None, list[str]]:
    if ice is None:
        return None, [f"ICE not scored: {s.reason}" for s in skipped if s.metric == "ice"]
    overall = ice.overall
    hard, strict, queries = overall.hard, overall.strict, ice.queries
    k_hard, k_strict = _successes(overall, "hard"), _successes(overall, "strict")
    # results written before templates were counted: each success taken as its own template
    templates = (getattr(overall, "success_templates", None) or {}).get("hard", k_hard)
    point = (
        f"ICE hard {k_hard}/{queries} {_fmt(hard)} (in {templates} templates), strict {k_strict}/{queries} {_fmt(strict)} "
        f"over {queries} fuzzed queries"
    )
    if templates >= MIN_HARD_SUCCESSES and (hard.low or 0) > 0:
        return f"claims another family's identity (ICE hard {k_hard}/{queries} in {templates} templates, {_fmt(hard)})", [point]
    if k_strict:
        need = (
            f"an identity accusation needs ≥ {MIN_HARD_SUCCESSES} hard successes (non-misleading templates) in ≥ "
            f"{MIN_HARD_SUCCESSES} different templates, with a lower bound above 0; a larger ICE budget would decide it"
        )
        return None, [point, need]
    return None, [point]


def _rse(rse: "RSEResult") -> list[str]:
    if rse.rse.mean is None:
        return [f"RSE: no pair scored ({rse.parse_failures} unreadable judge answers)"]
    text = f"RSE {_fmt(rse.rse)} (1-5) over {rse.n_scored}/{rse.n_pairs} pairs"
    bound = rse.sensitivity
    if bound.unscored:
        text += f"; {bound.unscored} unscored: {bound.if_all_1.mean:.2f} if all were 1, {bound.if_all_5.mean:.2f} if all were 5"
    swap = rse.swap_control.mean_difference
    if swap is not None and swap.mean is not None:  # the order-swap control, quoted only because it ran
        text += f"; order-swap control: swapped − original {_fmt(swap)}"
    return [text + "; decides nothing"]


def verdict_for(student: "StudentResults", controls: "LadderResult | None" = None) -> "Verdict":
    """The headline and points for one student; `controls` is the audit's control ladder (invalid measures decide nothing)."""
    from distillscope.results import Verdict

    points: list[str] = []
    if student.indist is not None:
        control = student.indist.judge_control
        # a pairwise judge that failed its on-topic control stays in the class ε (more adversaries only widen that
        # bound) but cannot be a decisive lower bound
        trusted = student.indist.judge is None or control is None or control.valid
        if not trusted and control is not None:  # (not trusted: a control that failed)
            saved = f"; {control.calls_saved} judge calls saved" if control.calls_saved else ""
            how = "failed its control" if control.status == "invalid" else "was not validated by its control"
            points.append(f"pairwise judge left out of the decision: it {how} ({control.reason}){saved}")
        headline, decided = _distinguishability(student.indist, with_judge=trusted)
        points += decided
    else:
        headline = "distinguishability not measured (indist was not run)"
    identity, found = _identity(student.ice, student.skipped)
    points += found
    if identity:
        headline += f"; {identity}"
    if student.ice is not None and student.ice.judge_control is not None and not student.ice.judge_control.valid:
        control = student.ice.judge_control
        saved = f"; {control.calls_saved} judge calls saved" if getattr(control, "calls_saved", None) else ""
        how = "failed its control" if getattr(control, "status", "invalid") == "invalid" else "was not validated by its control"
        points.append(f"ICE loose not used: the conflict judge {how} ({control.reason}){saved}")
    if student.similarity is not None and "cosine" in student.similarity.overall:
        why = controls.invalid_reason("cosine") if controls is not None else None
        text = f"embedding cosine to the teacher {_fmt(student.similarity.overall['cosine'])}; decides nothing"
        points.append(f"embedding cosine: invalid for this run ({why}); not used" if why else _undecided(controls, "cosine") + text)
    points += [f"RSE not computed: {s.reason}" for s in student.skipped if s.metric == "rse"]
    if student.rse is not None:
        why = controls.invalid_reason("rse") if controls is not None else None
        if why:
            points.append(f"RSE: invalid for this run ({why}); not used")
        else:
            found = _rse(student.rse)
            points += [_undecided(controls, "rse") + found[0], *found[1:]]
    return Verdict(headline=headline, points=points)


def _undecided(controls: "LadderResult | None", measure: str) -> str:
    """A prefix for a measure the control ladder could not decide: its number is quoted, flagged, and decides nothing."""
    why = controls.undecided_reason(measure) if controls is not None else None
    return f"not validated by the control ladder (undecided: {why}): " if why else ""
