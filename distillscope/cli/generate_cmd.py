"""`distillscope generate`: prompts in, stored answers out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer


def _checked_store_path(value: Optional[Path]) -> Optional[Path]:
    """--store must name a file in an existing directory: a typo must not start a new, empty store elsewhere."""
    if value is None:
        return None
    from distillscope.paths import check_parent

    return check_parent(value, "--store")  # an existing read-only store may still be inspected


StoreOption = Annotated[
    Optional[Path],
    typer.Option("--store", help="response store (SQLite); default $DISTILLSCOPE_STORE or the user data dir",
                 callback=_checked_store_path),
]


def generate(
    model: Annotated[str, typer.Option("--model", "-m", help="model spec (provider/name?opt=val) or a role of --config")],
    prompts: Annotated[Path, typer.Option("--prompts", "-p", help="prompts file, JSONL or CSV with a 'text' column")],
    n: Annotated[Optional[int], typer.Option("--n", min=1, help="samples per prompt [default: 1]")] = None,
    temperature: Annotated[Optional[float], typer.Option(min=0.0, max=2.0, help="0 = greedy [default: 0]")] = None,
    top_p: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="[default: 1]")] = None,
    max_tokens: Annotated[Optional[int], typer.Option(min=1, help="[default: 256]")] = None,
    seed: Annotated[Optional[int], typer.Option(help="[default: 0]")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="only the first N prompts")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="write the answers as JSONL here")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML config (roles, sampling, store); --model may then be a role")] = None,
    store: StoreOption = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="ask again and overwrite the stored answers to these requests")] = False,
    progress: Annotated[bool, typer.Option(help="show the progress bar")] = True,
) -> int:
    """Ask MODEL every prompt (N samples each), reusing every stored answer (unless --refresh).

    Sampling flags win over the config's `sampling:`, which wins over the defaults.
    """
    from distillscope.models.registry import load_model
    from distillscope.paths import require_writable_file
    from distillscope.probes.loader import load_numbered_prompts, require_unique_ids

    flags = {"n": n, "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "seed": seed}
    spec, store_path, sampling = _resolve(model, config, store, flags)
    backend = load_model(spec)  # an unknown provider fails before the prompts are read
    if out is not None:  # before anything is paid for
        out = require_writable_file(out, "--out", must_exist=False, create_parent=False)
    numbered = load_numbered_prompts(prompts)[:limit]
    require_unique_ids(numbered, prompts)
    loaded = [prompt for _, prompt in numbered]
    results = run_generation([backend], loaded, sampling, store_path, progress, refresh=refresh)
    if out:
        written = write_answers_jsonl(out, loaded, results[0], sampling.n)
        typer.echo(f"wrote {written} answers to {out}", err=True)
    return _exit_code(results)


def run_generation(models, prompts, sampling, store_path, progress, *, refresh: bool = False):  # noqa: ANN001, ANN201
    """Run every model over the prompts through one store and print the summary."""
    from rich.console import Console
    from rich.markup import escape

    from distillscope.runner.progress import summary_table
    from distillscope.runner.runner import Runner, requests_for
    from distillscope.runner.store import ResponseStore

    requests = requests_for(prompts, sampling)
    with ResponseStore(store_path) as response_store:
        runner = Runner(response_store, show_progress=progress, refresh=refresh)
        # Models share two cores badly, so local jobs run one after another.
        results = [runner.run(model, requests) for model in models]
        console = Console(stderr=True)
        console.print(summary_table([r.counts for r in results]))
        console.print(f"store: {escape(str(response_store.path))}", highlight=False)
    return results


def write_answers_jsonl(path: Path, prompts, result, n: int) -> int:  # noqa: ANN001
    """One row per (prompt, sample) that has an answer, labelled with *that* prompt.

    Rows follow the requests (prompt-major, `n` samples each), never the
    response's own prompt id: two prompts with the same text share one stored
    answer, and each must still get its own row under its own id.
    """
    from distillscope.paths import atomic_write_text

    lines = []
    for index, response in enumerate(result.responses):
        if response is None:
            continue
        prompt = prompts[index // n]
        record = {
            "prompt_id": prompt.id,
            "category": prompt.category,
            "prompt": prompt.text,
            **response.model_dump(exclude={"key", "prompt_id", "text"}),
            "response": response.text,
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    atomic_write_text(path, "".join(lines))
    return len(lines)


def _resolve(model: str, config: Path | None, store: Path | None, flags: dict):  # noqa: ANN202
    """(spec, store path, sampling) from --model, the config file and the flags."""
    from distillscope.models.spec import ModelSpec

    given = {k: v for k, v in flags.items() if v is not None}
    if config is None:
        return ModelSpec.parse(model), store, _sampling(given)
    from distillscope.config import load_config

    settings = load_config(config)
    spec = ModelSpec.parse(model) if "/" in model else settings.role(model)
    from_file = settings.sampling.model_dump(include=settings.sampling.model_fields_set) if "sampling" in settings.model_fields_set else {}
    if "max_tokens" in settings.model_fields_set:
        from_file["max_tokens"] = settings.max_tokens
    store_path = store
    if store_path is None and settings.store is not None:
        store_path = _checked_store_path(Path(settings.store).expanduser())
    return spec, store_path, _sampling({**from_file, **given})


def _sampling(values: dict):  # noqa: ANN202 (a SamplingParams)
    from pydantic import ValidationError

    from distillscope.errors import UserError
    from distillscope.types import SamplingParams

    try:
        return SamplingParams(**values)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise UserError(f"sampling setting {where}={problem.get('input')!r}: {problem['msg']}", f"correct {where}") from None


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
