"""`distillscope rse` and `distillscope similarity`: reference vs students over a probe sample."""

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
    return suite, prompts, sampling, runner, [m.identity for m in models], texts


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
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("rse_results.json"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """RSE: an LLM judge scores style, structure and content similarity (1-5) of each student to the reference."""
    from rich.console import Console

    from distillscope.cli.tables import estimate_table
    from distillscope.indist.evaluate import Paired
    from distillscope.metrics.rse import ASPECTS, evaluate_rse
    from distillscope.models.registry import load_model
    from distillscope.results import envelope, write_results

    judge_model = load_model(judge)
    suite_obj, prompts, sampling, runner, specs, texts = _prepare(reference, student, n, split, seed, suite, max_tokens, store, progress)
    console = Console()
    per_student = {}
    for spec in specs[1:]:
        pair, missing = Paired.from_answers(prompts, texts[specs[0]], texts[spec])  # unanswered prompts are counted, not scored
        result = evaluate_rse(runner, judge_model, pair.prompts, pair.teacher, pair.student, template=template, swap_n=swap_n, seed=seed)
        per_student[spec] = {"missing_responses": missing, **result.model_dump()}
        rows = {"RSE (mean of aspects)": result.rse, **{f"aspect: {a}": result.aspects[a] for a in ASPECTS},
                **{f"category: {c}": e for c, e in result.by_category.items()}}
        console.print(estimate_table(f"RSE of {spec} vs {specs[0]} (judge {judge_model.identity})", rows))
        swap = result.swap_control
        console.print(f"scored {result.n_scored}/{result.n_pairs} pairs; parse failures {result.parse_failures} "
                      f"(re-asked {result.reasked}); missing answers {missing}; position-bias control: "
                      f"swapped minus original = {_fmt(swap.get('mean_difference'))} over {swap.get('n_scored', 0)} pairs")
    data = envelope("rse", suite=suite_obj, prompts={"split": split, "n": len(prompts), "ids": [p.id for p in prompts]},
                    models={"reference": specs[0], "students": specs[1:], "judge": judge_model.identity},
                    sampling=sampling.model_dump(), seed=seed, template=template, results=per_student)
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
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("similarity_results.json"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """Embedding cosine (all-MiniLM-L6-v2), ROUGE-L F1 and chrF of each student to the reference."""
    from rich.console import Console

    from distillscope.cli.tables import estimate_table
    from distillscope.indist.evaluate import Paired
    from distillscope.metrics.embeddings import EmbeddingCache, Embedder
    from distillscope.metrics.similarity import METRICS, evaluate_similarity
    from distillscope.results import envelope, write_results

    suite_obj, prompts, sampling, runner, specs, texts = _prepare(reference, student, n, split, seed, suite, max_tokens, store, progress)
    embedder = Embedder(cache=EmbeddingCache(runner.store.path))
    console = Console()
    per_student = {}
    for spec in specs[1:]:
        pair, missing = Paired.from_answers(prompts, texts[specs[0]], texts[spec])
        result = evaluate_similarity(embedder, pair.prompts, pair.teacher, pair.student, seed=seed)
        per_student[spec] = {"missing_responses": missing, **result.model_dump()}
        rows = {m: result.overall[m] for m in METRICS}
        rows.update({f"{c}: cosine": e["cosine"] for c, e in result.by_category.items()})
        console.print(estimate_table(f"similarity of {spec} to {specs[0]} ({result.n_pairs} pairs)", rows))
    data = envelope("similarity", suite=suite_obj, prompts={"split": split, "n": len(prompts), "ids": [p.id for p in prompts]},
                    models={"reference": specs[0], "students": specs[1:]}, sampling=sampling.model_dump(), seed=seed,
                    embedder=embedder.name, results=per_student)
    write_results(out, data)
    typer.echo(f"results: {out}", err=True)


def _fmt(estimate: dict | None) -> str:
    from distillscope.metrics.stats import Estimate

    return Estimate(**estimate).fmt() if estimate else "n/a"
