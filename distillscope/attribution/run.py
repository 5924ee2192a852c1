"""One student's attribution: collect the answers, compute the signals, decide (the command is app/attribute.py).

Every answer comes through the runner, so it is stored and a second run (or
the zoo evaluation after it) generates nothing; embeddings and likelihoods are
cached in the same SQLite file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from distillscope.attribution.result import AttributionResult
from distillscope.errors import UserError

if TYPE_CHECKING:
    from distillscope.attribution.answers import AnswerTable
    from distillscope.attribution.signals import SignalBank
    from distillscope.protocols import TextEmbedder
    from distillscope.runner.runner import Runner
    from distillscope.types import Prompt, SamplingParams


def make_embedder(store_path: Path) -> TextEmbedder:
    """The default embedders over the store's embedding cache (the tests replace this with a hashing embedder)."""
    from distillscope.metrics.embeddings import EmbeddingCache, pick_embedders

    return pick_embedders("auto", EmbeddingCache(store_path))[0]


def name_candidates(specs: Sequence[str]) -> dict[str, str]:
    """A short name per candidate spec (the model name, made unique); duplicate specs are an error."""
    if len(set(specs)) != len(specs):
        raise UserError("a --candidate is given twice", "name each candidate once")
    names: dict[str, str] = {}
    for spec in specs:
        short = re.sub(r"\.(jsonl|json|csv|gguf)$", "", Path(spec.partition("/")[2].partition("?")[0]).name) or spec
        name, k = short, 2
        while name in names:
            name, k = f"{short}-{k}", k + 1
        names[name] = spec
    return names


def build_bank(
    runner: Runner, table: AnswerTable, candidates: dict[str, str], families: dict[str, str | None], signals: Sequence[str], seed: int = 0
) -> SignalBank:
    from distillscope.attribution.signals import SignalBank

    needs_embedder = {"similarity", "embed", "mmd"} & set(signals)
    embedder = make_embedder(runner.store.path) if needs_embedder else None
    likelihood = None
    if "likelihood" in signals:
        from distillscope.attribution.likelihood import scorer_factory

        likelihood = scorer_factory(candidates, runner.store.path)
    return SignalBank(table, embedder, families, likelihood=likelihood, seed=seed)


def attribute_student(
    student: str,
    candidates: Sequence[str],
    base: str | None,
    prompts: Sequence[Prompt],
    sampling: SamplingParams,
    runner: Runner,
    family_overrides: dict[str, str],
    signals: Sequence[str],
    calibration_path: Path | None,
    seed: int = 0,
    alpha: float = 0.05,
    looks: int = 1,
) -> AttributionResult:
    from distillscope.attribution.answers import collect_answers
    from distillscope.attribution.attribute import attribute_with_evidence
    from distillscope.attribution.families import candidate_family
    from distillscope.models.registry import load_model

    if not candidates:
        raise UserError("no --candidate given", "name at least one candidate teacher with --candidate SPEC")
    named = name_candidates(candidates)
    null = None
    if calibration_path is not None:
        from distillscope.attribution.null_population import load

        if base is None:
            raise UserError("a calibration compares margins over the student's base", "pass --base SPEC with --calibration")
        null = load(calibration_path)
    models = {
        "__student__": load_model(student),
        **({"__base__": load_model(base)} if base else {}),
        **{name: load_model(spec) for name, spec in named.items()},
    }
    table = collect_answers(runner, models, prompts, sampling)
    if len(table.rows("__student__")) == 0:
        raise UserError(f"the student {student} answered none of the {len(prompts)} prompts", "check the student spec")
    families = {name: candidate_family(name, spec, family_overrides) for name, spec in named.items()}
    bank = build_bank(runner, table, named, families, signals, seed)
    result, _ = attribute_with_evidence(
        bank,
        "__student__",
        named,
        base="__base__" if base else None,
        base_spec=base,
        signals=signals,
        null=null,
        null_source=str(calibration_path) if calibration_path else None,
        student_spec=student,
        alpha=alpha,
        looks=looks,
    )
    if null is not None:
        result.notes += null.sampling_notes(sampling.max_tokens, sampling.temperature)
    return result
