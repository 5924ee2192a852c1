"""transformers backend: batched generation, model directories or GGUF files.

This is the trainable path: the distillation issue loads a student here,
fine-tunes it with LoRA and serves the result as a new `hf/<dir>` spec.
Greedy requests are batched (left padding); sampled requests run one at a
time so each sample gets its own seed and stays reproducible.

`hf/<dir>` loads a saved model directory; `hf/<file.gguf>` dequantises a
GGUF file (slow, but trainable); `hf/<built-in name>` uses a built-in GGUF.
Options: `batch_size` (default 8), `mode` (chat | completion | auto),
`dtype` (float32 default on CPU), `weights` (a free tag kept in the store
key: distillation sets it to the training fingerprint, so a directory
retrained on other data never reuses the old model's stored answers).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from distillscope.errors import ModelFileError, UserError
from distillscope.extras import require
from distillscope.models.base import BlockingModel
from distillscope.models.gguf_file import check_gguf
from distillscope.models.prompt_format import QA_STOP, render_qa_frame
from distillscope.models.spec import ModelSpec
from distillscope.types import Completion, GenerationRequest


def resolve_hf_source(name: str) -> tuple[Path, str | None]:
    """(directory, gguf file name or None) for an `hf/` spec name."""
    path = Path(name).expanduser()
    if not path.exists():
        from distillscope.models.builtin import BUILTIN_MODELS, ensure_builtin

        if name in BUILTIN_MODELS:
            path = ensure_builtin(name)
        else:
            raise ModelFileError(
                f"model path {path} does not exist (models are never downloaded from a hub)",
                "give a local model directory or .gguf file",
            )
    if path.is_file():
        check_gguf(path)
        return path.parent, path.name
    if not (path / "config.json").exists():
        raise ModelFileError(f"{path} has no config.json, so it is not a transformers model directory", "check the path")
    return path, None


class HFModel(BlockingModel):
    provider = "hf"
    default_batch_size = 8

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.mode_option = spec.opt_str("mode", "auto") or "auto"
        if self.mode_option not in ("chat", "completion", "auto"):
            raise UserError(f"mode={self.mode_option!r} is not a transformers mode", "use chat, completion or auto")
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()

    @property
    def mode(self) -> str:
        if self.mode_option != "auto":
            return self.mode_option
        return "chat" if getattr(self.tokenizer(), "chat_template", None) else "completion"

    async def preflight(self) -> None:
        require("torch", purpose="the transformers backend")
        require("transformers", purpose="the transformers backend")
        resolve_hf_source(self.spec.name)

    def tokenizer(self) -> Any:
        self._load()
        return self._tokenizer

    def _load(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            transformers = require("transformers", purpose="the transformers backend")
            torch = require("torch", purpose="the transformers backend")
            directory, gguf_file = resolve_hf_source(self.spec.name)
            dtype = getattr(torch, self.spec.opt_str("dtype", "float32") or "float32")
            kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(directory, **kwargs)
                model = transformers.AutoModelForCausalLM.from_pretrained(directory, dtype=dtype, **kwargs)
            except (OSError, ValueError) as exc:
                raise ModelFileError(f"transformers could not load {self.spec.name} ({exc})", "check the model files") from exc
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            model.eval()
            self._tokenizer, self._model = tokenizer, model

    def _render(self, request: GenerationRequest) -> str:
        if self.mode == "completion":
            return render_qa_frame(request.messages)
        messages = [m.model_dump() for m in request.messages]
        return self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def generate_blocking(self, requests: list[GenerationRequest]) -> list[Completion]:
        self._load()
        greedy = [r for r in requests if r.sampling.temperature == 0]
        sampled = [r for r in requests if r.sampling.temperature > 0]
        results: dict[int, Completion] = {}
        # one greedy batch per max_tokens value, so no request is cut short by another's limit
        for max_tokens in sorted({r.sampling.max_tokens for r in greedy}):
            batch = [r for r in greedy if r.sampling.max_tokens == max_tokens]
            for request, completion in zip(batch, self._generate_batch(batch, seed=None)):
                results[id(request)] = completion
        for request in sampled:
            results[id(request)] = self._generate_batch([request], seed=request.sampling.seed_for(request.sample_index))[0]
        return [results[id(r)] for r in requests]

    def _generate_batch(self, requests: list[GenerationRequest], seed: int | None) -> list[Completion]:
        torch = require("torch")
        tokenizer, model = self._tokenizer, self._model
        texts = [self._render(r) for r in requests]
        inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=self.mode == "completion")
        sampling = requests[0].sampling
        kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_tokens, "pad_token_id": tokenizer.pad_token_id}
        if seed is None:
            kwargs["do_sample"] = False
        else:
            torch.manual_seed(seed)
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
        with torch.no_grad():
            output = model.generate(**inputs, **kwargs)
        prompt_len = inputs["input_ids"].shape[1]
        stop_ids = {tokenizer.eos_token_id, tokenizer.pad_token_id} - {None}
        completions = []
        for row, attention in zip(output, inputs["attention_mask"]):
            new_ids = row[prompt_len:].tolist()
            length = next((i for i, token in enumerate(new_ids) if token in stop_ids), len(new_ids))
            finished = length < len(new_ids)
            text = tokenizer.decode(new_ids[:length], skip_special_tokens=True)
            if self.mode == "completion":
                text, stopped = _cut_at_stop(text)
                finished = finished or stopped
                text = text.strip()
            completions.append(
                Completion(
                    text=text,
                    finish_reason="stop" if finished else "length",
                    prompt_tokens=int(attention.sum()),
                    completion_tokens=length,
                )
            )
        return completions


def _cut_at_stop(text: str) -> tuple[str, bool]:
    cuts = [text.find(s) for s in QA_STOP if s in text]
    if not cuts:
        return text, False
    return text[: min(cuts)], True
