"""`distillscope attribute --student S --candidate T ...`: collect the answers, compute the signals, decide.

Every answer comes through the runner, so it is stored and a second run (or
the zoo evaluation after it) generates nothing; embeddings and likelihoods are
cached in the same SQLite file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from distillscope.attribution.result import AttributionResult
from distillscope.errors import UserError


def make_embedder(store_path: Path):  # noqa: ANN201 - replaced by a hashing embedder in tests
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


def build_bank(runner, table, candidates: dict[str, str], families: dict[str, str | None], signals: Sequence[str], seed: int = 0):  # noqa: ANN001, ANN201
    from distillscope.attribution.signals import SignalBank

    needs_embedder = {"similarity", "embed", "mmd"} & set(signals)
    embedder = make_embedder(runner.store.path) if needs_embedder else None
    likelihood = None
    if "likelihood" in signals:
        from distillscope.attribution.likelihood import scorer_factory

        likelihood = scorer_factory(candidates, runner.store.path)
    return SignalBank(table, embedder, families, likelihood=likelihood, seed=seed)


def attribute_student(  # noqa: ANN001 - prompts, sampling and runner are the runner's own types
    student: str,
    candidates: Sequence[str],
    base: str | None,
    prompts,
    sampling,
    runner,
    family_overrides: dict[str, str],
    signals: Sequence[str],
    calibration_path: Path | None,
    seed: int = 0,
    alpha: float = 0.05,
    looks: int = 1,
) -> AttributionResult:
    from distillscope.attribution.answers import collect_answers
    from distillscope.attribution.attribute import attribute
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
    return attribute(
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


def run_student(
    student: str | None,
    candidates: Sequence[str],
    base: str | None,
    prompts_path: Path | None,
    n: int,
    max_tokens: int,
    seed: int,
    families: dict[str, str],
    signals: Sequence[str],
    calibration: Path | None,
    store: Path | None,
    progress: bool,
    alpha: float = 0.05,
    looks: int = 1,
) -> AttributionResult:
    """The command's single-student form: the test prompts, a runner over the store, the attribution.

    With `looks` > 1 the test is group-sequential: the prompts are asked in `looks` growing prefixes, each look tested
    at alpha / looks (Bonferroni over the looks, valid whichever look stops), and the run stops at the first look whose
    test names a candidate; only the new prompts of a look are generated (the rest come from the store)."""
    from distillscope.probes.loader import load_prompts
    from distillscope.probes.suite import load_suite
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    if not student:
        raise UserError("no --student given", "pass --student SPEC (or --zoo DIR to evaluate a zoo)")
    prompts = load_prompts(prompts_path) if prompts_path else load_suite(None).sample(n, split="test", seed=seed)
    sampling = SamplingParams(max_tokens=max_tokens, seed=seed)
    sizes = sequential_sizes(len(prompts), looks)
    with Runner(ResponseStore(store), show_progress=progress) as runner:
        for k, size in enumerate(sizes, start=1):
            result = attribute_student(
                student, candidates, base, prompts[:size], sampling, runner, families, signals, calibration, seed, alpha, len(sizes)
            )
            if len(sizes) > 1:
                stop = result.outcome == "candidate" or k == len(sizes)
                result.notes.append(
                    f"sequential: look {k} of {len(sizes)} at {size} prompts, each look at alpha/{len(sizes)}"
                    + ("; stopped" if stop and k < len(sizes) else "")
                )
                if stop:
                    break
        return result


def sequential_sizes(n: int, looks: int) -> list[int]:
    """The prompt counts of the looks: `looks` evenly growing prefixes of the n prompts (the last is all of them)."""
    if looks < 1:
        raise UserError(f"--looks {looks}", "pass --looks 1 (one test) or more")
    sizes = sorted({max(1, round(n * k / looks)) for k in range(1, looks + 1)})
    return sizes


def run_zoo(
    zoo: Path,
    signals: list[str],
    families: dict[str, str],
    store: Path | None,
    progress: bool,
    seed: int,
    single_student_options: Sequence[object] = (),
    alpha: float = 0.05,
):  # noqa: ANN201 - result.ZooAttribution
    """The command's --zoo form: the zoo's own students and candidates, through the zoo's store (or --store)."""
    from distillscope.attribution.zoo_eval import evaluate_zoo
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    if any(single_student_options):
        raise UserError(
            "--zoo evaluates the zoo's own students and candidates", "leave out --student, --candidate, --base and --calibration with --zoo"
        )
    return evaluate_zoo(
        zoo,
        signals,
        lambda path: Runner(ResponseStore(store or path), show_progress=progress),
        seed,
        family_overrides=families,
        alpha=alpha,
    )
