"""What `distillscope generate` does: one model, the prompts of a file, answers into the store.

The model, the store and the sampling come from the flags over a config file
over the defaults; the prompts are the file's, all of them, the first
`limit`, or a stratified sample of `n` (each category keeps its share, drawn
with the run's seed: the prompts `similarity --suite FILE --split all --n N`
measures). Every check a user can fail (an unknown provider, an unwritable
`--out`, a malformed or ambiguous prompts file) runs before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillscope.models.base import Model
from distillscope.runner.jobs import JobResult
from distillscope.types import Prompt, SamplingParams


@dataclass
class GenerationJob:
    """One model's requests, checked and ready to run."""

    model: Model
    prompts: list[Prompt]
    sampling: SamplingParams
    store: Path | None
    out: Path | None


def prepare_generation(
    model: str,
    prompts_file: Path,
    *,
    config: Path | None,
    store: Path | None,
    out: Path | None,
    sampling_flags: dict[str, Any],
    n: int | None,
    limit: int | None,
) -> GenerationJob:
    """Resolve the model, store and sampling, check `out`, and choose the prompts; nothing is sent yet."""
    from distillscope.errors import UserError
    from distillscope.models.registry import load_model
    from distillscope.paths import guard_outputs, require_writable_file
    from distillscope.probes.loader import load_numbered_prompts, require_unique_ids
    from distillscope.probes.suite import stratified_sample

    if n is not None and limit is not None:
        raise UserError("--n and --limit both choose prompts", "give --limit N for the first N, or --n N for a stratified sample")
    spec, store_path, sampling = resolve_settings(model, config, store, sampling_flags)
    backend = load_model(spec)  # an unknown provider fails before the prompts are read
    # before anything is paid for: --out (and a --log file) writable, and not the store, an input or the model's own file
    if out is not None:
        out = require_writable_file(out, "--out", must_exist=False, create_parent=False)
    model_file = getattr(backend, "path", None)
    guard_outputs({"--out": out}, inputs={"--prompts": prompts_file, "--config": config, "the model's file": model_file}, store=store_path)
    numbered = load_numbered_prompts(prompts_file)[:limit]
    require_unique_ids(numbered, prompts_file)
    chosen = [prompt for _, prompt in numbered]
    if n is not None:
        sampled = {p.id for p in stratified_sample(chosen, n, sampling.seed)}
        chosen = [p for p in chosen if p.id in sampled]  # in file order
    return GenerationJob(model=backend, prompts=chosen, sampling=sampling, store=store_path, out=out)


def resolve_settings(model: str, config: Path | None, store: Path | None, flags: dict[str, Any]) -> tuple[Any, Path | None, SamplingParams]:
    """(spec, store path, sampling) from --model, the config file and the flags (flags win, then the config)."""
    from distillscope.models.spec import ModelSpec
    from distillscope.paths import check_parent

    given = {k: v for k, v in flags.items() if v is not None}
    if config is None:
        return ModelSpec.parse(model), store, sampling_params(given)
    from distillscope.audit.config import load_config

    settings = load_config(config)
    spec = ModelSpec.parse(model) if "/" in model else settings.role(model)
    fields = settings.model_fields_set
    from_file = settings.sampling.model_dump(include=settings.sampling.model_fields_set) if "sampling" in fields else {}
    if "max_tokens" in fields:
        from_file["max_tokens"] = settings.max_tokens
    if store is None and settings.store is not None:
        store = check_parent(Path(settings.store).expanduser(), "the config's store")
    return spec, store, sampling_params({**from_file, **given})


def sampling_params(values: dict[str, Any]) -> SamplingParams:
    """SamplingParams, or one line naming the setting that is out of range."""
    from pydantic import ValidationError

    from distillscope.errors import UserError

    try:
        return SamplingParams(**values)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise UserError(f"sampling setting {where}={problem.get('input')!r}: {problem['msg']}", f"correct {where}") from None


def run_generation(
    models: Sequence[Model],
    prompts: Sequence[Prompt],
    sampling: SamplingParams,
    store: Path | None,
    progress: bool,
    *,
    refresh: bool = False,
) -> tuple[list[JobResult], Path]:
    """Every model over the prompts through one store; (results, the store's path)."""
    from distillscope.runner.answers import requests_for
    from distillscope.workspace import Workspace

    requests = requests_for(prompts, sampling)
    with Workspace(store, progress=progress, refresh=refresh) as workspace:
        # Models share two cores badly, so local jobs run one after another.
        results = [workspace.runner.run(model, requests) for model in models]
        if refresh:  # a refresh that failed keeps the answer stored before it, in the results and so in --out
            for model, result in zip(models, results):
                keep_stored_answers(workspace.store, model, requests, result)
        return results, workspace.store.path


def keep_stored_answers(store: Any, model: Model, requests: Sequence[Any], result: JobResult) -> int:
    """Fill the positions whose (refreshed) request failed with the answer the store still holds; how many."""
    missing = [i for i, response in enumerate(result.responses) if response is None]
    if not missing:
        return 0
    keys = model.request_keys([requests[i] for i in missing])
    stored = store.get_many(keys)
    for index, key in zip(missing, keys):
        result.responses[index] = stored.get(key)
    return sum(1 for key in keys if key in stored)


def write_answers_jsonl(path: Path, prompts: Sequence[Prompt], result: JobResult, n: int) -> int:
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
    if not lines:
        return 0  # nothing answered: a file from an earlier run is worth more than an empty one
    atomic_write_text(path, "".join(lines))
    return len(lines)
