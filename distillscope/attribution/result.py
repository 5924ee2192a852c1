"""The typed result of attributing one student: per candidate, every signal's value, margin and rank.

Every signal is oriented so that its *closeness* is higher when the student is
nearer the candidate. The *margin* of a signal for a candidate T is
closeness(S, T) − closeness(B, T), B being the student's base (the
reference): positive means the student moved toward T compared with where it
started. `value` and `reference` stay in the signal's own units (an advantage
is lower when closer) so they read like the rest of distillscope's numbers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from distillscope.metrics.stats import Estimate

#: signal -> (what it is, whether a larger value means closer)
SIGNAL_INFO: dict[str, tuple[str, bool]] = {
    "similarity": ("mean embedding cosine of S's and T's answers to the same prompt", True),
    "style": ("advantage of a stylometric logistic adversary telling S from T (cross-fitted by prompt)", False),
    "embed": ("advantage of an embedding logistic adversary telling S from T (cross-fitted by prompt)", False),
    "mmd": ("paired MMD² between S's and T's answer embeddings", False),
    "ice": ("share of S's answers whose identity claims name T's family or developer", True),
    "likelihood": ("teacher-forced mean log-probability per token of S's answers under T", True),
    "pos": ("overlap of part-of-speech template profiles (centred cosine of document frequencies)", True),
}
SIGNALS: tuple[str, ...] = tuple(SIGNAL_INFO)
#: the signals used unless --signals says otherwise: likelihood is opt-in. On the first zoo (8 students) it
#: lowered top-1 from 0.75 to 0.50, for reasons that hold for any zoo: an API or replay candidate has no
#: likelihood (it enters as "no closer than the base"), so the combination leans to the local candidates,
#: and log-probabilities under different tokenizers are not on one scale.
DEFAULT_SIGNALS: tuple[str, ...] = tuple(s for s in SIGNALS if s != "likelihood")


class SignalScore(BaseModel):
    signal: str
    #: S vs T in the signal's own units (None when skipped)
    value: Estimate | None = None
    #: the base B vs T, same units (None without a base)
    reference: Estimate | None = None
    #: closeness(S, T) − closeness(B, T) over the prompts all three answered; > 0: S is closer to T than its base
    margin: Estimate | None = None
    #: 1 = the candidate this signal puts closest (by margin, else by value); None when skipped
    rank: int | None = None
    #: why the signal was not computed for this candidate
    status: str | None = None
    #: extra numbers (p-values, token counts, prompts used)
    detail: dict[str, float | int | str | None] = {}


class CandidateResult(BaseModel):
    name: str
    spec: str
    family: str | None
    signals: dict[str, SignalScore]
    #: the combination's score: calibrated utility, or (uncalibrated) the mean per-signal z of the margins
    combined: float | None = None
    #: calibrated probability that this candidate taught the student (None without a calibration)
    probability: float | None = None
    rank: int | None = None
    #: prompts answered by the student, its base and this candidate
    n_prompts: int = 0
    #: why this candidate is not in the choice set (it is the student's own base)
    excluded: str | None = None


class AttributionResult(BaseModel):
    """Which candidate, if any, taught the student; hangs under each student in the typed results."""

    student: str
    base: str | None
    candidates: list[CandidateResult]
    #: "candidate": `predicted` names it; "none": no candidate is closer than the base/controls allow;
    #: "undecided": nothing to decide "none" against (no base and no calibration)
    outcome: Literal["candidate", "none", "undecided"]
    predicted: str | None
    #: calibrated probability of the outcome (the predicted candidate's, or "none"'s); None when uncalibrated
    confidence: float | None = None
    probability_none: float | None = None
    calibrated: bool = False
    #: where the calibration came from (file, or "leave-one-student-out over N zoo students")
    calibration: str | None = None
    #: per signal, candidate names closest first (skipped candidates left out)
    rankings: dict[str, list[str]] = {}
    signals: list[str] = []
    n_prompts: int = 0
    notes: list[str] = []

    def candidate(self, name: str) -> CandidateResult:
        return next(c for c in self.candidates if c.name == name)


class ZooStudentRow(BaseModel):
    name: str
    kind: str
    budget: int | None = None
    true_teacher: str | None
    result: AttributionResult
    correct: bool
    #: over resampled test sets: share naming the true teacher (distilled) or any candidate (bases, controls)
    resampled: float | None = None
    #: a distilled student decided again with its true teacher left out of the candidates: the right answer is
    #: "none" (an audit that did not list the real teacher must not accuse another)
    unlisted: AttributionResult | None = None
    #: over resampled test sets, the share of those decisions that name a candidate
    unlisted_resampled: float | None = None


class AblationRow(BaseModel):
    """Leave-one-signal-out (or one signal alone): how attribution fares over the zoo."""

    signals: list[str]
    top1: float | None  # distilled students with budget >= the goal budget, predicted == true teacher
    top1_all: float | None  # every distilled student
    false_attribution: float | None  # controls attributed to a candidate
    #: distilled students with budget >= the goal budget whose first-ranked candidate is the true teacher, whatever
    #: "none" says: which candidate, given that one of them taught the student (closed set)
    ranking_top1: float | None = None
    n_distilled: int
    n_controls: int
    #: distilled students, their true teacher left out of the candidates, attributed to another candidate
    unlisted_attribution: float | None = None


class ZooAttribution(BaseModel):
    zoo: str
    students: list[ZooStudentRow]
    signals: list[str]
    goal_budget: int
    top1: float | None
    top1_all: float | None
    false_attribution: float | None
    #: the first-ranked candidate is the true teacher (budget >= goal), "none" set aside: the closed-set question
    ranking_top1: float | None = None
    #: the same two rates averaged over resampled test sets (prompts redrawn with replacement)
    top1_resampled: float | None = None
    false_attribution_resampled: float | None = None
    resamples: int = 0
    #: distilled students with their true teacher left out of the candidates that are attributed anyway
    unlisted_attribution: float | None = None
    unlisted_attribution_resampled: float | None = None
    #: the headline numbers when the calibration is fitted without the left-out-teacher cases (a sensitivity check)
    fit_without_unlisted: AblationRow | None = None
    #: signal left out -> the same numbers without it
    leave_one_out: dict[str, AblationRow] = {}
    #: signal -> the numbers with that signal alone
    single_signal: dict[str, AblationRow] = {}
    #: top-1 of distilled students per budget
    by_budget: dict[str, float] = {}
