"""Which train prompts to buy teacher answers for, within a query budget (METHODS.md section 6).

- random: a uniform sample of the pool;
- stratified: equal numbers per category (largest remainder when it does not divide);
- disagreement: rounds. The first round is a stratified pilot. After each round,
  the student-teacher disagreement (1 - embedding cosine of their answers)
  on everything bought so far trains a ridge regression from prompt
  embedding to disagreement, and the next round buys the remaining prompts
  it predicts the student gets most wrong.

Every strategy spends exactly the budget on distinct prompts: teacher
queries are what the budget counts.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np

from distillscope.errors import UserError
from distillscope.probes.suite import stratified_sample
from distillscope.types import Prompt

STRATEGIES = ("random", "stratified", "disagreement")


def _check(pool: Sequence[Prompt], budget: int) -> None:
    if budget > len(pool):
        raise UserError(f"budget {budget} exceeds the {len(pool)} prompts in the pool", f"use --budget {len(pool)} or less")
    if budget < 1:
        raise UserError("the budget must be at least 1", "use --budget 1 or more")


def random_acquisition(pool: Sequence[Prompt], budget: int, seed: int = 0) -> list[Prompt]:
    _check(pool, budget)
    return random.Random(f"{seed}:random").sample(list(pool), budget)


def stratified_acquisition(pool: Sequence[Prompt], budget: int, seed: int = 0) -> list[Prompt]:
    """Equal shares per category, each drawn at random; a small category gives its spare share to the others."""
    _check(pool, budget)
    groups: dict[str, list[Prompt]] = {}
    for prompt in pool:
        groups.setdefault(prompt.category or "uncategorised", []).append(prompt)
    if len({len(g) for g in groups.values()}) == 1:
        # equal-sized categories (the packaged train split): the suite's own stratified sample, so an
        # acquisition reuses answers already stored for `suite.sample(budget, "train", seed)`
        return stratified_sample(list(pool), budget, seed)
    for group in groups.values():
        random.Random(f"{seed}:stratified:{group[0].category}").shuffle(group)
    counts = {c: 0 for c in groups}
    order = sorted(groups)
    random.Random(f"{seed}:stratified:order").shuffle(order)  # who gets the remainder is random, not alphabetical
    left = budget
    while left:
        for category in order:
            if left and counts[category] < len(groups[category]):
                counts[category] += 1
                left -= 1
    return [p for c in sorted(groups) for p in groups[c][: counts[c]]]


def disagreement_acquisition(
    pool: Sequence[Prompt],
    budget: int,
    measure: Callable[[list[Prompt]], np.ndarray],
    embed_prompts: Callable[[list[str]], np.ndarray],
    rounds: int = 3,
    seed: int = 0,
) -> tuple[list[Prompt], list[float]]:
    """Rounds of buying where predicted disagreement is largest; returns the prompts and their measured disagreement."""
    _check(pool, budget)
    from sklearn.linear_model import Ridge

    rounds = max(1, min(rounds, budget))
    sizes = [budget // rounds + (1 if i < budget % rounds else 0) for i in range(rounds)]
    bought = stratified_acquisition(pool, sizes[0], seed)
    scores = list(measure(bought))
    vectors = dict(zip([p.id for p in pool], embed_prompts([p.text for p in pool])))
    for size in sizes[1:]:
        chosen = {p.id for p in bought}
        remaining = [p for p in pool if p.id not in chosen]
        model = Ridge(alpha=1.0).fit(np.stack([vectors[p.id] for p in bought]), np.asarray(scores))
        predicted = model.predict(np.stack([vectors[p.id] for p in remaining]))
        order = np.argsort(-predicted, kind="stable")[:size]
        batch = [remaining[i] for i in order]
        bought += batch
        scores += list(measure(batch))
    return bought, [float(s) for s in scores]


def acquire(
    strategy: str,
    pool: Sequence[Prompt],
    budget: int,
    seed: int = 0,
    measure: Callable[[list[Prompt]], np.ndarray] | None = None,
    embed_prompts: Callable[[list[str]], np.ndarray] | None = None,
    rounds: int = 3,
) -> list[Prompt]:
    """`budget` prompts of `pool` by `strategy`; "disagreement" needs `measure` and `embed_prompts` (see there)."""
    if strategy == "random":
        return random_acquisition(pool, budget, seed)
    if strategy == "stratified":
        return stratified_acquisition(pool, budget, seed)
    if strategy == "disagreement":
        if measure is None or embed_prompts is None:
            raise ValueError("disagreement acquisition needs a disagreement measure and a prompt embedder")
        return disagreement_acquisition(pool, budget, measure, embed_prompts, rounds=rounds, seed=seed)[0]
    raise UserError(f"unknown acquisition strategy '{strategy}'", f"choose from {', '.join(STRATEGIES)}")
