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
    """Both models' `sampling.n` answers per prompt, paired by (prompt, sample index).

    Pairs either model failed on are dropped and counted.
    """
    from distillscope.indist.evaluate import Paired
    from distillscope.runner.runner import answer_samples

    return Paired.from_answers(prompts, answer_samples(runner, teacher, prompts, sampling),
                               answer_samples(runner, student, prompts, sampling))


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
    samples: Annotated[int, typer.Option("--samples", min=1, help="answers per prompt per model (use with --temperature > 0); "
                                         "paired by (prompt, sample index)")] = 1,
    mmd_design: Annotated[str, typer.Option("--mmd-design", help="paired (swap the two answers within each prompt) or split "
                                            "(each prompt answered by one model only)")] = "paired",
    mmd_permutations: Annotated[int, typer.Option("--mmd-permutations", min=19, help="permutations of the MMD test")] = 1000,
    encoder_epochs: Annotated[int, typer.Option(min=1, help="fine-tuning epochs of the encoder adversary")] = 3,
    suite: Annotated[Optional[Path], typer.Option("--suite", help="a JSONL/CSV suite; default: the packaged one")] = None,
    seed: int = 0,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("indist_results.json"),
    store: StoreOption = None,
    progress: bool = True,
    sequential: Annotated[bool, typer.Option("--sequential", help="anytime-valid test by betting: ask k prompts at a time, "
                                             "stop when distinguishable or the budget is spent (docs/sequential.md)")] = False,
    alpha: Annotated[Optional[float], typer.Option(min=0.0001, max=0.5, help="sequential: level; rejects when wealth "
                                                   "reaches 1/alpha (default 0.05)")] = None,
    max_queries: Annotated[Optional[int], typer.Option("--max-queries", min=1, help="sequential: prompts asked of each model "
                                                       "at most (default 200)")] = None,
    batch: Annotated[Optional[int], typer.Option("--batch", min=1, help="sequential: prompts asked of both models between "
                                                 "updates (default 10)")] = None,
    prices: Annotated[Optional[Path], typer.Option("--prices", help="YAML price table: 'provider/model: {input: USD, output: USD}' "
                                                    "per 1M tokens; local models cost 0")] = None,
    max_cost: Annotated[Optional[float], typer.Option("--max-cost", min=0.0, help="USD; stop before spending more (needs --prices "
                                                       "for API models)")] = None,
) -> None:
    """Bounded indistinguishability: adversaries' advantage with CIs, q-curves, per category, and the (ε, q, t, A) table."""
    from rich.console import Console

    from distillscope.errors import UserError
    from distillscope.indist.evaluate import evaluate_indistinguishability
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_suite
    from distillscope.results import envelope, write_results
    from distillscope.runner.cost import CostMeter, PriceTable
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    given = {"alpha": alpha, "max_queries": max_queries, "batch": batch}
    if not sequential and any(v is not None for v in given.values()):
        raise UserError("--alpha, --max-queries and --batch only apply to the sequential test", "add --sequential or leave them out")
    meter = CostMeter(PriceTable.load(prices) if prices else None, max_cost)
    models = [load_model(teacher), load_model(student)]
    meter.require_prices([m.identity for m in models] + ([load_model(judge).identity] if judge and not sequential else []))
    if sequential:
        from distillscope.cli.sequential_run import execute_sequential
        from distillscope.indist.sequential import SequentialSettings

        settings = SequentialSettings(**{k: v for k, v in given.items() if v is not None})
        runner = Runner(ResponseStore(store), show_progress=False, cost=meter)
        embedder = _embedder(runner.store.path) if "embed" in settings.features else None
        execute_sequential(runner, models, load_suite(suite), SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed),
                           settings, embedder, seed, out, progress)
        typer.echo(f"results: {out}", err=True)
        return
    names = parse_adversaries(adversaries, judge)
    from distillscope.indist.mmd import DESIGNS

    if mmd_design not in DESIGNS:
        raise UserError(f"unknown MMD design '{mmd_design}'", f"choose from {', '.join(DESIGNS)}")
    judge_model = load_model(judge) if "judge" in names else None
    suite_obj = load_suite(suite)
    sampling = SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed, n=samples)
    response_store = ResponseStore(store)
    runner = Runner(response_store, show_progress=progress, cost=meter)
    train_prompts, test_prompts = suite_obj.sample(n_train, split="train", seed=seed), suite_obj.sample(n, split="test", seed=seed)
    train, train_missing = _paired(runner, *models, train_prompts, sampling)
    test, test_missing = _paired(runner, *models, test_prompts, sampling)
    console = Console(stderr=True)
    embedder = _embedder(response_store.path) if {"embed", "mmd"} & set(names) else None
    result = evaluate_indistinguishability(
        train, test, names, embedder=embedder, runner=runner, judge=judge_model, seed=seed,
        encoder_options={"epochs": encoder_epochs, "seed": seed}, on_stage=lambda s: console.log(s) if progress else None,
        mmd_design=mmd_design, mmd_permutations=mmd_permutations)
    print_indist(Console(), result, models[0].identity, models[1].identity)
    data = envelope("indist", suite=suite_obj, prompts={"train": {"n": train.n_prompts, "pairs": len(train.prompts),
                                                                  "missing": train_missing},
                                                        "test": {"n": test.n_prompts, "pairs": len(test.prompts),
                                                                 "missing": test_missing,
                                                                 "ids": list(dict.fromkeys(test.clusters))}},
                    models={"teacher": models[0].identity, "student": models[1].identity,
                            "judge": judge_model.identity if judge_model else None},
                    sampling=sampling.model_dump(), seed=seed, adversaries=names, results=result.model_dump(),
                    cost=meter.summary())
    from distillscope.runner.cost import cost_table

    Console().print(cost_table(meter.summary()))
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
        from distillscope.cli.tables import category_cell

        by_category = Table(title="advantage per category: mean [95% CI] n (fewer than 10 prompts: too few)")
        by_category.add_column("category")
        for name in per_category:
            by_category.add_column(name, justify="right")
        for category in categories:
            by_category.add_row(category, *[category_cell(groups.get(category)) for groups in per_category.values()])
        console.print(by_category)
    if result.judge:
        j = result.judge
        console.print(f"pairwise judge {j.judge}: order-consistent on {j.consistent}/{j.pairs} pairs "
                      f"(coverage {j.coverage.fmt()}); advantage on those {j.advantage.fmt()}; unreadable verdicts {j.unreadable}")
    if result.mmd:
        m = result.mmd
        power = ", ".join(f"m={size}: {e.mean:.2f}" for size, e in m.power.items())
        console.print(f"MMD two-sample test ({m.test.design} design): MMD² {m.test.mmd2:.4f}, permutation p = {m.test.p_value:.4f} "
                      f"({m.test.permutations} permutations); power at alpha 0.05: {power}")
    level = f"{result.simultaneous_confidence:.2%}" if result.simultaneous_confidence else "simultaneous"
    epsilon = Table(title="(ε, q, t, A): upper 95% bound of |Adv| per adversary; class: the largest bound at the "
                          f"Bonferroni level {level} (an estimate for the adversaries tried, not a proof)")
    qs = sorted({row.q for row in result.epsilon_table})
    epsilon.add_column("A")
    epsilon.add_column("t (s)", justify="right")
    for q in qs:
        epsilon.add_column(f"q={q}", justify="right")
    notes = []
    for name in dict.fromkeys(row.adversary for row in result.epsilon_table):
        rows = {row.q: row for row in result.epsilon_table if row.adversary == name}
        seconds = max(row.t_seconds for row in rows.values())
        label = "class (max)" if name == "class" else name
        epsilon.add_row(label, f"{seconds:.1f}", *[("-" if q not in rows else f"{rows[q].epsilon:.3f}" if rows[q].epsilon is not None
                                                    else "n/a") for q in qs])
        notes += [f"{name} q={q}: {row.status}" for q, row in rows.items() if row.status and (name != "class" or q == 1)]
    console.print(epsilon)
    if result.selected:
        notes.insert(0, f"class: the adversary picked on the train split (cross-fitted) is {result.selected}")
    for note in notes:
        console.print(f"  {note}")
