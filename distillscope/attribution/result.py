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

from distillscope.attribution.signal_registry import BUILTIN
from distillscope.stats import Estimate

#: built-in signal -> (what it is, whether a larger value means closer); `signal_registry` has plugins' too
SIGNAL_INFO: dict[str, tuple[str, bool]] = {name: (s.description, s.higher_is_closer) for name, s in BUILTIN.items()}
SIGNALS: tuple[str, ...] = tuple(SIGNAL_INFO)
#: the signals used unless --signals says otherwise: likelihood is opt-in. On the first zoo (8 students) it
#: lowered top-1 from 0.75 to 0.50, for reasons that hold for any zoo: an API or replay candidate has no
#: likelihood (it enters as "no closer than the base"), so the combination leans to the local candidates,
#: and log-probabilities under different tokenizers are not on one scale.
DEFAULT_SIGNALS: tuple[str, ...] = tuple(s for s in SIGNALS if s != "likelihood")


#: the attribution test's decision (see `AttributionResult.outcome`)
Outcome = Literal["candidate", "none", "undecided"]


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


class CandidateTest(BaseModel):
    """One candidate's test of H0: "the student moved toward this candidate no more than an untaught fine-tune would"."""

    #: "specific": per prompt, the margin toward this candidate less the mean margin toward the other candidates;
    #: "raw": the margin itself (one candidate listed: nothing to compare with)
    kind: Literal["specific", "raw"]
    #: per signal, the paired z of the margin (mean of per-prompt differences over its standard error, prompts and,
    #: for the adversaries, training noise included), clipped to ±5
    z: dict[str, float] = {}
    #: the test statistic: the mean of `z` over the test's signals (larger = moved toward this candidate)
    statistic: float | None = None
    p_value: float | None = None
    #: Holm-adjusted over the candidates (and, sequentially, times the number of looks)
    p_adjusted: float | None = None
    rejected: bool = False
    #: prompts every candidate, the student and its base answered (the paired statistic's n)
    n_prompts: int = 0


class CandidateResult(BaseModel):
    name: str
    spec: str
    family: str | None
    signals: dict[str, SignalScore]
    #: the ranking score: the test statistic (mean z), or minus the mean rank over signals without a base
    combined: float | None = None
    #: position in the closed-set ranking (1 = closest)
    rank: int | None = None
    #: prompts answered by the student, its base and this candidate
    n_prompts: int = 0
    #: why this candidate is not in the choice set (it is the student's own base)
    excluded: str | None = None
    #: the attribution test for this candidate (None when excluded or without a base)
    test: CandidateTest | None = None


class AttributionTest(BaseModel):
    """How the outcome was decided: one test per candidate, Holm across candidates, at the false-accusation rate alpha."""

    alpha: float
    calibrated: bool
    #: how the p-values were computed, in words (the null and its assumption)
    method: str
    #: where the null distribution came from (None: uncalibrated)
    null_population: str | None = None
    n_null: int | None = None
    #: signals inside the statistic (MMD has no per-prompt value and is left out; it ranks only)
    signals: list[str] = []
    #: candidates whose test rejects at alpha (Holm)
    rejected: list[str] = []
    #: why the outcome is "undecided" (None otherwise)
    reason: str | None = None
    #: group-sequential looks the alpha is split over (1: a single test)
    looks: int = 1
    #: each signal's weight in the statistic, learnt from the calibration's taught pairs (`combination.py`); None: the
    #: mean z (no calibration, or one without taught pairs)
    weights: dict[str, float] | None = None


class AttributionResult(BaseModel):
    """Which candidate, if any, taught the student; hangs under each student in the typed results."""

    student: str
    base: str | None
    candidates: list[CandidateResult]
    #: the test's decision: "candidate" (the one candidate whose test rejects at alpha: `predicted`), "none" (no test
    #: rejects), "undecided" (`test.reason`: no base, too few prompts, one candidate without a calibration, several reject)
    outcome: Outcome
    predicted: str | None
    #: the test behind the outcome (None without a base)
    test: AttributionTest | None = None
    #: the closed-set ranking: which listed candidate the student is closest to, by the test statistic (or the mean
    #: rank without a base). Never an accusation: it assumes one of the candidates taught the student
    ranking: list[str] = []
    calibrated: bool = False
    #: where the null population came from (a file, or "leave-one-recipe-out over N zoo cases")
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
    #: the recipe (base, teacher, budget, kind): students of one recipe leave the null population together
    recipe: str = ""
    result: AttributionResult
    #: distilled: the true teacher named; trained control: no candidate named; base: "none" (by construction)
    correct: bool
    #: over resampled test sets: share naming the true teacher (distilled) or any candidate (bases, controls)
    resampled: float | None = None
    #: a distilled student decided again with its true teacher left out of the candidates: the right answer is
    #: "none" (an audit that did not list the real teacher must not accuse another)
    unlisted: AttributionResult | None = None
    #: over resampled test sets, the share of those decisions that name a candidate
    unlisted_resampled: float | None = None


class AblationRow(BaseModel):
    """The zoo's rates for one set of signals (leave-one-signal-out, or one signal alone), at the zoo's alpha."""

    signals: list[str]
    #: distilled students with budget >= the goal budget whose test names their true teacher
    detection: float | None
    #: every distilled student
    detection_all: float | None
    #: the closed-set ranking's first candidate is the true teacher (budget >= goal): which candidate, given one taught it
    ranking_top1: float | None = None
    #: cases that can fail and whose right answer is "none" (trained controls and teacher-left-out cases) in which
    #: a candidate is named; untouched bases are not counted (every margin against themselves is 0: "none" by construction)
    false_accusation: float | None = None
    false_accusation_controls: float | None = None
    false_accusation_unlisted: float | None = None
    #: distilled students (teacher listed) whose test names another candidate
    wrong_teacher: float | None = None
    n_distilled: int = 0
    n_controls: int = 0
    n_unlisted: int = 0


class CurvePoint(BaseModel):
    """Detection against false accusation at one alpha (the test's only knob)."""

    alpha: float
    detection: float | None
    false_accusation: float | None
    detection_resampled: float | None = None
    false_accusation_resampled: float | None = None


class ZooAttribution(BaseModel):
    zoo: str
    students: list[ZooStudentRow]
    signals: list[str]
    goal_budget: int
    alpha: float
    #: which cases a student's null population leaves out ("leave-one-recipe-out": every student of its recipe)
    evaluation_unit: str = "leave-one-recipe-out"
    #: rates at alpha (see AblationRow); bases are listed but never counted
    overall: AblationRow
    n_bases_not_counted: int = 0
    #: the same rates averaged over resampled test sets (prompts redrawn with replacement, every noise source redrawn)
    resampled: AblationRow | None = None
    resamples: int = 0
    #: detection against false accusation over alpha
    curve: list[CurvePoint] = []
    #: signal left out -> the rates without it
    leave_one_out: dict[str, AblationRow] = {}
    #: signal -> the rates with that signal alone
    single_signal: dict[str, AblationRow] = {}
    #: detection of distilled students per budget
    by_budget: dict[str, float | None] = {}


class Skip(Exception):
    """A signal that cannot be computed for this candidate; the message says why (shown in the result's notes)."""
