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

from typing import Any

from distillscope.errors import GenerationError
from distillscope.models.llamacpp_batch import DecodeJob

#: the `generate` arguments that `Llama._init_sampler` takes (its sampler chain)
SAMPLER_ARGUMENTS = frozenset(
    {"top_k", "top_p", "min_p", "typical_p", "temp", "repeat_penalty", "frequency_penalty", "presence_penalty", "tfs_z"}
    | {"mirostat_mode", "mirostat_eta", "mirostat_tau", "penalize_nl"}
)


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
