"""The (ε, q, t, A) table: per adversary and q, and one row per q for the whole class tried.

Adv is defined as an absolute value, so a bound on it is max(|low|, |high|)
of the advantage's interval (a negative advantage of -0.4 is an adversary
that is reliably wrong, and its labels flipped win 0.4).

The class row answers "could *any* adversary we tried do better than ε?".
Trying k adversaries and reporting the best upper bound would be optimistic,
so its bound is the maximum over the k adversaries of their intervals at the
simultaneous level 1 − α/k (Bonferroni): with probability ≥ 1 − α every
adversary's Adv is inside its interval at once. Which adversary is reported
as the class's point estimate is chosen on the train split (cross-fitted
advantage), never on the test data its interval comes from.

Each q is its own statement: the class row at q is simultaneous over the k
adversaries at that q, not over the q values of the table. Read Q columns
as one claim and Bonferroni guarantees only 1 − Q·α; the intervals of one
adversary at different q come from the same prompts and are dependent:
measured under the null at k = 4, one column held in 0.92-0.97 of
datasets and four columns at once in 0.87 (docs/indistinguishability.md,
issue 31). The verdict uses q = 1 alone.

An adversary with no usable verdicts (a judge that was never order-consistent)
or a degenerate interval (n < 2, or every per-prompt score equal) gets
ε = None and a status saying why; it is never printed as 0.000.
"""

from __future__ import annotations

from pydantic import BaseModel

from distillscope.stats import Estimate

ALPHA = 0.05


class EpsilonRow(BaseModel):
    adversary: str  # an adversary's name, or "class" for the bound over every adversary tried
    q: int
    advantage: float | None  # class row: the test advantage of the adversary selected on the train split
    #: upper bound of |Adv|: per adversary from its 95% interval; class row: from the simultaneous ones (over adversaries, at this q only)
    epsilon: float | None
    t_seconds: float  # class row: the largest t among its members
    low: float | None = None
    high: float | None = None
    epsilon_simultaneous: float | None = None  # per adversary: max(|low|, |high|) at the simultaneous level
    simultaneous_confidence: float | None = None  # 1 − α/k, k = adversaries tried
    n: int = 0  # prompts
    status: str | None = None  # why ε is None, or what the class bound leaves out
    selected: str | None = None  # class row: the adversary with the largest cross-fitted train-split advantage
    members: list[str] = []  # class row: the adversaries whose bounds it takes the maximum of
    missing: list[str] = []  # class row: adversaries tried that gave no bound at this q (the class bound is incomplete)
    worst: str | None = None  # class row: the member whose simultaneous bound is the maximum


class ClassEpsilon(BaseModel):
    """The class bound at q = 1, the number a verdict rests on."""

    epsilon: float | None
    adversary: str | None  # the member whose simultaneous bound is the largest
    missing: list[str]  # adversaries tried without a bound (no usable verdicts, degenerate interval)
    selected: str | None  # chosen on the train split
    simultaneous_confidence: float | None
    k: int  # adversaries tried (the Bonferroni divisor)


class Bound(BaseModel):
    """One adversary at one q: its 95% estimate and its simultaneous interval."""

    name: str
    q: int
    estimate: Estimate
    simultaneous: tuple[float | None, float | None]
    t_seconds: float
    status: str | None = None  # set when the adversary produced nothing usable


def abs_bound(low: float | None, high: float | None) -> float | None:
    return None if low is None or high is None else max(abs(low), abs(high))


def simultaneous_confidence(k: int, alpha: float = ALPHA) -> float:
    return 1 - alpha / max(1, k)


def adversary_row(bound: Bound, confidence: float) -> EpsilonRow:
    e = bound.estimate
    status = bound.status or e.status
    usable = bound.status is None
    return EpsilonRow(
        adversary=bound.name,
        q=bound.q,
        advantage=e.mean if usable else None,
        epsilon=abs_bound(e.low, e.high) if usable else None,
        t_seconds=bound.t_seconds,
        low=e.low if usable else None,
        high=e.high if usable else None,
        epsilon_simultaneous=abs_bound(*bound.simultaneous) if usable else None,
        simultaneous_confidence=confidence,
        n=e.n,
        status=status,
    )


def class_row(rows: list[EpsilonRow], q: int, selected: str | None, confidence: float, tried: list[str]) -> EpsilonRow:
    """The maximum simultaneous |Adv| bound over the adversaries with one at this q; the rest are named in status."""
    at_q = [r for r in rows if r.q == q]
    bounded = [r for r in at_q if r.epsilon_simultaneous is not None]
    left_out = [f"{r.adversary} ({r.status})" for r in at_q if r.epsilon_simultaneous is None]
    missing = [name for name in tried if name not in {r.adversary for r in at_q}]
    notes = []
    if left_out:
        notes.append("not bounded: " + "; ".join(left_out))
    if missing:
        notes.append(f"not run at q={q}: " + ", ".join(missing))
    chosen = next((r for r in at_q if r.adversary == selected), None)
    worst = max(bounded, key=lambda r: r.epsilon_simultaneous or 0.0, default=None)  # `bounded`: each has one
    return EpsilonRow(
        adversary="class",
        q=q,
        advantage=chosen.advantage if chosen else None,
        epsilon=worst.epsilon_simultaneous if worst else None,
        worst=worst.adversary if worst else None,
        missing=[r.adversary for r in at_q if r.epsilon_simultaneous is None] + missing,
        t_seconds=max((r.t_seconds for r in at_q), default=0.0),
        simultaneous_confidence=confidence,
        n=max((r.n for r in at_q), default=0),
        status="; ".join(notes) or None,
        selected=selected if chosen else None,
        members=[r.adversary for r in bounded],
    )


def epsilon_table(bounds: list[Bound], selected: str | None, k: int | None = None) -> list[EpsilonRow]:
    """Rows per adversary and q, then one class row per q (k = adversaries tried, for the correction)."""
    tried = list(dict.fromkeys(b.name for b in bounds))
    confidence = simultaneous_confidence(k or len(tried))
    rows = [adversary_row(b, confidence) for b in bounds]
    qs = sorted({r.q for r in rows})
    return rows + [class_row(rows, q, selected, confidence, tried) for q in qs] if rows else rows


def class_epsilon(rows: list[EpsilonRow], k: int) -> ClassEpsilon | None:
    row = next((r for r in rows if r.adversary == "class" and r.q == 1), None)
    if row is None:
        return None
    return ClassEpsilon(
        epsilon=row.epsilon,
        adversary=row.worst,
        missing=row.missing,
        selected=row.selected,
        simultaneous_confidence=row.simultaneous_confidence,
        k=k,
    )
