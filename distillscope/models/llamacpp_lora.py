"""A LoRA adapter on a llama.cpp model: its share of the store key, and its place in every context.

`llama_cpp.Llama(lora_path=...)` applies the adapter to the Llama's own
context only; the batched engine makes a second context, which needs it too,
or its answers would silently be the base's.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

from distillscope.errors import ModelFileError, UserError
from distillscope.models.fingerprint import file_fingerprint
from distillscope.models.gguf_file import check_gguf, gguf_metadata, tensor_shapes


def with_lora(fingerprint: str | None, lora: Path | None) -> str | None:
    """A base's weights fingerprint extended by its adapter's, so a replaced adapter gets new store keys."""
    if lora is None:
        return fingerprint
    return f"{fingerprint or ''}+lora:{file_fingerprint(check_gguf(lora))}"


def check_adapter(adapter: Path, base: Path) -> Path:
    """The adapter file, refused in one line where llama.cpp would not reject it itself but crash on it while
    decoding (measured: a model file given as an adapter segfaults the process): not a LoRA adapter, or one for
    another architecture than the base's, or whose matrices do not fit the base's. A missing or non-GGUF file fails
    `gguf_metadata`'s own check first."""
    meta = gguf_metadata(adapter)
    if meta.get("general.type") != "adapter" or meta.get("adapter.type") != "lora":
        kind = meta.get("general.type") or "no general.type"
        raise ModelFileError(
            f"{adapter} is not a llama.cpp LoRA adapter ({kind}, adapter type {meta.get('adapter.type') or 'none'})",
            "give an adapter GGUF (llama.cpp's convert_lora_to_gguf.py, or distillscope's export of a trained student)",
        )
    architecture, base_architecture = meta.get("general.architecture"), gguf_metadata(base).get("general.architecture")
    if architecture != base_architecture:
        raise ModelFileError(
            f"the LoRA adapter {adapter} is for a {architecture} model, the base {base.name} is {base_architecture}",
            "give the adapter trained on this base",
        )
    _check_shapes(adapter, base)
    return adapter


def _check_shapes(adapter: Path, base: Path) -> None:
    """Each `X.lora_a` (ne [in, rank]) and `X.lora_b` (ne [rank, out]) must fit the base's X (ne [in, out]): llama.cpp
    loads a misfit without complaint and crashes the process when it builds its first graph (measured)."""
    adapted, model = tensor_shapes(adapter), tensor_shapes(base)
    pairs = {name.rsplit(".lora_", 1)[0] for name in adapted if name.endswith((".lora_a", ".lora_b"))}
    if not pairs:
        raise ModelFileError(f"the LoRA adapter {adapter} holds no lora_a/lora_b tensors", "export the adapter again")
    for target in sorted(pairs):
        a, b, weight = adapted.get(f"{target}.lora_a"), adapted.get(f"{target}.lora_b"), model.get(target)
        if weight is None or a is None or b is None or len(a) != 2 or len(b) != 2 or a[1] != b[0] or (a[0], b[1]) != weight[:2]:
            raise ModelFileError(
                f"the LoRA adapter {adapter} does not fit {base.name}: {target} is {weight or 'absent'} in the base, "
                f"lora_a {a}, lora_b {b}",
                "give the adapter trained on this base",
            )


def apply_lora(llama: Any, context: Any) -> None:
    """Apply the Llama's LoRA adapter (if it has one) to another context made from its model."""
    adapter = getattr(llama, "_lora_adapter", None)
    if adapter is None:
        return
    import llama_cpp

    adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(adapter)
    if llama_cpp.llama_set_adapters_lora(context, adapters, 1, (ctypes.c_float * 1)(llama.lora_scale)):
        raise UserError(f"llama.cpp could not apply the LoRA adapter {llama.lora_path}", "export it again against this base GGUF")
