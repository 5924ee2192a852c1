"""What a distillation run measures and writes, typed: one measurement, one run, a sweep.

The sweep table, the before/after differences and the terminal tables read
these by attribute. Per-prompt scores are kept in every measurement so a later
one (a sweep's "after") can be differenced against it over the same prompts
(METHODS.md section 7).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from distillscope.distill.train import LoraSettings, TrainingReport
from distillscope.indist.epsilon import EpsilonRow
from distillscope.indist.evaluate import AdversaryResult
from distillscope.indist.mmd import MMDTest
from distillscope.indist.pairwise import PairwiseJudgeResult
from distillscope.metrics.similarity import SimilarityResult
from distillscope.stats import Estimate

#: what the learned adversaries trained on when no train prompts were set aside
CROSS_FITTED = "cross-fitted on the test answers (2 folds by prompt)"


class DistillConfig(BaseModel):
    teacher: str
    student: str
    budget: int = 500
    acquisition: str = "stratified"
    rounds: int = 3
    n_test: int = 100
    max_tokens: int = 128
    seed: int = 0
    #: seed of the test-prompt sample; fixed across a sweep so every run is measured on the same prompts
    test_seed: int = 0
    #: candidate pool: a stratified sample of this many train prompts (seed 0), or the whole train split
    pool_size: int | None = None
    #: train prompts the adversaries learn from (never acquired; answered by the local student); 0 = cross-fit on test
    n_train: int = 100
    #: adversaries measured before and after (style, embed, encoder; judge when `judge` is set)
    adversaries: list[str] = ["style", "embed"]
    judge: str | None = None
    #: a JSONL/CSV suite (its train split is bought from, its test split measured); None: the packaged one
    suite: str | None = None
    lora: LoraSettings = LoraSettings()


class SimilaritySummary(SimilarityResult):
    """Similarity without its per-pair rows (the per-prompt cosines are kept beside it, keyed by prompt)."""

    per_pair: list[dict] = Field(default_factory=list, exclude=True)


class MMDWithPower(MMDTest):
    """The paired MMD test and its power against the number of prompts."""

    power: dict[int, Estimate]


class Measurement(BaseModel):
    """One student against the teacher on the test prompts."""

    model: str
    n: int  # pairs measured
    empty_answers: int  # student answers that are empty or whitespace
    similarity: SimilaritySummary
    per_prompt_cosine: dict[str, float]
    mmd: MMDWithPower
    adversaries: dict[str, AdversaryResult] = Field(default_factory=dict)
    judge: PairwiseJudgeResult | None = None
    judge_per_prompt_scores: dict[str, float] = Field(default_factory=dict)
    epsilon_table: list[EpsilonRow] = Field(default_factory=list)
    #: {"train_prompts": n} when the adversaries trained on train prompts, else CROSS_FITTED
    adversaries_trained_on: dict[str, int] | str = CROSS_FITTED

    @property
    def cosine(self) -> Estimate:
        return self.similarity.overall["cosine"]


class Acquired(BaseModel):
    """The train prompts bought from the teacher."""

    n: int
    ids: list[str]
    per_category: dict[str, int]
    teacher_answers_cut_at_max_tokens: int
    #: mean measured disagreement per round: later rounds above the pilot means the ridge found where the student differs
    disagreement_by_round: list[float] = Field(default_factory=list)


class DistillationResult(BaseModel):
    """One distillation: what was bought, the training, and the student measured before and after."""

    config: DistillConfig
    acquired: Acquired
    training: TrainingReport
    student_after: str  # the merged model's spec (its weights fingerprint included)
    before: Measurement
    after: Measurement
    #: "cosine", "advantage: NAME": Δ = after − before, paired over the test prompts both measured
    differences: dict[str, Estimate]


class SweepRun(DistillationResult):
    budget: int
    strategy: str
    seed: int


class SweepCell(BaseModel):
    """One metric of one (budget, strategy): the mean over seeds, each seed's estimate and its paired Δ."""

    mean: float | None
    per_seed: list[Estimate]
    delta_per_seed: list[Estimate | None]


class SweepRow(BaseModel):
    budget: int
    strategy: str
    seeds: list[int]
    metrics: dict[str, SweepCell]  # keyed like distill.sweep.SWEEP_METRICS


class SweepResults(BaseModel):
    complete: bool  # False while a sweep runs (the file is rewritten after every run)
    before: Measurement | None
    table: list[SweepRow]
    runs: list[SweepRun]
