"""Closeness of one model's answers to a candidate's, signal by signal, with the base as the reference.

Per-prompt signals give one closeness value per prompt (similarity: the cosine
of the two answers; style and embed: minus the cross-fitted adversary's pair
score; ice: whether the answer claims the candidate's family; likelihood: the
answer's mean token log-probability under the candidate), so the margin
against the base is a paired difference over prompts with a bootstrap
interval (METHODS.md section 7). Corpus signals (paired MMD², POS templates)
give one number per comparison. Every comparison is memoised: a base's
closeness to a candidate is computed once for all the students of that base.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np

from distillscope.attribution.answers import AnswerTable
from distillscope.attribution.result import SignalScore, Skip
from distillscope.attribution.signal_registry import BUILTIN, SIGNALS, is_per_prompt, signal_info
from distillscope.errors import MissingExtraError
from distillscope.stats import (
    Estimate,
    bootstrap_mean,
    cluster_bootstrap,
    paired_difference,
)

if TYPE_CHECKING:
    from distillscope.attribution.likelihood import TeacherForcedScorer
    from distillscope.attribution.pos_templates import TemplateProfiles
    from distillscope.protocols import TextEmbedder

T = TypeVar("T")

PER_PROMPT = tuple(name for name, s in BUILTIN.items() if s.kind != "corpus")  # built-ins; plugins' are per prompt too
ADVERSARIES = tuple(name for name, s in BUILTIN.items() if s.kind == "adversary")
#: fold splits each adversary is refitted on, so that its training noise is measured, not assumed away (issue 31.6)
ADVERSARY_SPLITS = 3


class SignalBank:
    """Closeness of model X to candidate T per signal, memoised by (signal, X, T)."""

    def __init__(
        self,
        table: AnswerTable,
        embedder: TextEmbedder | None,
        families: dict[str, str | None],
        likelihood: Callable[[str], TeacherForcedScorer] | None = None,
        seed: int = 0,
        mmd_permutations: int = 200,
    ) -> None:
        self.table = table
        self.embedder = embedder
        self.families = families
        self.likelihood = likelihood  # candidate name -> scorer (raises Skip when the candidate is not local)
        self.seed = seed
        self.mmd_permutations = mmd_permutations
        self._memo: dict[tuple, object] = {}
        self._claims: dict[str, list[set[str] | None]] = {}
        self._pos: TemplateProfiles | None = None

    def _vectors(self) -> TextEmbedder:
        """The embedder; None only when no chosen signal needs one (`run.build_bank`)."""
        if self.embedder is None:
            raise ValueError("this signal bank was built without an embedder")
        return self.embedder

    def _cached(self, key: tuple, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except Skip as skip:
                self._memo[key] = skip
        value = self._memo[key]
        if isinstance(value, Skip):
            raise value
        return cast(T, value)  # the memo holds what `compute` returned for this key

    # -- per-prompt closeness: prompt id -> value, higher = closer -------------------------------------------
    def per_prompt(self, signal: str, x: str, t: str) -> dict[str, float]:
        if signal in BUILTIN:
            return self._cached((signal, x, t), lambda: getattr(self, f"_{signal}")(x, t))
        return self._cached((signal, x, t), lambda: SIGNALS.load(signal)(self, x, t))  # a plugin's signal

    def per_prompt_split(self, signal: str, x: str, t: str, split: int) -> dict[str, float]:
        """The per-prompt closeness with the adversary fitted on fold split `split` (0: the default split); other
        signals have no training, so every split is the same."""
        if split == 0 or signal not in ADVERSARIES:
            return self.per_prompt(signal, x, t)
        return self._cached((signal, x, t, split), lambda: self._adversary(signal, x, t, self.seed + split))

    def _similarity(self, x: str, t: str) -> dict[str, float]:
        from distillscope.metrics.similarity import cosines, pair_language

        rows = self.table.rows(x, t)
        refs = self.table.texts(t, rows)
        languages = [pair_language(self.table.prompts[i], r) for i, r in zip(rows, refs)]
        values = cosines(self._vectors(), refs, self.table.texts(x, rows), languages)
        return dict(zip(self.table.ids(rows), map(float, values)))

    def _adversary(self, name: str, x: str, t: str, seed: int | None = None) -> dict[str, float]:
        from distillscope.indist.advantage import per_prompt_scores
        from distillscope.indist.adversaries import EmbeddingAdversary, StyleAdversary
        from distillscope.indist.evaluate import cross_fitted_log_odds
        from distillscope.records import Paired

        rows = self.table.rows(x, t)
        if len(rows) < 8:
            raise Skip(f"{len(rows)} prompts answered by both: the cross-fitted adversary needs at least 8")
        paired = Paired(prompts=[self.table.prompts[i] for i in rows], teacher=self.table.texts(t, rows), student=self.table.texts(x, rows))
        make = StyleAdversary if name == "style" else (lambda: EmbeddingAdversary(self._vectors()))
        lt, ls, *_ = cross_fitted_log_odds(make, paired, folds=2, seed=self.seed if seed is None else seed)
        return dict(zip(paired.clusters, (-per_prompt_scores(lt, ls)).tolist()))

    def _style(self, x: str, t: str) -> dict[str, float]:
        return self._adversary("style", x, t)

    def _embed(self, x: str, t: str) -> dict[str, float]:
        return self._adversary("embed", x, t)

    def claims(self, x: str) -> list[set[str] | None]:
        """Family and developer ids each answer of X claims (own or persona voice)."""
        if x not in self._claims:
            from distillscope.ice.claims import extract_claims

            out: list[set[str] | None] = []
            for prompt, answer in zip(self.table.prompts, self.table.answers[x]):
                out.append(None if answer is None else extract_claims(answer, prompt.text).claimed())
            self._claims[x] = out
        return self._claims[x]

    def _ice(self, x: str, t: str) -> dict[str, float]:
        from distillscope.ice.claims import default_library

        family = self.families.get(t)
        if not family:
            raise Skip("the candidate's family is unknown: pass --family NAME=FAMILY")
        library = default_library()
        names = {family} | ({library.families[family].developer} if family in library.families else set())
        return {p.id: float(bool(c & names)) for p, c in zip(self.table.prompts, self.claims(x)) if c is not None}

    def _likelihood(self, x: str, t: str) -> dict[str, float]:
        if self.likelihood is None:
            raise Skip("likelihood needs local candidates (not configured)")
        scorer = self.likelihood(t)  # raises Skip with the reason for API and replay candidates
        rows = self.table.rows(x)
        scores = scorer.mean_logprobs([self.table.prompts[i] for i in rows], self.table.texts(x, rows))
        return {pid: s for pid, s in zip(self.table.ids(rows), scores) if s is not None}

    # -- corpus closeness -------------------------------------------------------------------------------------
    def mmd(self, x: str, t: str, rows: np.ndarray) -> tuple[float, float]:
        """(−MMD², permutation p-value) of X vs T on these rows (paired design)."""
        from distillscope.indist.mmd import mmd_test

        def compute() -> tuple[float, float]:
            if len(rows) < 4:
                raise Skip(f"{len(rows)} common prompts: the MMD test needs at least 4")
            test = mmd_test(
                self._vectors().embed(self.table.texts(t, rows)),
                self._vectors().embed(self.table.texts(x, rows)),
                permutations=self.mmd_permutations,
                seed=self.seed,
                clusters=self.table.ids(rows),
            )
            return -test.mmd2, test.p_value

        return self._cached(("mmd", x, t, tuple(rows)), compute)

    def pos(self) -> TemplateProfiles:
        if self._pos is None:
            from distillscope.attribution.pos_templates import TemplateProfiles

            self._pos = TemplateProfiles(self.table)
        return self._pos


def _native(signal: str, values: list[float]) -> list[float]:
    """Closeness back to the signal's own units (an advantage is minus the closeness)."""
    return values if signal_info(signal).higher_is_closer else [-v for v in values]


def score(bank: SignalBank, signal: str, student: str, base: str | None, candidate: str, pool: list[str]) -> SignalScore:
    """One signal for one candidate: the student's value, the base's, and the margin between them."""
    try:
        if is_per_prompt(signal):
            return _per_prompt_score(bank, signal, student, base, candidate)
        if signal == "mmd":
            return _mmd_score(bank, student, base, candidate)
        return bank.pos().score(student, base, candidate, pool, seed=bank.seed)
    except Skip as skip:
        return SignalScore(signal=signal, status=str(skip))
    except MissingExtraError as missing:  # the POS tagger or torch not installed: this signal only
        return SignalScore(signal=signal, status=missing.one_line())


def _per_prompt_score(bank: SignalBank, signal: str, student: str, base: str | None, candidate: str) -> SignalScore:
    mine = bank.per_prompt(signal, student, candidate)
    if signal in ADVERSARIES:  # an advantage: its interval is the cluster bootstrap's, like indist's
        value, _ = cluster_bootstrap(_native(signal, list(mine.values())), list(mine), seed=bank.seed)
    else:
        value = bootstrap_mean(_native(signal, list(mine.values())), seed=bank.seed)
    out = SignalScore(signal=signal, value=value, detail={"prompts": len(mine)})
    if base is not None:
        theirs = bank.per_prompt(signal, base, candidate)
        out.reference = bootstrap_mean(_native(signal, list(theirs.values())), seed=bank.seed)
        out.margin = (
            adversary_margin(bank, signal, student, base, candidate)
            if signal in ADVERSARIES
            else paired_difference(theirs, mine, seed=bank.seed)
        )
    return out


def adversary_margin(bank: SignalBank, signal: str, student: str, base: str, candidate: str) -> Estimate:
    """An adversary's margin with its training noise inside the interval (issue 31.6): the adversaries are refitted on
    `ADVERSARY_SPLITS` fold splits, the per-prompt margins averaged over them, and the normal interval's variance is
    the prompts' (sample variance of the averaged margins / n) plus the between-split variance / splits. One split's
    bootstrap alone left the training noise out (SE 0.062 against a true SD of 0.075)."""
    splits = []
    for r in range(ADVERSARY_SPLITS):
        mine, theirs = bank.per_prompt_split(signal, student, candidate, r), bank.per_prompt_split(signal, base, candidate, r)
        splits.append({pid: mine[pid] - theirs[pid] for pid in mine if pid in theirs})
    common = sorted(set.intersection(*(set(d) for d in splits)))
    if len(common) < 2:
        return Estimate(mean=None, low=None, high=None, n=len(common), status="fewer than 2 prompts scored on both sides")
    values = np.asarray([[d[pid] for pid in common] for d in splits])
    averaged = values.mean(axis=0)
    variance = float(averaged.var(ddof=1)) / len(common) + float(values.mean(axis=1).var(ddof=1)) / len(splits)
    mean, half = float(averaged.mean()), 1.96 * variance**0.5
    if half <= 0:
        return Estimate(mean=mean, low=None, high=None, n=len(common), status=f"degenerate: all {len(common)} margins equal")
    return Estimate(mean=mean, low=mean - half, high=mean + half, n=len(common))


def _mmd_score(bank: SignalBank, student: str, base: str | None, candidate: str) -> SignalScore:
    rows = bank.table.rows(student, candidate, *([base] if base else []))
    closeness, p_value = bank.mmd(student, candidate, rows)
    out = SignalScore(
        signal="mmd", value=Estimate(mean=-closeness, low=None, high=None, n=len(rows)), detail={"p_value": p_value, "prompts": len(rows)}
    )
    if base is not None:
        reference, p_base = bank.mmd(base, candidate, rows)
        out.reference = Estimate(mean=-reference, low=None, high=None, n=len(rows))
        out.margin = Estimate(mean=closeness - reference, low=None, high=None, n=len(rows), status="a corpus statistic: no interval")
        out.detail["p_value_base"] = p_base
    return out
