"""The paper's strict judge: an LLM re-reads the loose-positive answers and says whether each claims a strict family.

Lee et al. (2025) score strict by asking an LLM, for every answer the loose
conflict judge flagged, whether the text implies "I was developed by OpenAI /
Anthropic" or "I am a ChatGPT / Claude series model" (also a ChatGPT model not
by OpenAI, or an OpenAI model outside ChatGPT). The judge sees the answer
alone, so a claim counts in whatever persona it is spoken. This module runs
that second stage through the runner (stored, resumable), reads the verdict
only from one `<judge>0|1</judge>` tag (anything else, or two differing tags,
is a parse failure, re-asked once and then reported), and compares it with the
deterministic extractor: confusion matrix and Cohen's kappa.

Verdicts are read from the text; a logprob verdict (P(1) at the tag position)
is not implemented yet.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from distillscope.ice.facts import FactLibrary
from distillscope.judges.parsing import ScoreParseError

if TYPE_CHECKING:
    from distillscope.ice.facts import FactSet
    from distillscope.ice.fuzzer import FuzzRun
    from distillscope.models.base import Model
    from distillscope.protocols import AnswerRunner

StrictMode = Literal["extractor", "judge", "both"]
STRICT_MODES: tuple[str, ...] = ("extractor", "judge", "both")
PAPER_FAMILIES: tuple[str, ...] = ("openai", "anthropic")
_TAG = re.compile(r"<judge>(.*?)</judge>", re.IGNORECASE | re.DOTALL)


def parse_strict(text: str) -> bool:
    """The verdict of `<judge>1</judge>` / `<judge>0</judge>`; no tag, another value or two differing tags fail."""
    values = {value.strip().strip("*` ") for value in _TAG.findall(text or "")}
    if not values:
        raise ScoreParseError("no <judge>0/1</judge> verdict in the strict judge's answer")
    if len(values) > 1 or not values <= {"0", "1"}:
        raise ScoreParseError(f"ambiguous strict verdict: {sorted(values)}")
    return values == {"1"}


def check_strict_options(families: str | list[str] | None, mode: str, judge: object, library: FactLibrary) -> list[str] | None:
    """Validated strict families (None: any other family) and mode; one-line errors name the fix."""
    from distillscope.errors import UserError

    if mode not in STRICT_MODES:
        raise UserError(
            f"strict judge must be one of {', '.join(STRICT_MODES)}, not '{mode}'", "use --strict-judge extractor, judge or both"
        )
    if mode != "extractor" and not judge:
        raise UserError(f"--strict-judge {mode} needs an LLM judge", "pass --judge SPEC, or use --strict-judge extractor")
    if isinstance(families, str):
        families = None if families.strip().lower() in ("any", "all", "") else [f.strip().lower() for f in families.split(",") if f.strip()]
    unknown = [f for f in families or [] if f not in library.families]
    if unknown:
        raise UserError(
            f"unknown family in --strict-families: {', '.join(unknown)}", f"use ids from: {', '.join(sorted(library.families))}, or 'any'"
        )
    return families


class FamilyDescription(BaseModel):
    family: str
    series: list[str]
    developer: list[str]


def describe_families(families: list[str], library: FactLibrary) -> list[FamilyDescription]:
    """Names the judge is told to look for: a family's series names and its developer's names."""
    described = []
    for family in families:
        fact_set = library.get(family)
        developer_names = library.developers.get(fact_set.developer)
        described.append(
            FamilyDescription(
                family=family,
                series=fact_set.names.en[:3] or [family],
                developer=(developer_names.en[:1] if developer_names and developer_names.en else [fact_set.developer]),
            )
        )
    return described


def strict_prompt(response: str, families: list[FamilyDescription]) -> str:
    from distillscope.judges.templates import load_template

    return load_template("ice_strict").render(families=families, response=response)


class StrictVerdict(BaseModel):
    position: int  # index of the answer in the list given
    verdict: bool | None  # None: not judged (no answer) or unreadable after one re-ask
    raw: str | None = None
    error: str | None = None


def judge_strict(
    runner: AnswerRunner[Model], judge: Model, responses: list[str | None], families: list[str], library: FactLibrary
) -> list[StrictVerdict]:
    """One strict verdict per answer (None answers are skipped and get verdict None)."""
    from distillscope.judges.judge import item_id, run_judge

    described = describe_families(families, library)
    items, positions = [], []
    for position, response in enumerate(responses):
        if response is None:
            continue
        prompt = strict_prompt(response, described)
        items.append((item_id("ice-strict", ",".join(families), prompt), prompt))
        positions.append(position)
    verdicts = [StrictVerdict(position=p, verdict=None, error="no answer to judge") for p in range(len(responses))]
    for position, outcome in zip(positions, run_judge(runner, judge, items, parse_strict, "<judge>0</judge>")):
        verdicts[position] = StrictVerdict(
            position=position, verdict=outcome.parsed if outcome.ok else None, raw=(outcome.raw or "")[:500], error=outcome.error
        )
    return verdicts


class Agreement(BaseModel):
    """Extractor against LLM strict judge over the answers both rated."""

    n: int
    both: int
    judge_only: int
    extractor_only: int
    neither: int
    kappa: float | None  # None when one rater never varies and kappa is undefined
    judge_failures: int


def agreement(extractor: list[bool], judge: list[bool | None]) -> Agreement:
    """Confusion matrix and Cohen's kappa; answers the judge could not rate are counted apart."""
    pairs = [(e, j) for e, j in zip(extractor, judge) if j is not None]
    n = len(pairs)
    both = sum(e and j for e, j in pairs)
    judge_only = sum(j and not e for e, j in pairs)
    extractor_only = sum(e and not j for e, j in pairs)
    neither = n - both - judge_only - extractor_only
    kappa = None
    if n:
        observed = (both + neither) / n
        p_e, p_j = (both + extractor_only) / n, (both + judge_only) / n
        expected = p_e * p_j + (1 - p_e) * (1 - p_j)
        kappa = None if expected == 1 else (observed - expected) / (1 - expected)
    return Agreement(
        n=n,
        both=both,
        judge_only=judge_only,
        extractor_only=extractor_only,
        neither=neither,
        kappa=kappa,
        judge_failures=sum(j is None for j in judge),
    )


class StrictStage(BaseModel):
    mode: StrictMode
    families: list[str]  # the families whose claims counted for strict
    judged: int  # answers the LLM strict judge saw (loose positives, or all answers without a loose judge)
    judge_positive: int
    agreement: Agreement
    failures: list[dict]  # position, raw answer of the judge, error


def apply_strict_judge(
    run: FuzzRun,
    runner: AnswerRunner[Model],
    judge: Model | None,
    fact_set: FactSet,
    library: FactLibrary,
    families: list[str] | None,
    mode: StrictMode,
) -> StrictStage | None:
    """Second stage over a finished fuzzing run (METHODS.md section 3, as in the paper).

    `judge` mode: a record is strict when the LLM strict judge says so (only loose-positive answers are
    judged when a loose judge ran, as in the paper; unreadable verdicts count as not strict and are
    listed). `both`: the extractor's strict stays the score, the judge's verdicts and the agreement are
    reported. `extractor`: nothing runs. Changes `run.records[i].strict` in place in `judge` mode.
    """
    if mode == "extractor":
        return None
    own = library.own_developer_families(fact_set.developer) | {fact_set.family}
    counted = [f for f in (families or sorted(library.families)) if f not in own and f in library.families]
    loose_ran = any(r.loose is not None for r in run.records)
    chosen = [i for i, r in enumerate(run.records) if r.response is not None and (r.loose or not loose_ran)]
    verdicts: list[StrictVerdict] = []
    if counted:
        if judge is None:  # `check_strict_options` refuses a judge mode without a judge
            raise ValueError(f"the strict judge's '{mode}' mode needs a judge model")
        verdicts = judge_strict(runner, judge, [run.records[i].response for i in chosen], counted, library)
    by_record: dict[int, bool | None] = {i: v.verdict for i, v in zip(chosen, verdicts)}
    extractor = [r.strict for r in run.records]
    judged = [by_record.get(i, False if loose_ran else None) for i in range(len(run.records))]
    stage = StrictStage(
        mode=mode,
        families=counted,
        judged=len(chosen),
        judge_positive=sum(bool(v.verdict) for v in verdicts),
        agreement=agreement(extractor, judged),
        failures=[{"record": chosen[k], "raw": v.raw, "error": v.error} for k, v in enumerate(verdicts) if v.verdict is None],
    )
    if mode == "judge":
        for index, record in enumerate(run.records):
            record.strict = bool(by_record.get(index))
    return stage
