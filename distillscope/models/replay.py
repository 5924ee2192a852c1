"""Saved responses served as a model, to audit outputs without the model.

The file (JSONL or CSV) has one row per response: the prompt (`prompt` or
`text`) and/or a `prompt_id`, the answer (`response`, `output`, `completion`
or `answer`), and optionally `sample_index` and `model`. With
`?model=NAME` only rows of that model are served. A prompt with no saved
answer fails permanently (recorded as a failure) rather than being invented.
"""

from __future__ import annotations

from pathlib import Path

from distillscope.errors import GenerationError, InputFileError
from distillscope.models.base import Model
from distillscope.models.spec import ModelSpec
from distillscope.records import read_records
from distillscope.types import Completion, GenerationRequest

RESPONSE_COLUMNS = ("response", "output", "completion", "answer")
PROMPT_COLUMNS = ("prompt", "text", "question", "instruction")


class ReplayModel(Model):
    provider = "replay"
    default_concurrency = 64

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.path = Path(spec.name).expanduser()
        self.only_model = spec.opt_str("model")
        self._index: dict[tuple[str, int], str] | None = None

    def index(self) -> dict[tuple[str, int], str]:
        if self._index is None:
            self._index = self._load()
        return self._index

    def _load(self) -> dict[tuple[str, int], str]:
        index: dict[tuple[str, int], str] = {}
        for number, record in read_records(self.path, "responses"):
            if self.only_model and record.get("model") != self.only_model:
                continue
            answer_key = next((k for k in RESPONSE_COLUMNS if k in record), None)
            if answer_key is None:
                raise InputFileError(
                    f"{self.path} line {number}: no response field (none of {', '.join(RESPONSE_COLUMNS)})",
                    'give each row a "response" field',
                )
            try:
                sample = int(record.get("sample_index", 0))
            except (TypeError, ValueError):
                raise InputFileError(f"{self.path} line {number}: sample_index is not an integer", "fix it") from None
            answer = str(record[answer_key])
            if "prompt_id" in record:
                index[(f"id:{record['prompt_id']}", sample)] = answer
            prompt_key = next((k for k in PROMPT_COLUMNS if k in record), None)
            if prompt_key:
                index[(f"text:{record[prompt_key]}", sample)] = answer
            elif "prompt_id" not in record:
                raise InputFileError(
                    f"{self.path} line {number}: no prompt or prompt_id to match the response to",
                    'give each row a "prompt" or "prompt_id" field',
                )
        if not index:
            which = f" for model '{self.only_model}'" if self.only_model else ""
            raise InputFileError(f"replay file {self.path} holds no responses{which}", "check the file and ?model=")
        return index

    async def preflight(self) -> None:
        self.index()

    async def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        index = self.index()
        out = []
        for request in requests:
            prompt = request.messages[-1].content
            answer = index.get((f"id:{request.prompt_id}", request.sample_index))
            if answer is None:
                answer = index.get((f"text:{prompt}", request.sample_index))
            if answer is None:
                raise GenerationError(f"no saved response in {self.path} for prompt {request.prompt_id} sample {request.sample_index}")
            out.append(Completion(text=answer, finish_reason="replay"))
        return out
