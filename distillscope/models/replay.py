"""Saved responses served as a model, to audit outputs without the model.

The file is distillscope's own JSONL/CSV (one row per response: `prompt` or
`text` and/or a `prompt_id`, the answer in `response`, `output`, `completion`
or `answer`, optionally `system`, `sample_index` and `model`) or an
evaluation tool's log: inspect_ai, lm-evaluation-harness, an OpenAI batch
output, a Hugging Face dataset, promptfoo (see `distillscope.imports` and
docs/import.md). The format is told by content, or named with `?format=`.
With `?model=NAME` only that model's answers are served; `?input=FILE` gives
an OpenAI batch's input file (the prompts). A prompt with no saved answer
fails permanently (recorded as a failure) rather than being invented.

A replayed answer is keyed by the file's absolute path and the sha256 of its
bytes (its fingerprint), never by the path as typed: a rewritten file is read
again, and a same-named file elsewhere gets its own answers. Sampling settings
are not in the key, since a saved answer does not depend on them: answers
imported with `store import` serve every command, whatever its --temperature.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from distillscope.errors import GenerationError, InputFileError
from distillscope.imports.detect import canonical_format, read_log
from distillscope.imports.fingerprint import content_fingerprint
from distillscope.imports.normalise import compatible, match_key, split_messages
from distillscope.imports.records import ImportedLog
from distillscope.models import base
from distillscope.models.base import Model
from distillscope.models.spec import ModelSpec
from distillscope.types import Completion, GenerationRequest, canonical_json, sha256_hex


def _absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))


class ReplayModel(Model):
    provider = "replay"
    default_concurrency = 64
    identity_options = frozenset({"model", "format", "input"})
    #: several samples per prompt are the file's own (epochs, repeats), drawn when it was written: never refused at temperature 0
    replays_samples = True
    local = True  # answers already paid for

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.path = Path(_absolute(spec.name))
        self.only_model = spec.opt_str("model")
        self.format = canonical_format(spec.opt_str("format"))
        given_input = spec.opt_str("input")
        self.input_path = Path(_absolute(given_input)) if given_input else None
        self._log: ImportedLog | None = None
        self._index: dict[tuple[str, int], str] | None = None
        self._id_texts: dict[tuple[str, int], str] = {}  # (sample id, sample index) -> its normalised prompt

    @property
    def identity(self) -> str:
        """The spec with its file (and batch input file) as absolute paths, so `a.jsonl` and `./a.jsonl` are one model."""
        options = dict(self.spec.options)
        if self.input_path is not None:
            options["input"] = str(self.input_path)
        operational = getattr(base, "COMMON_OPERATIONAL_OPTIONS", frozenset()) | self.operational_options
        return self.spec.model_copy(update={"name": str(self.path), "options": options}).identity(operational)

    def fingerprint(self) -> str:
        """sha256 of the file's bytes (and the batch input's): part of every store key, so a rewritten file is re-read."""
        paths = [self.path, *([self.input_path] if self.input_path is not None else [])]
        for path in paths:
            if not path.exists():
                raise InputFileError(f"replay file {path} does not exist", "check the path")
        return content_fingerprint(*paths)

    def request_keys(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """(identity, file fingerprint, input, sample index): a saved answer does not depend on how one would sample."""
        head = {"model": self.identity, "replay": self.fingerprint()}
        return [sha256_hex(canonical_json({**head, "input": self.rendered_input(r), "sample_index": r.sample_index})) for r in requests]

    def log(self) -> ImportedLog:
        """The file as read (format, fingerprint, answers, what was skipped), read once."""
        if self._log is None:
            self._log = read_log(self.path, self.format, self.only_model, self.input_path)
        return self._log

    def index(self) -> dict[tuple[str, int], str]:
        """(`id:` sample id | `text:` raw prompt | `key:` system and normalised prompt, sample index) -> answer."""
        if self._index is None:
            index: dict[tuple[str, int], str] = {}
            for item in self.log().answers:
                if item.answer is None:
                    continue  # an errored sample: counted in the log, never served as an answer
                if item.sample_id is not None:
                    index[(f"id:{item.sample_id}", item.sample_index)] = item.answer
                    self._id_texts[(item.sample_id, item.sample_index)] = item.key if item.text else ""
                if item.text:
                    index[(f"text:{item.text}", item.sample_index)] = item.answer
                    index.setdefault((f"key:{item.system_key}\x1f{item.key}", item.sample_index), item.answer)
            self._index = index
        return self._index

    async def preflight(self) -> None:
        self.index()

    def lookup(self, request: GenerationRequest) -> str | None:
        """The saved answer for a request: by sample id (where the texts agree), then by the prompt as written, then normalised."""
        index = self.index()
        system, text = split_messages((m.role, m.content) for m in request.messages)
        key = match_key(text)
        found = index.get((f"id:{request.prompt_id}", request.sample_index))
        if found is not None and not compatible(self._id_texts.get((request.prompt_id, request.sample_index), ""), key):
            found = None  # the same id for another question (two files that both count from 1)
        if found is None:
            found = index.get((f"text:{request.messages[-1].content}", request.sample_index))
        if found is None:
            found = index.get((f"key:{match_key(system or '')}\x1f{key}", request.sample_index))
        return found

    async def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        out = []
        for request in requests:
            answer = self.lookup(request)
            if answer is None:
                raise GenerationError(f"no saved response in {self.path} for prompt {request.prompt_id} sample {request.sample_index}")
            out.append(Completion(text=answer, finish_reason="replay"))
        return out
