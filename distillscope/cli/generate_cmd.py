"""`distillscope generate`: prompts in, stored answers out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

StoreOption = Annotated[
    Optional[Path], typer.Option("--store", help="response store (SQLite); default $DISTILLSCOPE_STORE or the user data dir")
]


def generate(
    model: Annotated[str, typer.Option("--model", "-m", help="model spec (provider/name?opt=val) or a role of --config")],
    prompts: Annotated[Path, typer.Option("--prompts", "-p", help="prompts file, JSONL or CSV with a 'text' column")],
    n: Annotated[int, typer.Option("--n", min=1, help="samples per prompt")] = 1,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0, help="0 = greedy")] = 0.0,
    top_p: Annotated[float, typer.Option(min=0.0, max=1.0)] = 1.0,
    max_tokens: Annotated[int, typer.Option(min=1)] = 256,
    seed: int = 0,
    limit: Annotated[Optional[int], typer.Option(min=1, help="only the first N prompts")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="write the answers as JSONL here")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML config naming roles; --model may then be a role")] = None,
    store: StoreOption = None,
    progress: Annotated[bool, typer.Option(help="show the progress bar")] = True,
) -> int:
    """Ask MODEL every prompt (N samples each), reusing every stored answer."""
    from distillscope.probes.loader import load_prompts
    from distillscope.types import SamplingParams

    from distillscope.models.registry import load_model

    spec, store_path = _resolve_model(model, config, store)
    backend = load_model(spec)  # an unknown provider fails before the prompts are read
    loaded = load_prompts(prompts)[:limit]
    sampling = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed, n=n)
    results = run_generation([backend], loaded, sampling, store_path, progress)
    if out:
        write_answers_jsonl(out, loaded, results[0])
        typer.echo(f"wrote {sum(r is not None for r in results[0].responses)} answers to {out}", err=True)
    return _exit_code(results)


def run_generation(models, prompts, sampling, store_path, progress):  # noqa: ANN001, ANN201
    """Run every model over the prompts through one store and print the summary."""
    from rich.console import Console
    from distillscope.runner.progress import summary_table
    from distillscope.runner.runner import Job, Runner, requests_for
    from distillscope.runner.store import ResponseStore

    requests = requests_for(prompts, sampling)
    with ResponseStore(store_path) as response_store:
        runner = Runner(response_store, show_progress=progress)
        # Models share two cores badly, so local jobs run one after another.
        results = [runner.run(model, requests) for model in models]
        console = Console(stderr=True)
        console.print(summary_table([r.counts for r in results]))
        console.print(f"store: {response_store.path}")
    return results


def write_answers_jsonl(path: Path, prompts, result) -> None:  # noqa: ANN001
    by_id = {p.id: p for p in prompts}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for response in result.responses:
            if response is None:
                continue
            prompt = by_id[response.prompt_id]
            record = {
                "prompt_id": response.prompt_id,
                "category": prompt.category,
                "prompt": prompt.text,
                **response.model_dump(exclude={"key", "prompt_id"}),
                "response": response.text,
            }
            record.pop("text")
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _resolve_model(model: str, config: Path | None, store: Path | None):  # noqa: ANN202
    from distillscope.config import load_config
    from distillscope.models.spec import ModelSpec

    if config is None:
        return ModelSpec.parse(model), store
    roles = load_config(config)
    spec = ModelSpec.parse(model) if "/" in model else roles.role(model)
    return spec, store or (Path(roles.store) if roles.store else None)


def _exit_code(results) -> int:  # noqa: ANN001
    failed = sum(r.counts.failed for r in results)
    if failed:
        typer.echo(
            f"{failed} request(s) failed; they are listed by `distillscope store stats` and never cached. "
            "Re-run the same command to retry only those.",
            err=True,
        )
        return 1
    return 0

