"""`store import`: a log's answers put into the response store under their replay identity.

The answers are stored exactly as a `replay/FILE` model would store them when
a command first asks for them (same identity, fingerprint and keys), so every
command later finds them in the store and asks nothing. Answers with no
prompt text (an OpenAI batch output given without its input file) cannot be
keyed by prompt and are counted, not stored.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, urlencode

from pydantic import BaseModel

from distillscope.imports.records import ImportedLog


class ImportSummary(BaseModel):
    spec: str  # what to pass as --teacher / --student to use the answers
    log: ImportedLog
    stored: int  # answers now in the store (new or already there)
    prompts: int
    without_prompt: int  # answers that could not be keyed (no prompt text)
    failed: int

    def line(self) -> str:
        parts = [f"imported {self.stored} answers to {self.prompts} prompts from {self.log.summary()}"]
        if self.without_prompt:
            parts.append(f"{self.without_prompt} answers have no prompt text and were not stored (give the batch input file with --input)")
        if self.failed:
            parts.append(f"{self.failed} could not be stored")
        return "; ".join(parts)


def replay_spec(path: Path, format: str | None, model: str | None, input_path: Path | None) -> str:
    """The replay spec that serves these answers: the absolute path, and the options given."""
    options = {
        k: v for k, v in {"format": format, "model": model, "input": os.path.abspath(input_path) if input_path else None}.items() if v
    }
    query = "?" + urlencode(sorted(options.items()), quote_via=quote, safe="/:") if options else ""
    return f"replay/{os.path.abspath(os.path.expanduser(path))}{query}"


def import_log(
    store: Path | None, path: Path, format: str | None, model: str | None, input_path: Path | None, progress: bool
) -> ImportSummary:
    """Read `path` (checked in full first), then store every answer that has a prompt; nothing is asked of any model."""
    from distillscope.models.registry import load_model
    from distillscope.models.replay import ReplayModel
    from distillscope.types import GenerationRequest, Prompt, SamplingParams
    from distillscope.workspace import Workspace

    spec = replay_spec(path, format, model, input_path)
    replay = load_model(spec)
    if not isinstance(replay, ReplayModel):  # never: `replay_spec` names the replay backend
        raise TypeError(f"{spec} is not a replay model")
    log = replay.log()  # a bad file fails here, before the store is opened
    requests, prompts, without_prompt = [], set(), 0
    for answer in log.answers:
        if not answer.text.strip():
            without_prompt += 1
            continue
        prompt = Prompt(text=answer.text, system=answer.system, **({"id": answer.sample_id} if answer.sample_id else {}))
        prompts.add(prompt.id)
        requests.append(GenerationRequest.from_prompt(prompt, SamplingParams(), answer.sample_index))
    unique = list({replay.request_key(r): r for r in requests}.values())  # a repeated (prompt, sample) is stored once
    with Workspace(store, progress=progress) as ws:
        result = ws.runner.run(replay, unique)
    stored = sum(1 for r in result.responses if r is not None)
    return ImportSummary(
        spec=spec, log=log, stored=stored, prompts=len(prompts), without_prompt=without_prompt, failed=len(unique) - stored
    )
