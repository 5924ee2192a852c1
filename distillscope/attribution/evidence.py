"""Paired per-prompt evidence for the attribution test: how far the student moved toward each candidate, prompt by prompt.

For signal s, candidate T and prompt p the per-prompt margin is
d_p(T) = closeness_s(S, T, p) − closeness_s(B, T, p), B being the student's
base. The test's per-signal statistic is a paired z over prompts:

- "specific" (two or more candidates): e_p(T) = d_p(T) − mean over the other
  candidates of d_p(T'). Fine-tuning on any fluent answers moves a terse base
  toward *every* instruct model; only moving toward T *more than toward the
  others* is evidence that T taught it.
- "raw" (one candidate): d_p(T) itself.

Every noise source is inside the standard error (issue 31.6): the prompts
(the sample variance of the per-prompt values) and, for the cross-fitted
adversaries (style, embed), their training: each is refitted on
`ADVERSARY_SPLITS` fold splits, the per-prompt values are averaged over the
splits, and the between-split variance of the margin (divided by the number
of splits) is added to the prompt variance. POS templates are a corpus
statistic: their z uses a bootstrap standard error over prompts, and on a
resampled test set its mean is recomputed on the draw. MMD has no per-prompt
value and no defined resample (its U-statistic breaks with repeated prompts),
so it ranks but stays out of the test.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from distillscope.attribution.result import Skip
from distillscope.attribution.signal_registry import is_per_prompt
from distillscope.attribution.signals import ADVERSARIES, ADVERSARY_SPLITS, PER_PROMPT, SignalBank

#: signals that can enter the test (MMD cannot: see the module docstring)
TEST_SIGNALS = (*PER_PROMPT, "pos")
#: a z with no spread at all (every prompt's margin equal) stands at this bound; the test statistic clips every z
#: further (hypothesis.Z_CLIP) after putting it on the null population's scale
Z_BOUND = 1e3
POS_BOOTSTRAP = 200


@dataclass
class Evidence:
    """Per-prompt margins of one student toward each candidate, ready to be tested on any draw of the prompts."""

    candidates: list[str]
    ids: list[str]
    #: signal -> (splits, prompts, candidates) per-prompt margins, NaN where a model did not answer
    per_prompt: dict[str, np.ndarray] = field(default_factory=dict)
    #: signal -> function of drawn prompt ids giving each candidate's corpus margin (NaN where undefined)
    corpus: dict[str, Callable[[Sequence[str]], np.ndarray]] = field(default_factory=dict)
    #: signal -> standard error of each candidate's corpus margin (specific and raw), from a bootstrap over prompts
    corpus_se: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    #: why a signal is out of the test
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def signals(self) -> list[str]:
        return [*self.per_prompt, *self.corpus]

    def z(
        self, kind: str, draw: np.ndarray | None = None, signals: Sequence[str] | None = None, splits: np.ndarray | None = None
    ) -> tuple[dict[str, dict[str, float]], int]:
        """Per candidate, per signal, the paired z on `draw` (row indices into `ids`, repeats allowed; None = every
        prompt) and, for the adversaries, on `splits` (fold splits drawn with replacement: the training noise redrawn
        on a resampled test set), and the largest number of prompts any candidate's statistic used."""
        idx = np.arange(len(self.ids)) if draw is None else np.asarray(draw)
        out: dict[str, dict[str, float]] = {c: {} for c in self.candidates}
        n_max = 0
        for s, values in self.per_prompt.items():
            if signals is not None and s not in signals:
                continue
            chosen = values if splits is None or values.shape[0] == 1 else values[np.asarray(splits) % values.shape[0]]
            zs, n = _per_prompt_z(contrast(chosen[:, idx, :], kind))
            n_max = max(n_max, n)
            for c, z in zip(self.candidates, zs):
                if z is not None:
                    out[c][s] = z
        for s, margin in self.corpus.items():
            if signals is not None and s not in signals:
                continue
            drawn = [self.ids[i] for i in idx]
            centre = contrast(margin(drawn)[None, None, :], kind)[0, 0]
            for c, mu, se in zip(self.candidates, centre, self.corpus_se[(s, kind)]):
                if np.isfinite(mu) and np.isfinite(se):
                    out[c][s] = _clipped_z(float(mu), float(se))
        return out, n_max


def contrast(values: np.ndarray, kind: str) -> np.ndarray:
    """(…, candidates) margins -> the same shape: raw, or each less the mean of the *other* candidates (NaN-aware)."""
    if kind == "raw" or values.shape[-1] < 2:
        return values
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    others_sum = filled.sum(-1, keepdims=True) - filled
    others_n = present.sum(-1, keepdims=True) - present
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present & (others_n > 0), values - others_sum / np.maximum(others_n, 1), np.nan)


def _clipped_z(mean: float, se: float) -> float:
    if se <= 1e-12:
        return 0.0 if abs(mean) <= 1e-12 else float(np.sign(mean) * Z_BOUND)
    return float(np.clip(mean / se, -Z_BOUND, Z_BOUND))


def _per_prompt_z(values: np.ndarray) -> tuple[list[float | None], int]:
    """(splits, prompts, candidates) -> per candidate the z of the mean, prompt and split-to-split noise both counted."""
    splits = values.shape[0]
    with warnings.catch_warnings():  # a prompt no candidate's value covers is NaN, and skipped below
        warnings.simplefilter("ignore", RuntimeWarning)
        averaged = np.nanmean(values, axis=0) if splits > 1 else values[0]
    zs: list[float | None] = []
    n_max = 0
    for j in range(values.shape[2]):
        keep = ~np.isnan(averaged[:, j])
        n = int(keep.sum())
        n_max = max(n_max, n)
        if n < 2:
            zs.append(None)
            continue
        column = averaged[keep, j]
        variance = float(column.var(ddof=1)) / n
        if splits > 1:  # training noise: how much the margin moves when the adversary is refitted on another split
            per_split = values[:, keep, j].mean(axis=1)
            variance += float(per_split.var(ddof=1)) / splits
        zs.append(_clipped_z(float(column.mean()), variance**0.5))
    return zs, n_max


def _margins(bank: SignalBank, signal: str, student: str, base: str, candidate: str, split: int) -> dict[str, float]:
    mine = bank.per_prompt_split(signal, student, candidate, split)
    theirs = bank.per_prompt_split(signal, base, candidate, split)
    return {pid: mine[pid] - theirs[pid] for pid in mine if pid in theirs}


def gather(bank: SignalBank, student: str, base: str, candidates: list[str], signals: Sequence[str]) -> Evidence:
    """Every test signal's per-prompt margins toward every candidate (a signal any candidate lacks is dropped: the
    specific contrast needs them all, and a signal missing for one candidate would favour it)."""
    ids = bank.table.ids(bank.table.rows(student, base))
    position = {pid: k for k, pid in enumerate(ids)}
    evidence = Evidence(candidates=list(candidates), ids=list(ids))
    for s in signals:
        if s not in TEST_SIGNALS and not is_per_prompt(s):  # a plugin's signal is per prompt
            evidence.dropped[s] = "no per-prompt value and no defined resample: it ranks, but stays out of the test"
            continue
        try:
            if s == "pos":
                _gather_pos(bank, evidence, student, base, candidates)
                continue
            splits = ADVERSARY_SPLITS if s in ADVERSARIES else 1
            values = np.full((splits, len(ids), len(candidates)), np.nan)
            for r in range(splits):
                for j, c in enumerate(candidates):
                    for pid, d in _margins(bank, s, student, base, c, r).items():
                        if pid in position:
                            values[r, position[pid], j] = d
            evidence.per_prompt[s] = values
        except Skip as skip:
            evidence.dropped[s] = str(skip)
        except Exception as exc:  # noqa: BLE001 - an extra not installed (POS tagger): this signal only
            from distillscope.errors import MissingExtraError

            if not isinstance(exc, MissingExtraError):
                raise
            evidence.dropped[s] = exc.one_line()
    return evidence


def _gather_pos(bank: SignalBank, evidence: Evidence, student: str, base: str, candidates: list[str]) -> None:
    pool = list(candidates)
    functions = [bank.pos().margin_on(student, base, c, pool) for c in candidates]

    def margin(drawn: Sequence[str]) -> np.ndarray:
        return np.asarray([np.nan if (v := f(drawn)) is None else v for f in functions], dtype=float)

    ids = evidence.ids
    if not np.isfinite(margin(ids)).any():
        raise Skip("too few prompts for template profiles")
    rng = np.random.default_rng([bank.seed, 29])
    draws = [margin([ids[i] for i in rng.integers(0, len(ids), len(ids))]) for _ in range(POS_BOOTSTRAP)]
    stacked = np.asarray(draws)[:, None, :]
    evidence.corpus["pos"] = margin
    with warnings.catch_warnings():  # a candidate whose profile is undefined on every draw: NaN, left out of its test
        warnings.simplefilter("ignore", RuntimeWarning)
        for kind in ("raw", "specific"):
            evidence.corpus_se[("pos", kind)] = np.nanstd(contrast(stacked, kind)[:, 0, :], axis=0, ddof=1)
