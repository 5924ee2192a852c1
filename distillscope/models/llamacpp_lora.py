"""A LoRA adapter on a llama.cpp model: its share of the store key, and its place in every context.

`llama_cpp.Llama(lora_path=...)` applies the adapter to the Llama's own
context only; the batched engine makes a second context, which needs it too,
or its answers would silently be the base's.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

from distillscope.errors import UserError
from distillscope.models.fingerprint import file_fingerprint
from distillscope.models.gguf_file import check_gguf


def with_lora(fingerprint: str | None, lora: Path | None) -> str | None:
    """A base's weights fingerprint extended by its adapter's, so a replaced adapter gets new store keys."""
    if lora is None:
        return fingerprint
    return f"{fingerprint or ''}+lora:{file_fingerprint(check_gguf(lora))}"


def apply_lora(llama: Any, context: Any) -> None:
    """Apply the Llama's LoRA adapter (if it has one) to another context made from its model."""
    adapter = getattr(llama, "_lora_adapter", None)
    if adapter is None:
        return
    import llama_cpp

    adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(adapter)
    if llama_cpp.llama_set_adapters_lora(context, adapters, 1, (ctypes.c_float * 1)(llama.lora_scale)):
        raise UserError(f"llama.cpp could not apply the LoRA adapter {llama.lora_path}", "export it again against this base GGUF")
