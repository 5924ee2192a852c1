"""Testing by betting: a wealth process that can only grow when the two models differ.

An auditor starts with wealth 1 and, for each new pair of answers (one
prompt, both models), bets a fraction λ_t of it on a payoff f_t ∈ [-1, 1]:
W_t = Π (1 + λ_t·f_t). The payoff is a witness function of the pair, odd in
the pair (swapping the two answers flips its sign), and both the witness and
λ_t are fixed from earlier pairs only. Under the null (given the prompt, the
two answers are exchangeable) f_t is then symmetric around 0 given the past,
so E[1 + λ_t·f_t | past] = 1 and W is a nonnegative martingale: by Ville's
inequality P(sup_t W_t ≥ 1/α) ≤ α, whenever the auditor stops
(Shekhar & Ramdas 2023; Richter et al. 2025; METHODS.md section 10).

`BettingTest.step` is the only way to add data, and it fixes the witness and
reads the bet *before* it calls `reveal()` for the new answers, so a bet that
uses the current observation cannot be written against this API.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class SequentialSettings(BaseModel):
    """How a sequential test runs: its level, its budget, and what its witness sees (also the audit's `sequential:`)."""

    model_config = ConfigDict(extra="forbid")
    alpha: float = Field(0.05, gt=0, lt=1, description="level: reject when wealth reaches 1/alpha")
    max_queries: int = Field(200, ge=1, description="prompts asked of each model at most")
    batch: int = Field(10, ge=1, description="prompts asked of both models between two updates")
    features: Literal["style", "embed", "style+embed"] = "style+embed"
    cap: float = Field(0.5, gt=0, le=0.5, description="largest fraction of wealth bet on one pair")
    strength: float = Field(0.1, gt=0, description="inverse L2 penalty of the online logistic regressions")


class Witness(Protocol):
    """Functions of new observations, fixed before those observations are seen."""

    def payoffs(self, observations: Sequence[Any]) -> Sequence[float]:
        """f ∈ [-1, 1] per observation, odd under swapping a pair's two answers."""

    def advantages(self, observations: Sequence[Any]) -> Sequence[float] | None:
        """Each pair's advantage score v ∈ [-1, 1] under the adversary fitted so far (None before it exists)."""


WitnessFitter = Callable[[tuple[Any, ...]], Witness]


class NoBet:
    """The witness before there is enough history to fit one: no payoff, no advantage score."""

    def payoffs(self, observations: Sequence[Any]) -> Sequence[float]:
        return [0.0] * len(observations)

    def advantages(self, observations: Sequence[Any]) -> Sequence[float] | None:
        return None


class OnlineNewtonBettor:
    """λ_t by the online Newton step (Cutkosky & Orabona 2018), as in Shekhar & Ramdas: past payoffs only.

    It maximises log-wealth Σ log(1 + λ·f) online; λ is capped (|λ| ≤ cap ≤ 1/2)
    so one bad payoff never costs more than half the wealth.
    """

    def __init__(self, cap: float = 0.5) -> None:
        if not 0 < cap <= 0.5:
            raise ValueError("the bet cap must be in (0, 0.5]")
        self.cap = cap
        self._lambda = 0.0
        self._curvature = 1.0

    def bet(self) -> float:
        return self._lambda

    def observe(self, payoff: float) -> None:
        gradient = payoff / (1 + self._lambda * payoff)
        self._curvature += gradient * gradient
        step = 2 / (2 - math.log(3)) * gradient / self._curvature
        self._lambda = max(-self.cap, min(self.cap, self._lambda + step))


class BatchOutcome(BaseModel):
    pairs: int  # observations revealed in this batch
    log_wealth: float  # after the batch
    payoffs: list[float]
    bets: list[float]
    advantages: list[float]  # advantage scores v of the pairs (empty while no adversary is fitted)


class BettingTest:
    """The e-process of a paired two-sample test; reject when wealth ≥ 1/α."""

    def __init__(self, fit_witness: WitnessFitter, alpha: float = 0.05, cap: float = 0.5) -> None:
        if not 0 < alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        self.fit_witness = fit_witness
        self.alpha = alpha
        self.bettor = OnlineNewtonBettor(cap)
        self.log_wealth = 0.0
        self.max_log_wealth = 0.0
        self._history: list[Any] = []

    @property
    def wealth(self) -> float:
        return math.exp(self.log_wealth)

    @property
    def n(self) -> int:
        return len(self._history)

    @property
    def rejected(self) -> bool:
        """Wealth has reached 1/α at some point (once true it stays true: that is the decision)."""
        return self.max_log_wealth >= math.log(1 / self.alpha)

    def step(self, reveal: Callable[[], Sequence[Any]]) -> BatchOutcome:
        """Fit the witness on the past, then reveal the next observations and bet on each in turn.

        Within a batch the witness stays fixed (it saw none of the batch) and
        each bet λ uses the payoffs before it, so every factor is predictable.
        """
        witness = self.fit_witness(tuple(self._history))
        observations = list(reveal())
        if not observations:
            return BatchOutcome(pairs=0, log_wealth=self.log_wealth, payoffs=[], bets=[], advantages=[])
        payoffs = [max(-1.0, min(1.0, float(f))) for f in witness.payoffs(observations)]
        scores = witness.advantages(observations)
        advantages = [] if scores is None else [float(v) for v in scores]
        if len(payoffs) != len(observations):
            raise ValueError(f"the witness gave {len(payoffs)} payoffs for {len(observations)} observations")
        bets = []
        for payoff in payoffs:
            bet = self.bettor.bet()
            self.log_wealth += math.log1p(bet * payoff)
            self.max_log_wealth = max(self.max_log_wealth, self.log_wealth)
            self.bettor.observe(payoff)
            bets.append(bet)
        self._history.extend(observations)
        return BatchOutcome(pairs=len(observations), log_wealth=self.log_wealth, payoffs=payoffs, bets=bets,
                            advantages=advantages)
