"""Provider name -> backend class, resolved lazily.

The table names modules as strings so that importing the registry imports no
SDK; a backend module is imported only when its provider is used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from distillscope.errors import UnknownProviderError
from distillscope.models.base import Model
from distillscope.models.spec import ModelSpec


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    target: str  # "module:Class"
    extra: str | None
    description: str
    example: str


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


def provider_class(provider: str) -> type[Model]:
    info = PROVIDERS.get(provider)
    if info is None:
        raise UnknownProviderError(
            f"unknown model provider '{provider}'",
            f"use one of {', '.join(sorted(PROVIDERS))} (see `distillscope models`)",
        )
    module_name, _, class_name = info.target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def load_model(spec: ModelSpec | str) -> Model:
    """Build the backend for a spec. Cheap: weights load on first use."""
    if isinstance(spec, str):
        spec = ModelSpec.parse(spec)
    return provider_class(spec.provider)(spec)
