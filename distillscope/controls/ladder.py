"""The control ladder: does a similarity measure rank known cases correctly in this run? (METHODS.md section 8)

A similarity number means nothing until the measure has shown, on this run's
own answers, that it can tell close from far. On a small stratified sample of
prompts every measure scores three rungs:

1. `self`: the reference answer against itself (a measure's ceiling);
2. `resample`: the reference answer against the same model's resample (T = 0.7,
   another seed), the closest a *different* text can honestly be;
3. `other_prompt`: the reference answer against the reference's answer to a
   different prompt of the same category (same habits, different content).

AUC(resample vs other_prompt) is the probability that a random rung-2 score
beats a random rung-3 score. Validity is decided from its 95% interval (a
bootstrap over prompts, each prompt's rungs drawn together), never from the
point alone, so each wrong call has a stated error rate (about 2.5% a side,
measured in docs/methods.md): **valid** when the lower bound is at least 0.8,
**invalid for this run** when the upper bound is below 0.8 (it must not enter a
verdict, and an audit spends no judge calls on it for the students), otherwise
**undecided** ("too few prompts"): the reason says how many prompts would
decide it. A judge that gives 3/5 to everything, or a measure that only sees
length, fails here however plausible its numbers look.

Fetching answers (`ladder_answers`, ladder_texts.py) is kept apart from
scoring (`run_ladder`), so the scoring is a pure function of texts and easy to
test with fake measures. The AUCs themselves are in ladder_auc.py; the result's
models (`LadderResult`, `MeasureControl`) and their readers in ladder_result.py.
A measure is any callable `measure(prompts, reference_texts, other_texts)`
returning one score per pair (None for an unreadable judge answer), or a dict
of such lists when one call yields several measures (RSE and its aspects).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Union

import numpy as np

from distillscope.controls.ladder_auc import auc_with_ci, within_prompt_auc
from distillscope.controls.ladder_result import LadderResult, MeasureControl, RungScores, Status
from distillscope.controls.ladder_texts import RESAMPLE_TEMPERATURE, LadderSet, choose_ladder_prompts, ladder_answers
from distillscope.stats import Estimate, bootstrap_mean
from distillscope.types import Prompt

__all__ = [
    "MIN_SCORED",
    "RESAMPLE_TEMPERATURE",
    "VALID_AUC",
    "CostlyMeasure",
    "LadderSet",
    "Measure",
    "Scores",
    "choose_ladder_prompts",
    "ladder_answers",
    "measure_control",
    "run_ladder",
]

Scores = list[Union[float, None]]
Measure = Callable[[Sequence[Prompt], Sequence[str], Sequence[str]], Union[Scores, dict[str, Scores]]]

VALID_AUC = 0.8
MIN_SCORED = 5  # fewer scored pairs on a rung than this and no AUC is trusted


def _rung(scores: Sequence[float | None], asked: Sequence[bool], seed: int) -> RungScores:
    values = [None if s is None or (isinstance(s, float) and np.isnan(s)) else float(s) for s in scores]
    failures = sum(1 for value, was_asked in zip(values, asked) if was_asked and value is None)
    return RungScores(scores=values, summary=bootstrap_mean([v for v in values if v is not None], seed=seed), failures=failures)


def prompts_to_decide(n: int, auc: Estimate, threshold: float) -> str:
    """A rough count of ladder prompts that would decide an undecided AUC, if its half-width shrinks as 1/sqrt(n)."""
    if auc.mean is None or auc.low is None or auc.high is None or abs(auc.mean - threshold) < 0.01:
        return "no prompt count decides an AUC this close to the threshold"
    half = (auc.high - auc.low) / 2
    return f"about {int(n * (half / abs(auc.mean - threshold)) ** 2) + 1} would decide it if the AUC stays at {auc.mean:.2f}"


def _decide(label: str, auc: Estimate, threshold: float, n: int, within: Estimate | None = None) -> tuple[Status, str]:
    """valid / invalid / undecided for one AUC, from its interval (the point alone when there is no interval)."""
    text = f"AUC({label}) {auc.fmt(2)}"
    if auc.low is None or auc.high is None:  # one prompt or a degenerate draw: no interval to decide with
        return "undecided", f"{text}: no interval on n = {n} prompts; too few prompts to decide"
    if auc.low >= threshold:
        return "valid", f"{text}: lower bound >= {threshold}"
    if auc.high < threshold and within is not None and within.high is not None and within.high >= threshold:
        return "undecided", (
            f"{text} < {threshold} across prompts, but within a prompt it ranks them with AUC {within.fmt(2)}: "
            f"its level is not comparable across prompts"
        )
    if auc.high < threshold:
        return "invalid", f"{text}: upper bound < {threshold}"
    return "undecided", f"{text} straddles {threshold}: too few prompts (n = {n}); {prompts_to_decide(n, auc, threshold)}"


def _judgement(
    rungs: dict[str, RungScores],
    asked_resample: int,
    auc23: Estimate | None,
    auc13: Estimate,
    threshold: float,
    within: Estimate | None = None,
) -> tuple[Status, str]:
    """valid, invalid or undecided, and a one-line reason a reader can act on.

    Each AUC is decided by its 95% interval; the measure is invalid when either
    AUC is shown below the threshold, valid only when every AUC used is shown
    at or above it, and undecided otherwise. The pooled AUC compares rungs of
    different prompts, so a measure whose scores move with the prompt (say,
    with the reference's length) can rank rung 2 above rung 3 on nearly every
    prompt and still score a low pooled AUC: such a measure is not thrown out
    (undecided, not invalid) while its within-prompt AUC's upper bound reaches
    the threshold. Its level is not comparable across prompts, and the reason
    says so.
    """
    n = len(rungs["self"].scores)
    for name in ("other_prompt", "self"):
        scored = rungs[name].summary.n
        asked = scored + rungs[name].failures
        if asked == 0:  # never asked: a CostlyMeasure stopped on the other rung, whose count is the reason
            continue
        if scored < min(MIN_SCORED, n) or scored * 2 < n:
            of = f"{asked} asked" if asked < n else str(n)
            return "invalid", f"only {scored} of {of} '{name}' pairs could be scored (unreadable judge answers?)"
    use_resample = (
        asked_resample > 0
        and rungs["resample"].summary.n >= min(MIN_SCORED, asked_resample)
        and rungs["resample"].summary.n * 2 >= asked_resample
    )
    within13 = within_prompt_auc(rungs["self"].scores, rungs["other_prompt"].scores)
    decisions = [_decide("resample vs other prompt", auc23, threshold, n, within)] if use_resample and auc23 is not None else []
    decisions.append(_decide("self vs other prompt", auc13, threshold, n, within13))
    prefix = "" if use_resample else ("no resample could be had; " if asked_resample == 0 else "too few resample pairs could be scored; ")
    weaker = "" if use_resample else " (checked only self vs other prompt, a weaker control)"
    failing_statuses: tuple[Status, ...] = ("invalid", "undecided")
    for status in failing_statuses:
        failing = [reason for decided, reason in decisions if decided == status]
        if failing:
            return status, prefix + "; ".join(failing)
    return "valid", prefix + decisions[0][1] + weaker


def measure_control(
    name: str,
    self_scores: Sequence[float | None],
    resample_scores: Sequence[float | None],
    other_scores: Sequence[float | None],
    resample_asked: Sequence[bool],
    threshold: float = VALID_AUC,
    seed: int = 0,
    resamples: int = 2000,
    self_asked: Sequence[bool] | None = None,
    other_asked: Sequence[bool] | None = None,
) -> MeasureControl:
    """One measure's rungs, AUCs and validity (`*_asked`: which pairs were asked; every one by default)."""
    everywhere = [True] * len(self_scores)
    rungs = {
        "self": _rung(self_scores, self_asked or everywhere, seed),
        "resample": _rung(resample_scores, resample_asked, seed),
        "other_prompt": _rung(other_scores, other_asked or everywhere, seed),
    }
    auc23 = auc_with_ci(rungs["resample"].scores, rungs["other_prompt"].scores, seed, resamples) if any(resample_asked) else None
    auc13 = auc_with_ci(rungs["self"].scores, rungs["other_prompt"].scores, seed, resamples)
    within = within_prompt_auc(rungs["resample"].scores, rungs["other_prompt"].scores) if any(resample_asked) else None
    status, reason = _judgement(rungs, sum(resample_asked), auc23, auc13, threshold, within)
    return MeasureControl(
        measure=name,
        rungs=rungs,
        auc_resample_vs_other=auc23,
        auc_self_vs_other=auc13,
        valid=status == "valid",
        status=status,
        reason=reason,
        within_prompt=within,
    )


def _as_named(name: str, output: Scores | dict[str, Scores]) -> dict[str, Scores]:
    return dict(output) if isinstance(output, dict) else {name: list(output)}


class CostlyMeasure:
    """A measure whose every pair costs a model call (a judge): the ladder asks it `chunk` prompts at a time.

    After each chunk of the `self` and `other_prompt` rungs the ladder checks
    whether the measure can still have enough readable pairs to be judged at
    all (MIN_SCORED and half the ladder); once it cannot, whatever the
    remaining answers say, the measure is invalid and no further pair is asked.
    The stop is exact, not statistical: it decides nothing the full ladder
    would not. Issue 25: a built-in judge that cannot follow the RSE format
    used to cost 60 calls (and as many re-asks) before the ladder said so.
    """

    def __init__(self, measure: Measure, chunk: int = 8) -> None:
        self.measure, self.chunk = measure, max(1, chunk)

    def __call__(self, prompts: Sequence[Prompt], references: Sequence[str], others: Sequence[str]) -> Scores | dict[str, Scores]:
        return self.measure(prompts, references, others)


def _cannot_be_scored(scores: dict[str, Scores], asked: int, n: int) -> bool:
    """True when even if every pair not yet asked were readable, each named measure would fail the readability rule."""
    if not scores:
        return False
    best = [sum(v is not None for v in values) + (n - asked) for values in scores.values()]
    return all(b < min(MIN_SCORED, n) or b * 2 < n for b in best)


def _rung_texts(ladder: LadderSet, rung: str) -> Sequence[str | None]:
    if rung == "resample":
        return ladder.resample
    return ladder.reference if rung == "self" else ladder.other_prompt


def _ask_rungs(
    name: str, measure: Measure, ladder: LadderSet, keep: list[int]
) -> tuple[dict[str, dict[str, Scores]], dict[str, list[bool]]]:
    """Each rung's scores (rung -> measure key -> scores aligned with the prompts) and which pairs were asked.

    A CostlyMeasure is asked chunk by chunk and stops at the first rung on which it can no longer be scored.
    """
    n = len(ladder.prompts)
    chunk = measure.chunk if isinstance(measure, CostlyMeasure) else n
    scores: dict[str, dict[str, Scores]] = {}
    asked: dict[str, list[bool]] = {}
    stopped = False
    for rung in ("self", "other_prompt", "resample"):
        indices = keep if rung == "resample" else list(range(n))
        texts = _rung_texts(ladder, rung)
        asked[rung] = [False] * n
        scores[rung] = {}
        for start in range(0, len(indices), chunk) if not stopped else ():
            part = indices[start : start + chunk]
            out = _as_named(
                name, measure([ladder.prompts[i] for i in part], [ladder.reference[i] for i in part], [texts[i] or "" for i in part])
            )
            for key, values in out.items():
                for position, value in zip(part, values):
                    scores[rung].setdefault(key, [None] * n)[position] = value
            for i in part:
                asked[rung][i] = True
            if rung != "resample" and chunk < n and _cannot_be_scored(scores[rung], sum(asked[rung]), n):
                stopped = True
                break
    keys = next((list(s) for s in scores.values() if s), [name])
    for rung in scores:
        for key in keys:
            scores[rung].setdefault(key, [None] * n)
    return scores, asked


def run_ladder(
    ladder: LadderSet, measures: dict[str, Measure], threshold: float = VALID_AUC, seed: int = 0, resamples: int = 2000
) -> LadderResult:
    """Score every measure on every rung and judge its validity for this run."""
    n = len(ladder.prompts)
    resample_there = [text is not None for text in ladder.resample]
    keep = [i for i in range(n) if resample_there[i]]
    controls: dict[str, MeasureControl] = {}
    for name, measure in measures.items() if n else ():  # no prompts: nothing checked (is_valid says None)
        scores, asked = _ask_rungs(name, measure, ladder, keep)
        not_asked = (n - sum(asked["self"])) + (n - sum(asked["other_prompt"])) + (len(keep) - sum(asked["resample"]))
        for key in scores["self"]:
            control = measure_control(
                key,
                scores["self"][key],
                scores["resample"][key],
                scores["other_prompt"][key],
                asked["resample"],
                threshold,
                seed,
                resamples,
                self_asked=asked["self"],
                other_asked=asked["other_prompt"],
            )
            if not_asked:
                control.reason += f"; the ladder stopped asking once it could not be scored: {not_asked} pairs not judged"
                control.calls_saved = not_asked
            controls[key] = control
    return LadderResult(
        n_prompts=n,
        prompt_ids=[p.id for p in ladder.prompts],
        categories=dict(Counter(p.category for p in ladder.prompts)),
        resample_source=ladder.resample_source,
        resamples_available=len(keep),
        cross_category_mismatches=ladder.cross_category,
        threshold=threshold,
        measures=controls,
    )
