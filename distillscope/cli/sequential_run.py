"""`distillscope indist --sequential`: the betting test through the runner, its terminal output and results file."""

from __future__ import annotations

from pathlib import Path


def execute_sequential(runner, models, suite, sampling, settings, embedder, seed: int, out: Path, progress: bool) -> dict:  # noqa: ANN001
    """Run the sequential test on the suite's test split in stratified random order, print it, write the results."""
    from rich.console import Console

    from distillscope.indist.sequential import featurizer, run_sequential, stratified_order
    from distillscope.results import envelope, write_results

    console = Console(stderr=True)
    prompts = stratified_order(suite.split("test"), seed)

    def on_batch(point) -> None:  # noqa: ANN001
        if progress:
            console.log(f"{point.queries} prompts asked, {point.pairs} pairs: wealth {point.wealth:.3g} "
                        f"(reject at {1 / settings.alpha:g}), advantage in [{point.advantage_low:.2f}, {point.advantage_high:.2f}]")

    result = run_sequential(runner, *models, prompts, sampling, featurizer(settings.features, embedder), settings, on_batch)
    cost = runner.cost.summary()
    print_sequential(Console(), result, models[0].identity, models[1].identity, cost)
    data = envelope("indist-sequential", suite=suite, prompts={"order": "stratified random, test split", "asked": len(result.prompt_ids),
                                                               "ids": result.prompt_ids},
                    models={"teacher": models[0].identity, "student": models[1].identity},
                    sampling=sampling.model_dump(), seed=seed, results=result.model_dump(), cost=cost)
    write_results(out, data)
    return data


def print_sequential(console, result, teacher: str, student: str, cost: dict) -> None:  # noqa: ANN001
    from rich.markup import escape

    from distillscope.runner.cost import cost_table

    ci = result.advantage
    verdict = (f"[bold]{result.decision}[/bold] at α = {result.alpha:g}: e-value {result.e_value:.3g} "
               f"(largest {result.max_e_value:.3g}; the test rejects at {1 / result.alpha:g})")
    console.print(f"sequential test, {escape(student)} vs {escape(teacher)}: {verdict}", highlight=False)
    console.print(f"stopped by {result.stopped_by} after {result.pairs} pairs; queries per model: "
                  + ", ".join(f"{escape(m)} {n}" for m, n in result.queries.items())
                  + (f"; {result.dropped} prompts dropped (a model failed)" if result.dropped else ""), highlight=False)
    if result.stop_message:
        console.print(escape(result.stop_message), highlight=False)
    if ci.mean is not None:
        console.print(f"advantage at q=1 (online logistic adversary), anytime-valid {1 - ci.alpha:.0%} confidence sequence at the stop: "
                      f"{ci.mean:.3f} [{ci.low:.3f}, {ci.high:.3f}] over {ci.n} pairs", highlight=False)
    if result.decision != "distinguishable":
        console.print("not shown distinguishable at this budget: this is not evidence that the models are the same; "
                      "a larger budget or a stronger witness may still tell them apart", highlight=False)
    console.print(cost_table(cost))
