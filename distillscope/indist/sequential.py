"""Sequential, anytime-valid distinguishing: ask both models k prompts at a time and stop as soon as it is settled.

Prompts come in a random stratified order (every prefix keeps the
categories' shares). After each batch the betting test's wealth and the
confidence sequence of the online adversaries' average advantage are updated; the run stops when wealth
reaches 1/α (distinguishable), or when the query or cost budget would be
passed (not shown distinguishable at this budget, with the e-value reached).
Both are valid at whatever batch the run stops (METHODS.md sections 7, 10).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
from pydantic import AliasChoices, BaseModel, Field

from distillscope.indist.betting import BatchOutcome, BettingTest, SequentialSettings, WitnessFitter
from distillscope.indist.confseq import ConfidenceSequence, Interval
from distillscope.indist.witness import PairObservation, witness_for
from distillscope.types import GenerationRequest, Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.models.base import Model
    from distillscope.protocols import TextEmbedder
    from distillscope.runner.runner import Runner

DISTINGUISHABLE: Final = "distinguishable"
NOT_SHOWN: Final = "not shown distinguishable at this budget"
#: what ended the test: the wealth reached 1/alpha, a budget was spent, or the prompts ran out
StoppedBy = Literal["wealth", "max_queries", "max_cost", "prompts"]


class WealthPoint(BaseModel):
    queries: int  # prompts asked of each model so far
    pairs: int  # pairs both models answered (the test's observations)
    wealth: float
    #: the confidence sequence after this batch: it covers the λ-weighted AVERAGE advantage of the online adversaries so far
    #: (each fitted on earlier pairs), not the current adversary's advantage (files before issue 31: advantage_low/high)
    online_advantage_low: float = Field(validation_alias=AliasChoices("online_advantage_low", "advantage_low"))
    online_advantage_high: float = Field(validation_alias=AliasChoices("online_advantage_high", "advantage_high"))


class SequentialResult(BaseModel):
    decision: Literal["distinguishable", "not shown distinguishable at this budget"]
    stopped_by: StoppedBy
    alpha: float
    e_value: float  # wealth at the stop
    max_e_value: float  # largest wealth reached (the test rejects when this reaches 1/α)
    queries: dict[str, int]  # model -> prompts asked
    pairs: int
    dropped: int  # prompts a model failed on (no pair, not in the test)
    #: the confidence sequence at the stop, q = 1: with probability ≥ 1 − α (at every stop at once) it holds the λ-weighted
    #: average of the online adversaries' advantages; NOT a bound on the final or a better adversary (issue 31).
    #: Results written before issue 31 named it `advantage` and intersected it over time (too narrow when the adversary improves)
    online_advantage: Interval = Field(validation_alias=AliasChoices("online_advantage", "advantage"))
    trajectory: list[WealthPoint]
    prompt_ids: list[str]
    settings: SequentialSettings
    stop_message: str | None = None


def stratified_order(prompts: Sequence[Prompt], seed: int = 0) -> list[Prompt]:
    """All prompts in a random order whose every prefix keeps each category's share to within one prompt."""
    rng = random.Random(f"{seed}:sequential-order")
    groups: dict[str, list[Prompt]] = defaultdict(list)
    for prompt in prompts:
        groups[prompt.category].append(prompt)
    for group in groups.values():
        rng.shuffle(group)
    tiebreak = {category: rng.random() for category in groups}
    share = {category: len(group) / len(prompts) for category, group in groups.items()}
    taken = dict.fromkeys(groups, 0)
    order = []
    for position in range(1, len(prompts) + 1):
        open_groups = [c for c in groups if taken[c] < len(groups[c])]
        category = max(open_groups, key=lambda c: (position * share[c] - taken[c], tiebreak[c]))
        order.append(groups[category][taken[category]])
        taken[category] += 1
    return order


def batch_sizes(settings: SequentialSettings, budget: int) -> list[int]:
    """How many prompts each batch asks: `batch` each, or with `ramp` 1, 1, 2, 2, 4, 4, ... up to `batch`.

    Small first batches let the witness learn from the first answers and let a
    clear difference stop after a handful of prompts instead of a whole batch.
    """
    sizes: list[int] = []
    asked = 0
    while asked < budget:
        size = min(settings.batch, 2 ** (len(sizes) // 2)) if settings.ramp else settings.batch
        sizes.append(min(size, budget - asked))
        asked += sizes[-1]
    return sizes


def featurizer(kind: str, embedder: TextEmbedder | None = None) -> Callable[[list[str]], np.ndarray]:
    """Texts -> feature rows for the witness."""
    from distillscope.metrics.stylometry import feature_matrix

    if kind == "style":
        return feature_matrix
    if embedder is None:
        raise ValueError(f"features '{kind}' need an embedder")
    if kind == "embed":
        return lambda texts: np.asarray(embedder.embed(texts), dtype=float)
    return lambda texts: np.hstack([feature_matrix(texts), np.asarray(embedder.embed(texts), dtype=float)])


class SequentialTest:
    """The betting test, the confidence sequence and the trajectory, fed one batch at a time."""

    def __init__(self, settings: SequentialSettings, fit_witness: WitnessFitter | None = None) -> None:
        self.settings = settings
        self.test = BettingTest(fit_witness or witness_for(settings), settings.alpha, settings.cap, settings.betting, settings.max_bet)
        self.confidence = ConfidenceSequence(settings.alpha)
        self.trajectory: list[WealthPoint] = []

    def step(self, reveal: Callable[[], Sequence[PairObservation]], queries: int) -> BatchOutcome:
        outcome = self.test.step(reveal)
        self.confidence.update(outcome.advantages)
        interval = self.confidence.interval()
        self.trajectory.append(
            WealthPoint(
                queries=queries,
                pairs=self.test.n,
                wealth=self.test.wealth,
                online_advantage_low=interval.low,
                online_advantage_high=interval.high,
            )
        )
        return outcome

    @property
    def rejected(self) -> bool:
        return self.test.rejected

    def result(
        self, stopped_by: StoppedBy, queries: dict[str, int], dropped: int, prompt_ids: list[str], stop_message: str | None = None
    ) -> SequentialResult:
        return SequentialResult(
            decision=DISTINGUISHABLE if self.rejected else NOT_SHOWN,
            stopped_by=stopped_by,
            alpha=self.settings.alpha,
            e_value=self.test.wealth,
            max_e_value=math.exp(self.test.max_log_wealth),
            queries=queries,
            pairs=self.test.n,
            dropped=dropped,
            online_advantage=self.confidence.interval(),
            trajectory=self.trajectory,
            prompt_ids=prompt_ids,
            settings=self.settings,
            stop_message=stop_message,
        )


def _batch_estimate(runner: Runner, model: Model, requests: list[GenerationRequest]) -> float | None:
    """Upper estimate of what the requests not yet in the store would cost."""
    keys = [model.request_key(r) for r in requests]
    stored = runner.store.get_many(keys)
    missing = [r for r, key in zip(requests, keys) if key not in stored]
    return runner.cost.estimate(model.identity, [model.rendered_input(r) for r in missing], [r.sampling.max_tokens for r in missing])


def run_sequential(
    runner: Runner,
    teacher: Model,
    student: Model,
    prompts: Sequence[Prompt],
    sampling: SamplingParams,
    featurize: Callable[[list[str]], np.ndarray],
    settings: SequentialSettings,
    on_batch: Callable[[WealthPoint], None] | None = None,
) -> SequentialResult:
    """Ask both models through the runner (stored as always), batch by batch, until the test decides or a budget is spent."""
    from distillscope.records import Paired
    from distillscope.runner.answers import answer_texts, requests_for
    from distillscope.runner.cost import CostLimitReached

    sequential = SequentialTest(settings)
    asked, dropped = 0, 0
    ids: list[str] = []
    stopped_by: StoppedBy = "prompts"
    message: str | None = None
    budget = min(settings.max_queries, len(prompts))
    sizes = iter(batch_sizes(settings, budget))
    while True:
        if sequential.rejected:
            stopped_by = "wealth"
            break
        if asked >= budget:
            stopped_by = "max_queries" if budget == settings.max_queries else "prompts"
            break
        chunk = list(prompts[asked : asked + next(sizes)])
        if runner.cost.max_cost is not None:
            requests = requests_for(chunk, sampling.model_copy(update={"n": 1}))
            try:  # both models' share of the batch must fit, or nothing of it is sent
                estimates = [_batch_estimate(runner, model, requests) for model in (teacher, student)]
                for model, estimate in zip((teacher, student), estimates):
                    if estimate is None:  # no price: refused in one line, never guessed
                        runner.cost.check(model.identity, estimate)
                priced = [estimate for estimate in estimates if estimate is not None]  # all of them: a None was refused
                runner.cost.check(f"{teacher.identity} and {student.identity}", sum(priced), "the next batch")
            except CostLimitReached as exc:
                stopped_by, message = "max_cost", exc.cause
                break

        def reveal(chunk: list[Prompt] = chunk) -> list[PairObservation]:
            nonlocal dropped
            paired, missing = Paired.from_answers(
                chunk, answer_texts(runner, teacher, chunk, sampling), answer_texts(runner, student, chunk, sampling)
            )
            dropped += missing
            if not paired.prompts:
                return []
            t, s = featurize(paired.teacher), featurize(paired.student)
            return [PairObservation.of(t[i], s[i], p.id) for i, p in enumerate(paired.prompts)]

        asked += len(chunk)
        ids.extend(p.id for p in chunk)
        sequential.step(reveal, asked)
        if on_batch:
            on_batch(sequential.trajectory[-1])
    queries = {teacher.identity: asked, student.identity: asked}
    return sequential.result(stopped_by, queries, dropped, ids, message)
