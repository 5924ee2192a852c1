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
beats a random rung-3 score. Below 0.8 the measure is **invalid for this run**
and must not enter a verdict: a judge that gives 3/5 to everything, or a
measure that only sees length, fails here however plausible its numbers look.

Fetching answers (`ladder_answers`, ladder_texts.py) is kept apart from
scoring (`run_ladder`), so the scoring is a pure function of texts and easy to
test with fake measures.
A measure is any callable `measure(prompts, reference_texts, other_texts)`
returning one score per pair (None for an unreadable judge answer), or a dict
of such lists when one call yields several measures (RSE and its aspects).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Union

import numpy as np
from pydantic import BaseModel

from distillscope.metrics.ladder_texts import RESAMPLE_TEMPERATURE, LadderSet, choose_ladder_prompts, ladder_answers
from distillscope.metrics.stats import Estimate, bootstrap_mean
from distillscope.types import Prompt

__all__ = [
    "MIN_SCORED",
    "RESAMPLE_TEMPERATURE",
    "RUNGS",
    "VALID_AUC",
    "LadderResult",
    "LadderSet",
    "Measure",
    "MeasureControl",
    "RungScores",
    "Scores",
    "auc_with_ci",
    "choose_ladder_prompts",
    "ladder_answers",
    "ladder_rows",
    "measure_control",
    "measure_status",
    "run_ladder",
]

Scores = list[Union[float, None]]
Measure = Callable[[Sequence[Prompt], Sequence[str], Sequence[str]], Union[Scores, dict[str, Scores]]]

RUNGS = ("self", "resample", "other_prompt")
VALID_AUC = 0.8
MIN_SCORED = 5  # fewer scored pairs on a rung than this and no AUC is trusted


class RungScores(BaseModel):
    scores: list[float | None]  # aligned with the ladder's prompts
    summary: Estimate
    failures: int  # pairs on this rung that were asked but could not be scored


class MeasureControl(BaseModel):
    measure: str
    rungs: dict[str, RungScores]
    auc_resample_vs_other: Estimate | None  # mean = AUC, low/high = bootstrap CI over prompts
    auc_self_vs_other: Estimate | None
    valid: bool
    reason: str


class LadderResult(BaseModel):
    n_prompts: int
    prompt_ids: list[str]
    categories: dict[str, int]
    resample_source: str
    resamples_available: int
    cross_category_mismatches: int
    threshold: float
    measures: dict[str, MeasureControl]

    def invalid(self) -> dict[str, str]:
        """Measure name -> why it is invalid for this run."""
        return {name: control.reason for name, control in self.measures.items() if not control.valid}

    def invalid_reason(self, measure: str) -> str | None:
        """Why `measure` failed the ladder; None when it is valid or was not on the ladder."""
        control = self.measures.get(measure)
        return None if control is None or control.valid else (control.reason or "failed the control ladder")

    def is_valid(self, measure: str) -> bool | None:
        """True or False for a measure on the ladder, None for one the ladder did not check."""
        control = self.measures.get(measure)
        return None if control is None else control.valid


def auc_with_ci(
    positive: Sequence[float | None], negative: Sequence[float | None], seed: int = 0, resamples: int = 2000, confidence: float = 0.95
) -> Estimate:
    """AUC = P(positive > negative) + P(tie) / 2 (Mann-Whitney), with a percentile bootstrap over prompts.

    `positive[i]` and `negative[i]` belong to the same prompt, so a bootstrap
    draw takes or leaves both together. None (unscored) entries are left out.
    """
    pos = np.array([np.nan if v is None else v for v in positive], dtype=float)
    neg = np.array([np.nan if v is None else v for v in negative], dtype=float)
    has_pos, has_neg = ~np.isnan(pos), ~np.isnan(neg)
    n = int((has_pos | has_neg).sum())
    if not has_pos.any() or not has_neg.any():
        return Estimate(mean=None, low=None, high=None, n=n)
    # wins[i, j]: how prompt i's positive score fares against prompt j's negative score
    wins = np.where(pos[:, None] > neg[None, :], 1.0, np.where(pos[:, None] == neg[None, :], 0.5, 0.0))
    wins[~has_pos, :] = 0.0
    wins[:, ~has_neg] = 0.0
    mask_pos, mask_neg = has_pos.astype(float), has_neg.astype(float)
    auc = float(mask_pos @ wins @ mask_neg / (mask_pos.sum() * mask_neg.sum()))
    if n < 2:
        return Estimate(mean=auc, low=None, high=None, n=n)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(pos), np.full(len(pos), 1 / len(pos)), size=resamples).astype(float)
    weight_pos, weight_neg = counts * mask_pos, counts * mask_neg
    denominator = weight_pos.sum(axis=1) * weight_neg.sum(axis=1)
    numerator = np.einsum("bi,ij,bj->b", weight_pos, wins, weight_neg)
    draws = numerator[denominator > 0] / denominator[denominator > 0]
    tail = (1 - confidence) / 2 * 100
    return Estimate(mean=auc, low=float(np.percentile(draws, tail)), high=float(np.percentile(draws, 100 - tail)), n=n)


def _rung(scores: Sequence[float | None], asked: Sequence[bool], seed: int) -> RungScores:
    values = [None if s is None or (isinstance(s, float) and np.isnan(s)) else float(s) for s in scores]
    failures = sum(1 for value, was_asked in zip(values, asked) if was_asked and value is None)
    return RungScores(scores=values, summary=bootstrap_mean([v for v in values if v is not None], seed=seed), failures=failures)


def _judgement(
    rungs: dict[str, RungScores], asked_resample: int, auc23: Estimate | None, auc13: Estimate | None, threshold: float
) -> tuple[bool, str]:
    """Valid or not, and a one-line reason a reader can act on."""
    n = len(rungs["self"].scores)
    for name in ("other_prompt", "self"):
        scored = rungs[name].summary.n
        if scored < min(MIN_SCORED, n) or scored * 2 < n:
            return False, f"only {scored} of {n} '{name}' pairs could be scored (unreadable judge answers?)"
    use_resample = (
        asked_resample > 0
        and rungs["resample"].summary.n >= min(MIN_SCORED, asked_resample)
        and rungs["resample"].summary.n * 2 >= asked_resample
    )
    if use_resample:
        if auc23.mean < threshold:
            return False, (
                f"AUC(resample vs other prompt) {auc23.mean:.2f} < {threshold}: it cannot tell the reference's "
                f"own resample from its answer to another prompt"
            )
        if auc13.mean < threshold:
            return False, (f"AUC(self vs other prompt) {auc13.mean:.2f} < {threshold}: identical answers do not score above unrelated ones")
        return True, f"AUC(resample vs other prompt) {auc23.mean:.2f} >= {threshold}"
    why = "no resample could be had" if asked_resample == 0 else "too few resample pairs could be scored"
    if auc13.mean < threshold:
        return False, f"{why}; AUC(self vs other prompt) {auc13.mean:.2f} < {threshold}"
    return True, f"{why}: checked only self vs other prompt (AUC {auc13.mean:.2f}), a weaker control"


def measure_control(
    name: str,
    self_scores: Sequence[float | None],
    resample_scores: Sequence[float | None],
    other_scores: Sequence[float | None],
    resample_asked: Sequence[bool],
    threshold: float = VALID_AUC,
    seed: int = 0,
    resamples: int = 2000,
) -> MeasureControl:
    """One measure's rungs, AUCs and validity."""
    everywhere = [True] * len(self_scores)
    rungs = {
        "self": _rung(self_scores, everywhere, seed),
        "resample": _rung(resample_scores, resample_asked, seed),
        "other_prompt": _rung(other_scores, everywhere, seed),
    }
    auc23 = auc_with_ci(rungs["resample"].scores, rungs["other_prompt"].scores, seed, resamples) if any(resample_asked) else None
    auc13 = auc_with_ci(rungs["self"].scores, rungs["other_prompt"].scores, seed, resamples)
    valid, reason = _judgement(rungs, sum(resample_asked), auc23, auc13, threshold)
    return MeasureControl(measure=name, rungs=rungs, auc_resample_vs_other=auc23, auc_self_vs_other=auc13, valid=valid, reason=reason)


def _as_named(name: str, output: Scores | dict[str, Scores]) -> dict[str, Scores]:
    return dict(output) if isinstance(output, dict) else {name: list(output)}


def run_ladder(
    ladder: LadderSet, measures: dict[str, Measure], threshold: float = VALID_AUC, seed: int = 0, resamples: int = 2000
) -> LadderResult:
    """Score every measure on every rung and judge its validity for this run."""
    n = len(ladder.prompts)
    asked = [text is not None for text in ladder.resample]
    keep = [i for i in range(n) if asked[i]]
    controls: dict[str, MeasureControl] = {}
    for name, measure in measures.items() if n else ():  # no prompts: nothing checked (is_valid says None)
        on_self = _as_named(name, measure(ladder.prompts, ladder.reference, ladder.reference))
        on_other = _as_named(name, measure(ladder.prompts, ladder.reference, ladder.other_prompt))
        on_resample: dict[str, Scores] = {key: [None] * n for key in on_self}
        if keep:
            partial = _as_named(
                name, measure([ladder.prompts[i] for i in keep], [ladder.reference[i] for i in keep], [ladder.resample[i] for i in keep])
            )
            for key, values in partial.items():
                for position, value in zip(keep, values):
                    on_resample.setdefault(key, [None] * n)[position] = value
        for key in on_self:
            controls[key] = measure_control(key, on_self[key], on_resample[key], on_other[key], asked, threshold, seed, resamples)
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


def ladder_rows(result: LadderResult) -> list[dict[str, str]]:
    """One printable row per measure: rung means, both AUCs with CIs, and the flag."""
    rows = []
    for name, control in result.measures.items():
        fmt = lambda e: e.fmt() if e is not None else "skipped"  # noqa: E731
        rows.append(
            {
                "measure": name,
                **{rung: control.rungs[rung].summary.fmt() if control.rungs[rung].summary.n else "-" for rung in RUNGS},
                "AUC(2 vs 3)": fmt(control.auc_resample_vs_other),
                "AUC(1 vs 3)": fmt(control.auc_self_vs_other),
                "valid": "yes" if control.valid else "INVALID",
                "reason": control.reason,
            }
        )
    return rows


def measure_status(controls: LadderResult | dict | None, measure: str) -> str:
    """'valid', 'invalid' or 'unchecked' for a measure, from a ladder result or its JSON form (results.json)."""
    if controls is None:
        return "unchecked"
    measures = controls.measures if isinstance(controls, LadderResult) else (controls.get("measures") or {})
    control = measures.get(measure)
    if control is None:
        return "unchecked"
    valid = control.valid if isinstance(control, MeasureControl) else control.get("valid")
    return "valid" if valid else "invalid"
