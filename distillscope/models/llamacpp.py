"""Local GGUF models through llama-cpp-python.

Models with a chat template are asked through chat completion. Base models
(no template; Gemma-3-270m base answers nothing through chat) are asked by
plain completion inside a question/answer frame (`prompt_format`).

Options: `mode` = chat | completion | auto (default: auto, from the GGUF's
metadata), `n_ctx` (default 2048), `n_threads` (default: all cores).

Token log-probabilities (a request with `sampling.top_logprobs`, for logprob
judging) need llama.cpp to keep the logits of every position (`logits_all`,
n_ctx x vocabulary floats of memory, and a slower prompt pass). So the model
is loaded without them, and loaded again with them the first time a request
asks, and kept that way: greedy answers are the same either way, so nothing
about the store key changes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from distillscope.errors import GenerationError, ModelFileError, UserError
from distillscope.extras import require
from distillscope.models.base import BlockingModel
from distillscope.models.fingerprint import file_fingerprint
from distillscope.models.gguf_file import check_gguf, has_chat_template
from distillscope.models.prompt_format import QA_STOP, render_qa_frame
from distillscope.models.spec import ModelSpec
from distillscope.types import Completion, GenerationRequest

MODES = ("chat", "completion", "auto")


class LlamaCppModel(BlockingModel):
    provider = "llamacpp"
    # Not in `auto` judge mode: llama.cpp gives log-probabilities only with `logits_all`, which keeps
    # the logits of every prompt position over the whole vocabulary (151k for Qwen2.5). Measured in
    # the demo audit: the Qwen judge fell from about 20 to about 2 tok/s. `--judge-mode logprob` still
    # asks for them.
    supports_logprobs = False

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.mode_option = spec.opt_str("mode", "auto") or "auto"
        if self.mode_option not in MODES:
            raise UserError(f"mode={self.mode_option!r} is not a llama.cpp mode", f"use one of {', '.join(MODES)}")
        self.n_ctx = spec.opt_int("n_ctx", 2048) or 2048
        self.n_threads = spec.opt_int("n_threads", os.cpu_count() or 1)
        self._llama: Any = None
        self._logits_all = False
        self._load_lock = threading.Lock()

    # The GGUF path; subclasses (builtin) resolve it differently.
    def model_path(self) -> Path:
        return Path(self.spec.name).expanduser()

    def fingerprint(self) -> str | None:
        """Size, mtime and head/tail hash of the GGUF: a replaced file gets new store keys."""
        return file_fingerprint(check_gguf(self.model_path()))

    @property
    def mode(self) -> str:
        if self.mode_option != "auto":
            return self.mode_option
        return "chat" if has_chat_template(self.model_path()) else "completion"

    async def preflight(self) -> None:
        require("llama_cpp", purpose="the llama.cpp backend")
        check_gguf(self.model_path())

    def llama(self, logits_all: bool = False) -> Any:
        """Load the weights once, on first use (again with `logits_all` the first time log-probabilities are asked for)."""
        with self._load_lock:
            if self._llama is None or (logits_all and not self._logits_all):
                llama_cpp = require("llama_cpp", purpose="the llama.cpp backend")
                path = check_gguf(self.model_path())
                self._llama = None  # the old context goes before the new one is made
                try:
                    self._llama = llama_cpp.Llama(
                        model_path=str(path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        verbose=self.spec.opt_bool("verbose"),
                        logits_all=logits_all,
                    )
                    self._logits_all = logits_all
                except (ValueError, RuntimeError) as exc:
                    raise ModelFileError(f"llama.cpp could not load {path} ({exc})", "re-download or re-assemble the GGUF file") from exc
            return self._llama

    def generate_blocking(self, requests: list[GenerationRequest]) -> list[Completion]:
        return [self._generate_one(r) for r in requests]

    def _generate_one(self, request: GenerationRequest) -> Completion:
        top_k = request.sampling.top_logprobs
        llama = self.llama(logits_all=bool(top_k))
        params = sampling_kwargs(request)
        try:
            if self.mode == "completion":
                out = llama.create_completion(render_qa_frame(request.messages), stop=QA_STOP, logprobs=top_k, **params)
                choice = out["choices"][0]
                text = choice.get("text") or ""
            else:
                messages = [m.model_dump() for m in request.messages]
                extra = {"logprobs": True, "top_logprobs": top_k} if top_k else {}
                out = llama.create_chat_completion(messages=messages, **extra, **params)
                choice = out["choices"][0]
                text = (choice.get("message") or {}).get("content") or ""
        except ValueError as exc:  # e.g. the prompt does not fit the context window
            raise GenerationError(f"llama.cpp refused the request: {exc}") from exc
        usage = out.get("usage") or {}
        return Completion(
            text=text.strip() if self.mode == "completion" else text,
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            **(_token_logprobs(choice.get("logprobs")) if top_k else {}),
        )


def _token_logprobs(payload: Any) -> dict[str, Any]:
    """`tokens` and `top_logprobs` from llama-cpp-python's logprobs (chat: OpenAI shape; completion: its own); {} if none."""
    from distillscope.judges.logprob import LogprobParseError, from_llamacpp, from_openai

    if not payload:
        return {}
    try:
        positions = from_openai(payload) if "content" in payload else from_llamacpp(payload)
    except LogprobParseError:
        return {}
    return {"tokens": positions.tokens, "top_logprobs": positions.top}


def sampling_kwargs(request: GenerationRequest) -> dict[str, Any]:
    """OpenAI-style sampling: only temperature and top_p shape the distribution."""
    s = request.sampling
    return {
        "temperature": s.temperature,
        "top_p": s.top_p,
        "top_k": 0,
        "min_p": 0.0,
        "repeat_penalty": 1.0,
        "max_tokens": s.max_tokens,
        "seed": s.seed_for(request.sample_index),
    }
