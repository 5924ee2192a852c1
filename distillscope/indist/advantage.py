"""Advantage of a per-response adversary, and how it grows with the number of queries q.

On a balanced test (every test row answered by each model) the adversary
guesses "teacher" when its log-odds are positive. Per row (a prompt's sample j
from each model) the pair score is v = [right on T's answer] + [right on S's
answer] - 1, so the advantage 2·acc - 1 is the mean of v. Its interval is a
bootstrap over prompts: the rows of one prompt are resampled together
(METHODS.md sections 5 and 7).

For q queries the adversary sums the log-odds of q answers to q *distinct*
prompts before guessing. Adv(q) is the mean pair score over such groups:
every group when there are few enough, else many random ones (one random
sample index per member when a prompt has several). The bootstrap redraws the
prompts with replacement and then draws groups of q distinct prompt ids from
that resample (weighted by how often each was drawn), so no group ever holds
one prompt twice. q = 1 is exactly the advantage estimate, and q stops at a
quarter of the prompts: beyond that the groups overlap so much that the curve
says little more. The interval is the bootstrap's, never widened to contain
the point.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations
from math import comb

import numpy as np

from distillscope.stats import Estimate, cluster_bootstrap, cluster_means, percentile_interval

#: Monte Carlo groups for a q-curve point where enumerating every group is too many, and per bootstrap resample
POINT_GROUPS = 20000
BOOTSTRAP_GROUPS = 2000


def _correct(log_odds: np.ndarray, teacher: bool) -> np.ndarray:
    """1 for a right guess, 0 for a wrong one, 0.5 for a tie at exactly 0."""
    sign = np.sign(log_odds) if teacher else -np.sign(log_odds)
    return (sign + 1) / 2


def per_prompt_scores(teacher_log_odds: np.ndarray, student_log_odds: np.ndarray) -> np.ndarray:
    """The pair score v of each row (one value per prompt when there is one sample per prompt)."""
    return _correct(np.asarray(teacher_log_odds), True) + _correct(np.asarray(student_log_odds), False) - 1


def advantage_intervals(
    teacher_log_odds: np.ndarray,
    student_log_odds: np.ndarray,
    clusters: Sequence[str] | None = None,
    seed: int = 0,
    confidences: Sequence[float] = (0.95,),
) -> tuple[Estimate, dict[float, tuple]]:
    """The advantage (95% interval in the Estimate) and (low, high) at every level asked, from one bootstrap."""
    return cluster_bootstrap(per_prompt_scores(teacher_log_odds, student_log_odds).tolist(), clusters, seed=seed, confidences=confidences)


def advantage(teacher_log_odds: np.ndarray, student_log_odds: np.ndarray, seed: int = 0, clusters: Sequence[str] | None = None) -> Estimate:
    return advantage_intervals(teacher_log_odds, student_log_odds, clusters, seed)[0]


#: a category on fewer prompts gets its mean but no interval: at 2-3 prompts any interval is nearly [min, max] (issue 31.7)
MIN_CATEGORY_PROMPTS = 5


def advantage_by_group(
    teacher_log_odds: np.ndarray,
    student_log_odds: np.ndarray,
    groups: Sequence[str],
    seed: int = 0,
    clusters: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> dict[str, Estimate]:
    """Advantage per category (n = prompts in it), with intervals simultaneous over the categories.

    Ten categories read side by side are ten chances to see an artefact, so
    each interval is at level 1 − α/k (Bonferroni over the k categories): all
    k cover together with probability >= 95%. The interval is Wilson's over
    the category's per-prompt mean scores (a prompt's samples are one unit),
    mapped to [0, 1] and back: a Bernoulli variable has the largest variance a
    [0, 1] mean can have, so this is conservative whatever the per-prompt
    spread, where Student's t undercovered on these bounded, skewed scores
    (0.84 simultaneous at 10 prompts per category) and the percentile
    bootstrap it replaced was nearly [min, max] at 2-3 prompts (0.36
    simultaneous at 10; coverage: docs/methods.md). A category on fewer than
    MIN_CATEGORY_PROMPTS prompts gets its mean and no interval; `status` says
    so, or how the interval was corrected. `seed` is kept for callers.
    """
    from distillscope.stats import wilson_interval

    scores = per_prompt_scores(teacher_log_odds, student_log_odds)
    clusters = list(clusters) if clusters is not None else [str(i) for i in range(len(scores))]
    buckets: dict[str, tuple[list[float], list[str]]] = defaultdict(lambda: ([], []))
    for value, group, cluster in zip(scores, groups, clusters):
        buckets[group][0].append(float(value))
        buckets[group][1].append(cluster)
    k = len(buckets)
    level = 1 - (1 - confidence) / max(k, 1)
    out = {}
    for group, (values, members) in sorted(buckets.items()):
        sums, counts, _ = cluster_means(values, members)
        means = sums / counts
        m, mean = len(means), float(means.mean())
        if m < MIN_CATEGORY_PROMPTS:
            out[group] = Estimate(
                mean=mean, low=None, high=None, n=m, status=f"too few prompts for an interval (n = {m} < {MIN_CATEGORY_PROMPTS})"
            )
            continue
        low, high = wilson_interval((mean + 1) / 2, m, level)
        how = (
            f"Wilson over prompt means, simultaneous over {k} categories (Bonferroni, each at {level:.4f})"
            if k > 1
            else "Wilson over prompt means"
        )
        out[group] = Estimate(mean=mean, low=2 * low - 1, high=2 * high - 1, n=m, status=how)
    return out


def q_values(n_prompts: int, largest: int | None = None) -> list[int]:
    """q = 1, 2, 4, ... up to a quarter of the prompts (and `largest` if given)."""
    limit = max(1, n_prompts // 4)
    if largest is not None:
        limit = min(limit, largest)
    out, q = [], 1
    while q <= limit:
        out.append(q)
        q *= 2
    return out


class _Rows:
    """Rows sorted by prompt, so a prompt's samples are a contiguous block."""

    def __init__(self, lt: np.ndarray, ls: np.ndarray, clusters: Sequence[str] | None) -> None:
        index: dict[str, int] = {}
        codes = np.arange(len(lt)) if clusters is None else np.asarray([index.setdefault(c, len(index)) for c in clusters])
        order = np.argsort(codes, kind="stable")
        self.lt, self.ls = np.asarray(lt, dtype=float)[order], np.asarray(ls, dtype=float)[order]
        self.sizes = np.bincount(codes)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.n = len(self.sizes)

    def score(self, members: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Pair score of each group (rows of prompt indices), one random sample index per member."""
        rows = self.starts[members] + (rng.random(members.shape) * self.sizes[members]).astype(int)
        return _correct(self.lt[rows].sum(axis=1), True) + _correct(self.ls[rows].sum(axis=1), False) - 1


def _distinct_groups(ids: np.ndarray, q: int, groups: int, rng: np.random.Generator) -> np.ndarray:
    """`groups` rows of q distinct ids, each drawn uniformly from the positions of `ids` (a bootstrap resample).

    Drawing with replacement and keeping the first q distinct ids is exactly
    sequential sampling without replacement weighted by how often each id was
    resampled, so a group never repeats a prompt.
    """
    out = np.empty((groups, q), dtype=int)
    todo = np.arange(groups)
    width = q + 2 * (q * q // max(1, len(ids))) + 8
    while len(todo):
        draws = ids[rng.integers(0, len(ids), (len(todo), width))]
        order = np.argsort(draws, axis=1, kind="stable")
        ordered = np.take_along_axis(draws, order, axis=1)
        repeat_sorted = np.zeros_like(ordered, dtype=bool)
        repeat_sorted[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
        repeat = np.empty_like(repeat_sorted)
        np.put_along_axis(repeat, order, repeat_sorted, axis=1)
        keep = ~repeat & (np.cumsum(~repeat, axis=1) <= q)
        done = keep.sum(axis=1) == q
        out[todo[done]] = draws[done][keep[done]].reshape(-1, q)
        todo = todo[~done]
        width *= 2
    return out


def _prefix_scores(rows: _Rows, members: np.ndarray, qs: Sequence[int], rng: np.random.Generator) -> dict[int, float]:
    """Mean pair score of the first q members of every group, for each q (one random sample index per member)."""
    picked = rows.starts[members] + (rng.random(members.shape) * rows.sizes[members]).astype(int)
    sum_t, sum_s = np.cumsum(rows.lt[picked], axis=1), np.cumsum(rows.ls[picked], axis=1)
    return {q: float(np.mean(_correct(sum_t[:, q - 1], True) + _correct(sum_s[:, q - 1], False) - 1)) for q in qs}


def _points(rows: _Rows, qs: Sequence[int], rng: np.random.Generator) -> dict[int, float]:
    """Adv(q) on the data: every group of q distinct prompts when there are at most POINT_GROUPS, else that many random ones."""
    out: dict[int, float] = {}
    random_qs = []
    for q in qs:
        if np.all(rows.sizes == 1) and comb(rows.n, q) <= POINT_GROUPS:
            members = np.fromiter((i for group in combinations(range(rows.n), q) for i in group), dtype=int).reshape(-1, q)
            out[q] = _prefix_scores(rows, members, [q], rng)[q]
        else:
            random_qs.append(q)
    if random_qs:  # groups of the largest q; a smaller q uses each group's first q members
        out.update(_prefix_scores(rows, _distinct_groups(np.arange(rows.n), max(random_qs), POINT_GROUPS, rng), random_qs, rng))
    return out


MIN_TAIL_DRAWS = 12  # bootstrap draws beyond each end of the widest interval asked for


def enough_resamples(resamples: int, confidences: Sequence[float]) -> int:
    """At least MIN_TAIL_DRAWS draws in each tail of the widest level asked for.

    The ε table asks for 1 - α/k (simultaneous over k adversaries): at k = 4, 500 resamples leave about 3 draws
    per tail, and the measured coverage of the q = 4 and q = 8 columns fell to 0.925 and 0.916 (docs/
    indistinguishability.md); with 12 draws per tail (1,920 resamples at k = 4) the end is no longer set by a
    handful of draws.
    """
    tail = (1 - max(confidences)) / 2
    return max(resamples, math.ceil(MIN_TAIL_DRAWS / tail)) if tail > 0 else resamples


def q_curve_intervals(
    teacher_log_odds: np.ndarray,
    student_log_odds: np.ndarray,
    clusters: Sequence[str] | None = None,
    qs: Sequence[int] | None = None,
    resamples: int = 500,
    confidences: Sequence[float] = (0.95,),
    seed: int = 0,
) -> tuple[dict[int, Estimate], dict[int, dict[float, tuple]], dict[int, np.ndarray]]:
    """Adv(q) with its bootstrap interval(s) per q, and the bootstrap draws (for calibration checks).

    The Estimate holds the first confidence level; the dict holds (low, high)
    for every level, all from the same resamples. n = prompts. Within one
    resample the groups for every q are prefixes of the same groups of the
    largest q, which costs one draw instead of one per q.
    """
    lt, ls = np.asarray(teacher_log_odds, dtype=float), np.asarray(student_log_odds, dtype=float)
    rows = _Rows(lt, ls, clusters)
    curve: dict[int, Estimate] = {}
    intervals: dict[int, dict[float, tuple]] = {}
    qs = sorted(set(qs or q_values(rows.n)))
    if 1 in qs:  # exactly the advantage estimate and its interval
        curve[1], intervals[1] = advantage_intervals(lt, ls, clusters, seed, confidences)
    for q in [q for q in qs if q > max(1, rows.n // 2)]:
        curve[q] = Estimate(mean=None, low=None, high=None, n=rows.n, status=f"q={q} needs at least {2 * q} prompts")
        intervals[q] = {c: (None, None) for c in confidences}
    multi = [q for q in qs if 1 < q <= rows.n // 2]
    if not multi:
        return {q: curve[q] for q in qs}, intervals, {}
    rng = np.random.default_rng([seed, 7])
    points = _points(rows, multi, rng)
    resamples = enough_resamples(resamples, confidences)
    draws = {q: np.empty(resamples) for q in multi}
    for b in range(resamples):
        resample = rng.integers(0, rows.n, rows.n)
        while len(np.unique(resample)) < multi[-1]:  # possible only when q is close to n/2
            resample = rng.integers(0, rows.n, rows.n)
        for q, value in _prefix_scores(rows, _distinct_groups(resample, multi[-1], BOOTSTRAP_GROUPS, rng), multi, rng).items():
            draws[q][b] = value
    for q in multi:
        if np.ptp(draws[q]) == 0:
            status = f"degenerate: every resample scores {draws[q][0]:.3f}; the bootstrap gives no interval"
            curve[q] = Estimate(mean=points[q], low=None, high=None, n=rows.n, status=status)
            intervals[q] = {c: (None, None) for c in confidences}
            continue
        intervals[q] = {c: percentile_interval(draws[q], c) for c in confidences}
        low, high = intervals[q][confidences[0]]
        curve[q] = Estimate(mean=points[q], low=low, high=high, n=rows.n)
    return {q: curve[q] for q in qs}, intervals, draws


def q_curve(
    teacher_log_odds: np.ndarray,
    student_log_odds: np.ndarray,
    qs: Sequence[int] | None = None,
    resamples: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
    clusters: Sequence[str] | None = None,
) -> dict[int, Estimate]:
    """Adv(q) for q = 1, 2, 4, ... (at most a quarter of the prompts) with bootstrap intervals over prompts."""
    return q_curve_intervals(teacher_log_odds, student_log_odds, clusters, qs, resamples, (confidence,), seed)[0]
