"""The typed results of the fixed-n indistinguishability evaluation (one adversary, the MMD test, the whole run)."""

from __future__ import annotations

from pydantic import BaseModel

from distillscope.indist.epsilon import ClassEpsilon, EpsilonRow
from distillscope.indist.mmd import MMDTest
from distillscope.indist.pairwise import PairwiseJudgeResult
from distillscope.stats import Estimate


class AdversaryResult(BaseModel):
    name: str
    description: str
    advantage: Estimate
    q_curve: dict[int, Estimate]
    by_category: dict[str, Estimate]
    train_seconds: float
    inference_seconds: float
    n_train: int  # prompts
    n_test: int  # prompts
    #: (low, high) per q at the simultaneous level 1 − α/k (k = adversaries tried), from the same bootstrap as q_curve;
    #: simultaneous over the adversaries at one q, not over the q values
    q_curve_simultaneous: dict[int, tuple[float | None, float | None]] = {}
    simultaneous_confidence: float | None = None
    #: advantage cross-fitted on the train split (2 folds by prompt): what picks the class's adversary, never the test data
    train_advantage: Estimate | None = None
    #: mean pair score per test prompt id: paired differences (after − before) are computed from these
    per_prompt_scores: dict[str, float] = {}
    #: texts the embedding cache served; t charges them at the measured encoding rate
    cached_texts: int = 0


class MMDResult(BaseModel):
    test: MMDTest
    #: per m: rejection rate of the test on m prompts, Monte-Carlo over THIS one dataset (disjoint blocks of m prompts);
    #: low/high bound the power on a fresh dataset of m prompts (95%, from n = floor(prompts/m) independent blocks);
    #: results written before issue 31 hold a Wilson interval on overlapping subsamples instead, which is too narrow
    power: dict[int, Estimate]
    seconds: float
    design: str = "pooled"  # results written before the paired test read back as what they were


class IndistResult(BaseModel):
    n_train: int  # prompts
    n_test: int  # prompts
    learned: dict[str, AdversaryResult]
    judge: PairwiseJudgeResult | None = None
    mmd: MMDResult | None = None
    epsilon_table: list[EpsilonRow]
    samples_per_prompt: int = 1
    #: the adversary with the largest cross-fitted train-split advantage (None when no learned adversary ran)
    selected: str | None = None
    simultaneous_confidence: float | None = None
    #: the class row at q = 1 (the bound a verdict uses), None when no adversary with an advantage ran
    epsilon_class: ClassEpsilon | None = None
