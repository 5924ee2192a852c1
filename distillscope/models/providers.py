"""The providers: each name's backend as a "module:Class" string, then installed packages' (entry points).

Apart from `registry.py`, which builds backends and imports `base.py`: a spec's options are checked
against its backend's declared ones while it is parsed (`spec.py`), and `spec.py` must not import
`registry.py`, which imports `base.py`, which imports `spec.py`. This table imports no backend.
"""

from __future__ import annotations

from dataclasses import dataclass

from distillscope.errors import UnknownProviderError
from distillscope.plugins import Registry


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    target: str  # "module:Class"
    extra: str | None
    description: str
    example: str
    distribution: str | None = None  # the installed package providing it; None: built in


PROVIDERS: dict[str, ProviderInfo] = {
    p.name: p
    for p in [
        ProviderInfo(
            "openai",
            "distillscope.models.openai_api:OpenAIModel",
            "api",
            "any OpenAI-compatible server: OpenAI, vLLM, llama-server, Ollama (base_url=...; replicas: base_url=A,B)",
            "openai/gpt-4o-mini",
        ),
        ProviderInfo(
            "llamacpp",
            "distillscope.models.llamacpp:LlamaCppModel",
            "local",
            "a local GGUF file through llama-cpp-python (chat, or completion for base models)",
            "llamacpp/path/to/model.gguf?mode=completion",
        ),
        ProviderInfo(
            "hf",
            "distillscope.models.hf:HFModel",
            "hf",
            "transformers: a model directory or a GGUF file; batched; the trainable path",
            "hf/path/to/model_dir",
        ),
        ProviderInfo(
            "builtin",
            "distillscope.models.builtin:BuiltinModel",
            "local",
            "the packaged offline models, assembled on first use",
            "builtin/qwen2.5-coder-0.5b-instruct",
        ),
        ProviderInfo(
            "replay",
            "distillscope.models.replay:ReplayModel",
            None,
            "saved responses: JSONL/CSV, or inspect_ai, lm-eval, OpenAI batch, HF dataset, promptfoo logs (format=...; docs/import.md)",
            "replay/responses.jsonl",
        ),
        ProviderInfo(
            "mock",
            "distillscope.models.mock:MockModel",
            None,
            "deterministic fake for tests and dry runs",
            "mock/echo",
        ),
    ]
}


#: every provider: the built-ins above, then those of installed plugins (entry-point group distillscope.providers)
#: (typed `type`, not `type[Model]`: importing base.py here would close the circle; `registry.provider_class` checks it)
REGISTRY: Registry[type] = Registry(
    "providers",
    "model provider",
    {name: info.target for name, info in PROVIDERS.items()},
    error=UnknownProviderError,
    where="`distillscope models`",
)
