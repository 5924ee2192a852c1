"""Loose, strict and hard ICE scores from a fuzzing run, with intervals that respect how it was run.

Every score is successes / queries, as in the paper (whose denominator is its
query budget): loose counts answers the conflict judge flagged, strict those
the claim extractor reads as claiming another family or developer, hard the
strict ones to non-misleading templates. Answers the judge could not rate count
as no conflict in loose and are reported, so the denominator never shrinks.

The answers are not independent: every answer to one mutant template shares
that template (five questions per iteration by default), and templates are
chosen adaptively. So the interval is Wilson's at the design-effect-adjusted
sample size n_eff = n² / Σ n_t² (n_t answers to template t): the effective
size if answers to one template always agreed (intraclass correlation 1, the
worst case). It is never narrower than the unclustered Wilson interval (n_eff
<= n, equal to n with one answer per template), and because n_eff does not
depend on which answers succeeded, the bounds rise with every extra success
(monotone by construction, which the cluster bootstrap it replaced was not:
0/100 gave [0, 0.161] and 1/100 [0, 0.03]). Coverage with a strong template
effect is measured in docs/methods.md (at least 0.96, conservative when
templates matter little).

The conflict judge and the claim extractor are compared by Cohen's κ and the
2×2 table, because raw agreement is dominated by the many answers both call
harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from pydantic import BaseModel

from distillscope.ice.fuzzer import FuzzRun, QueryRecord
from distillscope.stats import Estimate, cluster_means, wilson_interval

KINDS = ("loose", "strict", "hard")


class ScoreSet(BaseModel):
    loose: Estimate | None  # None without a conflict judge
    strict: Estimate
    hard: Estimate
    queries: int
    successes: dict[str, int] = {}  # loose / strict / hard -> number of successful answers
    #: loose / strict / hard -> distinct templates with at least one success (what an identity accusation counts)
    success_templates: dict[str, int] = {}
    clusters: int = 0  # distinct templates the answers came from
    # per kind: "wilson" (one answer per template) or "wilson, n_eff = …" (clustered, worst-case design effect)
    interval: dict[str, str] = {}


class Agreement(BaseModel):
    """How the conflict judge (loose) and the claim extractor (strict) agree on the answers both rated."""

    n: int
    kappa: float | None  # Cohen's κ; None when either side gave one label only (κ undefined)
    confusion: list[list[int]]  # rows: judge 0/1, columns: extractor 0/1
    raw_agreement: float

    def fmt(self) -> str:
        (neither, extractor_only), (judge_only, both) = self.confusion
        kappa = f"κ {self.kappa:.2f}" if self.kappa is not None else "κ undefined (one side gave a single label)"
        return (
            f"{kappa} over {self.n} answers; both flag {both}, judge only {judge_only}, extractor only {extractor_only}, neither {neither}"
        )


class TemplateSummary(BaseModel):
    mutant_id: str
    seed_template: str
    misleading: bool
    queries: int
    loose_successes: int
    strict_successes: int
    text: str
    example_prompt: str
    example_response: str | None


class ICEResult(BaseModel):
    family: str
    budget: int
    queries: int
    overall: ScoreSet
    by_category: dict[str, ScoreSet]
    by_language: dict[str, ScoreSet]
    misleading_queries: int
    unjudged: int
    judge_extractor_agreement: Agreement | None
    top_templates: list[TemplateSummary]
    helper_failures: int
    placeholder_repairs: int
    pool_size: int
    seed_templates: int


def effective_size(clusters: list[str]) -> float:
    """n² / Σ n_t²: the sample size of clustered answers when answers to one template always agree (the worst case)."""
    _, counts, _ = cluster_means([0.0] * len(clusters), clusters)
    return float(counts.sum() ** 2 / (counts**2).sum()) if len(counts) else 0.0


def cluster_rate(successes: list[bool], clusters: list[str], seed: int = 0) -> tuple[Estimate, str]:
    """A success rate with its 95% Wilson interval at the design-effect-adjusted size, and the method used.

    `seed` is kept for callers; the interval is closed-form and draws nothing.
    """
    n, k = len(successes), sum(successes)
    if n == 0:
        return Estimate(mean=None, low=None, high=None, n=0, status="no queries"), "none"
    n_eff = effective_size(clusters)
    low, high = wilson_interval(k / n, n_eff)
    method = "wilson" if n_eff >= n - 1e-9 else f"wilson, n_eff = {n_eff:.1f} of {n} (clustered by template)"
    return Estimate(mean=k / n, low=low, high=high, n=n), method


def success_templates(successes: list[bool], clusters: list[str]) -> int:
    """Distinct templates (clusters) with at least one success."""
    return len({cluster for hit, cluster in zip(successes, clusters) if hit})


def score_set(records: list[QueryRecord], judged: bool, cluster_of: Callable[[QueryRecord], str] | None = None) -> ScoreSet:
    cluster_of = cluster_of or (lambda r: r.mutant_id)
    clusters = [cluster_of(r) for r in records]
    hits = {"loose": [bool(r.loose) for r in records], "strict": [r.strict for r in records], "hard": [r.hard for r in records]}
    rates = {kind: cluster_rate(hits[kind], clusters) for kind in KINDS}
    return ScoreSet(
        loose=rates["loose"][0] if judged else None,
        strict=rates["strict"][0],
        hard=rates["hard"][0],
        queries=len(records),
        successes={kind: sum(hits[kind]) for kind in KINDS if judged or kind != "loose"},
        success_templates={kind: success_templates(hits[kind], clusters) for kind in KINDS if judged or kind != "loose"},
        clusters=len(set(clusters)),
        interval={kind: rates[kind][1] for kind in KINDS if judged or kind != "loose"},
    )


def _grouped(records: list[QueryRecord], key: str, judged: bool, cluster_of: Callable[[QueryRecord], str]) -> dict[str, ScoreSet]:
    buckets: dict[str, list[QueryRecord]] = defaultdict(list)
    for record in records:
        buckets[getattr(record, key)].append(record)
    return {group: score_set(buckets[group], judged, cluster_of) for group in sorted(buckets)}


def agreement(records: list[QueryRecord]) -> Agreement | None:
    """Cohen's κ and the confusion table of judge (loose) against extractor (strict), where the judge gave a verdict."""
    both = [r for r in records if r.loose is not None]
    if not both:
        return None
    judge, extractor = [int(bool(r.loose)) for r in both], [int(r.strict) for r in both]
    confusion = [[sum(j == a and e == b for j, e in zip(judge, extractor)) for b in (0, 1)] for a in (0, 1)]
    kappa = None
    if len(set(judge)) > 1 or len(set(extractor)) > 1:
        from sklearn.metrics import cohen_kappa_score

        value = float(cohen_kappa_score(judge, extractor, labels=[0, 1]))
        kappa = value if value == value else None  # NaN when κ is undefined
    return Agreement(n=len(both), kappa=kappa, confusion=confusion, raw_agreement=sum(j == e for j, e in zip(judge, extractor)) / len(both))


def top_templates(run: FuzzRun, limit: int = 5) -> list[TemplateSummary]:
    by_mutant: dict[str, list[QueryRecord]] = defaultdict(list)
    for record in run.records:
        by_mutant[record.mutant_id].append(record)
    summaries = []
    for mutant_id, records in by_mutant.items():
        wins = [r for r in records if r.loose or r.strict]
        example = wins[0] if wins else records[0]
        summaries.append(
            TemplateSummary(
                mutant_id=mutant_id,
                seed_template=records[0].template_id.split(">")[0],
                misleading=records[0].misleading,
                queries=len(records),
                loose_successes=sum(bool(r.loose) for r in records),
                strict_successes=sum(r.strict for r in records),
                text=run.mutants[mutant_id],
                example_prompt=example.prompt,
                example_response=example.response,
            )
        )
    summaries.sort(key=lambda s: (-(s.loose_successes + s.strict_successes), -s.queries, s.mutant_id))
    return summaries[:limit]


def score_run(run: FuzzRun, judged: bool) -> ICEResult:
    records = run.records

    def cluster_of(record: QueryRecord) -> str:  # answers to the same template text are one cluster
        return run.mutants.get(record.mutant_id, record.mutant_id)

    return ICEResult(
        family=run.family,
        budget=run.config.budget,
        queries=len(records),
        overall=score_set(records, judged, cluster_of),
        by_category=_grouped(records, "category", judged, cluster_of),
        by_language=_grouped(records, "language", judged, cluster_of),
        misleading_queries=sum(r.misleading for r in records),
        unjudged=sum(r.loose is None for r in records) if judged else len(records),
        judge_extractor_agreement=agreement(records) if judged else None,
        top_templates=top_templates(run),
        helper_failures=run.helper_failures,
        placeholder_repairs=run.placeholder_repairs,
        pool_size=len(run.nodes),
        seed_templates=sum(n.parent is None for n in run.nodes),
    )
