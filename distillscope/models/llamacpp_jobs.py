"""A request turned into exactly what llama-cpp-python's single-stream path would decode.

Batched answers must mean the same as single-stream ones, so the batched
engine must start from the same prompt tokens, stop strings and sampler
settings. Rather than re-implement every chat handler (GGUF Jinja templates,
guessed formats, BOS/EOS rules of `create_completion`), we run the very same
`create_chat_completion` / `create_completion` call the single-stream path
makes and stop it at the moment it would start decoding: `generate` is
replaced on the instance by a function that records its arguments and
raises, and `create_completion` by a wrapper that notes the stop strings the
chat handler added. Nothing is evaluated; it costs one tokenisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from distillscope.errors import GenerationError

#: the `generate` arguments that `Llama._init_sampler` takes (its sampler chain)
SAMPLER_ARGUMENTS = frozenset(
    {"top_k", "top_p", "min_p", "typical_p", "temp", "repeat_penalty", "frequency_penalty", "presence_penalty", "tfs_z"}
    | {"mirostat_mode", "mirostat_eta", "mirostat_tau", "penalize_nl"}
)


@dataclass
class DecodeJob:
    """One request, already rendered to the exact tokens single-stream decoding would use."""

    tokens: list[int]
    max_tokens: int
    stop: list[bytes] = field(default_factory=list)
    temperature: float = 0.0
    seed: int = 0
    sampler: dict[str, Any] = field(default_factory=dict)  # llama-cpp-python's `_init_sampler` arguments


@dataclass
class DecodeResult:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    reused_prefix: int = 0  # prompt tokens taken from the shared prefix instead of computed
    tokens: list[int] = field(default_factory=list)  # the generated token ids (agreement checks)


def multibyte_tail(text: bytes) -> int:
    """Bytes still owed to a multi-byte UTF-8 character that `text` ends inside (0: none), as llama-cpp-python counts
    them: a stop string is never looked for until the character is whole."""
    owed = 0
    for k, char in enumerate(text[-3:]):
        k = 3 - k
        for num, pattern in [(2, 192), (3, 224), (4, 240)]:
            if num > k and pattern & char == pattern:
                owed = num - k
    return owed


class _Captured(Exception):
    def __init__(self, tokens: list[int], settings: dict[str, Any]) -> None:
        super().__init__("captured")
        self.tokens, self.settings = tokens, settings


def capture_job(llama: Any, call: Any) -> DecodeJob:
    """The DecodeJob for `call(llama)`, a function making the single-stream request on `llama`."""
    seen: dict[str, Any] = {}
    real_completion = llama.create_completion

    def recording_completion(*args: Any, **kwargs: Any) -> Any:
        seen.update(stop=kwargs.get("stop"), max_tokens=kwargs.get("max_tokens"))
        return real_completion(*args, **kwargs)

    def stop_before_decoding(tokens: Any, **kwargs: Any) -> Any:
        raise _Captured(list(tokens), {**kwargs, "seed": llama._seed})

    llama.create_completion, llama.generate = recording_completion, stop_before_decoding
    try:
        call(llama)
    except _Captured as captured:
        tokens, settings = captured.tokens, captured.settings
    except ValueError as exc:  # e.g. the prompt does not fit the context window
        raise GenerationError(f"llama.cpp refused the request: {exc}") from exc
    else:  # pragma: no cover - a llama-cpp-python that no longer decodes through `generate`
        raise RuntimeError("llama-cpp-python answered without calling generate(); batched decoding cannot follow it")
    finally:
        del llama.create_completion, llama.generate
    stop = seen.get("stop") or []
    stop = [stop] if isinstance(stop, str) else list(stop)
    return DecodeJob(
        tokens=tokens,
        max_tokens=int(seen.get("max_tokens") or 0) or llama.n_ctx() - len(tokens),
        stop=[s.encode("utf-8") for s in stop],
        temperature=float(settings.get("temp", 0.0)),
        seed=int(settings["seed"]),
        sampler={k: v for k, v in settings.items() if k in SAMPLER_ARGUMENTS and v is not None},
    )


def common_prefix_length(a: list[int], b: list[int]) -> int:
    """How many leading tokens two token lists share."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
