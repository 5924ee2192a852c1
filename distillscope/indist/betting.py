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

The default bettor splits the wealth over a grid of fixed bets (up to 0.9)
and over several witnesses (one payoff column each): every part is a test
martingale and so is their average, and the parts that turn out right take
over at once, with no warm-up (`MixtureBettor`). The online Newton step of
the first version is kept (`betting="ons"`).

`BettingTest.step` is the only way to add data, and it fixes the witness and
reads the bet *before* it calls `reveal()` for the new answers, so a bet that
uses the current observation cannot be written against this API.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class SequentialSettings(BaseModel):
    """How a sequential test runs: its level, its budget, and what its witness sees (also the audit's `sequential:`)."""

    model_config = ConfigDict(extra="forbid")
    alpha: float = Field(default=0.05, gt=0, lt=1, description="level: reject when wealth reaches 1/alpha")
    max_queries: int = Field(default=200, ge=1, description="prompts asked of each model at most")
    batch: int = Field(default=10, ge=1, description="prompts asked of both models between two updates")
    features: Literal["style", "embed", "style+embed"] = "style+embed"
    betting: Literal["mixture", "ons"] = Field(
        default="mixture", description="mixture: wealth averaged over a grid of fixed bets; ons: one online-Newton bet"
    )
    max_bet: float = Field(default=0.9, gt=0, lt=1, description="largest fraction of wealth bet on one pair by the mixture")
    cap: float = Field(default=0.5, gt=0, le=0.5, description="largest fraction of wealth bet on one pair by the online Newton step")
    witness: Literal["mixture", "logistic"] = Field(
        default="mixture",
        description="mixture: wealth split over the mean-difference, kernel (MMD) and logistic witnesses; logistic: the logistic one alone",
    )
    ramp: bool = Field(default=True, description="start with batches of 1, 1, 2, 2, 4, ... up to `batch`, so early evidence counts")
    strength: float = Field(default=0.1, gt=0, description="inverse L2 penalty of the online logistic regressions")


class Witness(Protocol):
    """Functions of new observations, fixed before those observations are seen."""

    def payoffs(self, observations: Sequence[Any]) -> Any:
        """f ∈ [-1, 1] per observation (or one row of J payoffs per observation, one per witness), odd under swapping a
        pair's two answers."""

    def advantages(self, observations: Sequence[Any]) -> Sequence[float] | np.ndarray | None:
        """Each pair's advantage score v ∈ [-1, 1] under the adversary fitted so far (None before it exists)."""


WitnessFitter = Callable[[tuple[Any, ...]], Witness]


def witness_columns(fit_witness: WitnessFitter) -> int:
    """How many payoffs per observation a fitter's witnesses give (its `columns` attribute; 1 when it has none)."""
    return int(getattr(fit_witness, "columns", 1))


class NoBet:
    """The witness before there is enough history to fit one: no payoff, no advantage score."""

    def payoffs(self, observations: Sequence[Any]) -> Sequence[float]:
        return [0.0] * len(observations)

    def advantages(self, observations: Sequence[Any]) -> Sequence[float] | None:
        return None


class OnlineNewtonBettor:
    """λ_t by the online Newton step (Cutkosky & Orabona 2018), as in Shekhar & Ramdas: past payoffs only.

    It maximises log-wealth Σ log(1 + λ·f) online; λ is capped (|λ| ≤ cap ≤ 1/2)
    so one bad payoff never costs more than half the wealth. With several
    witnesses it bets on their plain average. Slow to start: λ begins at 0 and
    grows only as payoffs come in.
    """

    def __init__(self, cap: float = 0.5) -> None:
        if not 0 < cap <= 0.5:
            raise ValueError("the bet cap must be in (0, 0.5]")
        self.cap = cap
        self._lambda = 0.0
        self._curvature = 1.0

    def bet(self) -> float:
        return self._lambda

    def observe(self, payoffs: Any) -> float:
        """Log of this pair's wealth factor, then the step (the bet was fixed before the payoff)."""
        payoff = float(np.mean(payoffs))
        growth = math.log1p(self._lambda * payoff)
        gradient = payoff / (1 + self._lambda * payoff)
        self._curvature += gradient * gradient
        step = 2 / (2 - math.log(3)) * gradient / self._curvature
        self._lambda = max(-self.cap, min(self.cap, self._lambda + step))
        return growth


def bet_grid(max_bet: float, size: int = 6) -> np.ndarray:
    """Fixed bets from max_bet down by factors of 2/3 (0.9, 0.6, 0.4, ...): strong and weak evidence both have a good one."""
    return max_bet * (2 / 3) ** np.arange(size)


class MixtureBettor:
    """Wealth split equally over witnesses × fixed bets λ_k > 0, each part growing by (1 + λ_k·f_j).

    Each part is a test martingale under the null (its λ is a constant), so their
    average is one too, whatever the grid. It is the same as one predictable bet
    Σ π_jk λ_k f_j with π the parts' shares of the wealth before the pair, so the
    parts that have been right get more weight at once: no warm-up, and bets up
    to max_bet < 1 (payoffs are bounded, so a part never goes below (1 - λ_k) per pair).
    Only positive bets: every witness is fitted to score the teacher's side high.
    """

    def __init__(self, bets: Sequence[float] | np.ndarray, columns: int = 1) -> None:
        self.bets = np.asarray(bets, dtype=float)
        if not (len(self.bets) and np.all((self.bets > 0) & (self.bets < 1))):
            raise ValueError("mixture bets must lie in (0, 1)")
        self.log_parts = np.full((columns, len(self.bets)), -math.log(columns * len(self.bets)))

    def bet(self) -> float:
        """The fraction of wealth staked on the next pair (the parts' bets, weighted by their wealth)."""
        shares = np.exp(self.log_parts - _logsumexp(self.log_parts))
        return float(np.sum(shares * self.bets))

    def observe(self, payoffs: Any) -> float:
        before = _logsumexp(self.log_parts)
        row = np.broadcast_to(np.asarray(payoffs, dtype=float).reshape(-1), (self.log_parts.shape[0],))
        self.log_parts = self.log_parts + np.log1p(np.outer(row, self.bets))
        return _logsumexp(self.log_parts) - before


def _logsumexp(values: np.ndarray) -> float:
    top = float(np.max(values))
    return top + math.log(float(np.sum(np.exp(values - top))))


class BatchOutcome(BaseModel):
    pairs: int  # observations revealed in this batch
    log_wealth: float  # after the batch
    payoffs: list[float]  # per pair: the payoff (the mean over witnesses when there are several)
    bets: list[float]  # per pair: the fraction of wealth staked, fixed before the pair was seen
    advantages: list[float]  # advantage scores v of the pairs (empty while no adversary is fitted)


class BettingTest:
    """The e-process of a paired two-sample test; reject when wealth ≥ 1/α."""

    def __init__(
        self, fit_witness: WitnessFitter, alpha: float = 0.05, cap: float = 0.5, betting: str = "mixture", max_bet: float = 0.9
    ) -> None:
        if not 0 < alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        self.fit_witness = fit_witness
        self.alpha = alpha
        self.columns = witness_columns(fit_witness)
        self.bettor = MixtureBettor(bet_grid(max_bet), self.columns) if betting == "mixture" else OnlineNewtonBettor(cap)
        self.log_wealth = 0.0
        self.max_log_wealth = 0.0
        #: log-wealth after each pair: a rerun with a larger budget must reproduce it pair for pair (it continues, not restarts)
        self.path: list[float] = []
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
        each bet uses the payoffs before it, so every factor is predictable.
        """
        witness = self.fit_witness(tuple(self._history))
        observations = list(reveal())
        if not observations:
            return BatchOutcome(pairs=0, log_wealth=self.log_wealth, payoffs=[], bets=[], advantages=[])
        raw = np.asarray(witness.payoffs(observations), dtype=float)
        if raw.shape[0] != len(observations) or raw.ndim > 2:
            raise ValueError(f"the witness gave {raw.shape[0]} payoffs for {len(observations)} observations")
        payoffs = np.clip(np.nan_to_num(raw.reshape(len(observations), -1)), -1.0, 1.0)
        scores = witness.advantages(observations)
        advantages = [] if scores is None else [float(v) for v in scores]
        bets = []
        for row in payoffs:
            bets.append(self.bettor.bet())
            self.log_wealth += self.bettor.observe(row)
            self.max_log_wealth = max(self.max_log_wealth, self.log_wealth)
            self.path.append(self.log_wealth)
        self._history.extend(observations)
        return BatchOutcome(
            pairs=len(observations),
            log_wealth=self.log_wealth,
            payoffs=[float(r.mean()) for r in payoffs],
            bets=bets,
            advantages=advantages,
        )
