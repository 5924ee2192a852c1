"""Loose, strict and hard ICE scores from a fuzzing run, with Wilson intervals.

Every score is successes / queries, as in the paper (whose denominator is its
query budget): loose counts answers the conflict judge flagged, strict those
the claim extractor reads as claiming another family or developer, hard the
strict ones to non-misleading templates. Answers the judge could not rate count
as no conflict in loose and are reported, so the denominator never shrinks.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel

from distillscope.ice.fuzzer import FuzzRun, QueryRecord
from distillscope.metrics.stats import Estimate, proportion


class ScoreSet(BaseModel):
    loose: Estimate | None  # None without a conflict judge
    strict: Estimate
    hard: Estimate
    queries: int


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
    judge_extractor_agreement: Estimate | None
    top_templates: list[TemplateSummary]
    helper_failures: int
    placeholder_repairs: int
    pool_size: int
    seed_templates: int


def score_set(records: list[QueryRecord], judged: bool) -> ScoreSet:
    n = len(records)
    return ScoreSet(
        loose=proportion(sum(bool(r.loose) for r in records), n) if judged else None,
        strict=proportion(sum(r.strict for r in records), n),
        hard=proportion(sum(r.hard for r in records), n),
        queries=n,
    )


def _grouped(records: list[QueryRecord], key: str, judged: bool) -> dict[str, ScoreSet]:
    buckets: dict[str, list[QueryRecord]] = defaultdict(list)
    for record in records:
        buckets[getattr(record, key)].append(record)
    return {group: score_set(buckets[group], judged) for group in sorted(buckets)}


def top_templates(run: FuzzRun, limit: int = 5) -> list[TemplateSummary]:
    by_mutant: dict[str, list[QueryRecord]] = defaultdict(list)
    for record in run.records:
        by_mutant[record.mutant_id].append(record)
    summaries = []
    for mutant_id, records in by_mutant.items():
        wins = [r for r in records if r.loose or r.strict]
        example = wins[0] if wins else records[0]
        summaries.append(TemplateSummary(
            mutant_id=mutant_id, seed_template=records[0].template_id.split(">")[0], misleading=records[0].misleading,
            queries=len(records), loose_successes=sum(bool(r.loose) for r in records),
            strict_successes=sum(r.strict for r in records), text=run.mutants[mutant_id],
            example_prompt=example.prompt, example_response=example.response))
    summaries.sort(key=lambda s: (-(s.loose_successes + s.strict_successes), -s.queries, s.mutant_id))
    return summaries[:limit]


def score_run(run: FuzzRun, judged: bool) -> ICEResult:
    records = run.records
    both = [r for r in records if r.loose is not None]
    agreement = proportion(sum(r.loose == r.strict for r in both), len(both)) if judged and both else None
    return ICEResult(
        family=run.family, budget=run.config.budget, queries=len(records), overall=score_set(records, judged),
        by_category=_grouped(records, "category", judged), by_language=_grouped(records, "language", judged),
        misleading_queries=sum(r.misleading for r in records),
        unjudged=sum(r.loose is None for r in records) if judged else len(records),
        judge_extractor_agreement=agreement, top_templates=top_templates(run),
        helper_failures=run.helper_failures, placeholder_repairs=run.placeholder_repairs,
        pool_size=len(run.nodes), seed_templates=sum(n.parent is None for n in run.nodes),
    )
