"""`distillscope indist`: how well can each class of adversary tell the student from the teacher?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.generate_cmd import StoreOption


def _embedder(store_path):  # noqa: ANN001, ANN202 - replaced by a hashing embedder in tests
    from distillscope.metrics.embeddings import EmbeddingCache, Embedder

    return Embedder(cache=EmbeddingCache(store_path))


def _paired(runner, teacher, student, prompts, sampling):  # noqa: ANN001, ANN202
    """Both models' answers (generated where missing); prompts either model failed on are dropped and counted."""
    from distillscope.indist.evaluate import Paired
    from distillscope.runner.runner import answer_texts

    return Paired.from_answers(prompts, answer_texts(runner, teacher, prompts, sampling), answer_texts(runner, student, prompts, sampling))


def parse_adversaries(value: str, judge: str | None) -> list[str]:
    from distillscope.errors import UserError
    from distillscope.indist.evaluate import ADVERSARIES

    names = [a.strip() for a in value.split(",") if a.strip()]
    unknown = [a for a in names if a not in ADVERSARIES]
    if unknown or not names:
        raise UserError(f"unknown adversary '{', '.join(unknown) or value}'", f"choose from {','.join(ADVERSARIES)}")
    if "judge" in names and not judge:
        raise UserError("the judge adversary needs a model", "pass --judge SPEC (a family other than teacher and student)")
    return names


def indist(
    teacher: Annotated[str, typer.Option("--teacher", "-t", help="the teacher (reference) model spec")],
    student: Annotated[str, typer.Option("--student", "-s", help="the student model spec")],
    adversaries: Annotated[str, typer.Option(help="comma-separated: style,embed,encoder,judge,mmd")] = "style,embed,encoder,mmd",
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="pairwise judge, of a third family")] = None,
    n: Annotated[int, typer.Option("--n", min=2, help="test prompts (stratified sample of the test split)")] = 200,
    n_train: Annotated[int, typer.Option("--n-train", min=2, help="train prompts for the learned adversaries")] = 400,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1)] = 256,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0, help="sampling temperature of both models (0 = greedy)")] = 0.0,
    encoder_epochs: Annotated[int, typer.Option(min=1, help="fine-tuning epochs of the encoder adversary")] = 3,
    suite: Annotated[Optional[Path], typer.Option("--suite", help="a JSONL/CSV suite; default: the packaged one")] = None,
    seed: int = 0,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("indist_results.json"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """Bounded indistinguishability: adversaries' advantage with CIs, q-curves, per category, and the (ε, q, t, A) table."""
    from rich.console import Console

    from distillscope.indist.evaluate import evaluate_indistinguishability
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_suite
    from distillscope.results import envelope, write_results
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    names = parse_adversaries(adversaries, judge)
    models = [load_model(teacher), load_model(student)]
    judge_model = load_model(judge) if "judge" in names else None
    suite_obj = load_suite(suite)
    sampling = SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed)
    response_store = ResponseStore(store)
    runner = Runner(response_store, show_progress=progress)
    train_prompts, test_prompts = suite_obj.sample(n_train, split="train", seed=seed), suite_obj.sample(n, split="test", seed=seed)
    train, train_missing = _paired(runner, *models, train_prompts, sampling)
    test, test_missing = _paired(runner, *models, test_prompts, sampling)
    console = Console(stderr=True)
    embedder = _embedder(response_store.path) if {"embed", "mmd"} & set(names) else None
    result = evaluate_indistinguishability(
        train, test, names, embedder=embedder, runner=runner, judge=judge_model, seed=seed,
        encoder_options={"epochs": encoder_epochs, "seed": seed}, on_stage=lambda s: console.log(s) if progress else None)
    print_indist(Console(), result, models[0].identity, models[1].identity)
    data = envelope("indist", suite=suite_obj, prompts={"train": {"n": len(train.prompts), "missing": train_missing},
                                                        "test": {"n": len(test.prompts), "missing": test_missing,
                                                                 "ids": [p.id for p in test.prompts]}},
                    models={"teacher": models[0].identity, "student": models[1].identity,
                            "judge": judge_model.identity if judge_model else None},
                    sampling=sampling.model_dump(), seed=seed, adversaries=names, results=result.model_dump())
    write_results(out, data)
    typer.echo(f"results: {out}", err=True)


def print_indist(console, result, teacher: str, student: str) -> None:  # noqa: ANN001
    from rich.table import Table

    table = Table(title=f"advantage of adversaries telling {student} from {teacher} "
                        f"({result.n_train} train / {result.n_test} test prompts)")
    for column in ("adversary", "advantage [95% CI]", "t (s)"):
        table.add_column(column, justify="left" if column == "adversary" else "right")
    per_category = {r.name: r.by_category for r in result.learned.values()}
    for r in result.learned.values():
        table.add_row(r.name, r.advantage.fmt(), f"{r.train_seconds + r.inference_seconds:.1f}")
    if result.judge:
        table.add_row("judge (all pairs)", result.judge.advantage_all_pairs.fmt(), f"{result.judge.seconds:.1f}")
        per_category["judge"] = result.judge.by_category
    console.print(table)
    categories = sorted({c for groups in per_category.values() for c in groups})
    if categories:  # categories as rows, so a narrow terminal still shows every number
        by_category = Table(title="advantage per category")
        by_category.add_column("category")
        for name in per_category:
            by_category.add_column(name, justify="right")
        for category in categories:
            by_category.add_row(category, *[f"{groups[category].mean:.2f}" if category in groups else "-"
                                            for groups in per_category.values()])
        console.print(by_category)
    if result.judge:
        j = result.judge
        console.print(f"pairwise judge {j.judge}: order-consistent on {j.consistent}/{j.pairs} pairs "
                      f"(coverage {j.coverage.fmt()}); advantage on those {j.advantage.fmt()}; unreadable verdicts {j.unreadable}")
    if result.mmd:
        m = result.mmd
        power = ", ".join(f"m={size}: {e.mean:.2f}" for size, e in m.power.items())
        console.print(f"MMD two-sample test: MMD² {m.test.mmd2:.4f}, permutation p = {m.test.p_value:.4f} "
                      f"({m.test.permutations} permutations); power at alpha 0.05: {power}")
    epsilon = Table(title="(ε, q, t, A): upper 95% bound of the advantage, for the adversaries tried (an estimate, not a proof)")
    qs = sorted({row.q for row in result.epsilon_table})
    epsilon.add_column("A")
    epsilon.add_column("t (s)", justify="right")
    for q in qs:
        epsilon.add_column(f"q={q}", justify="right")
    for name in dict.fromkeys(row.adversary for row in result.epsilon_table):
        rows = {row.q: row for row in result.epsilon_table if row.adversary == name}
        seconds = next(iter(rows.values())).t_seconds
        epsilon.add_row(name, f"{seconds:.1f}", *[f"{rows[q].epsilon:.3f}" if q in rows and rows[q].epsilon is not None else "-"
                                                  for q in qs])
    console.print(epsilon)
