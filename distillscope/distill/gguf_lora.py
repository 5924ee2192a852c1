"""A trained PEFT LoRA adapter written as a llama.cpp LoRA adapter (GGUF), so its student decodes on llama.cpp.

Why: a student trained here is otherwise served by transformers on CPU, whose
batches pad every prompt to the longest and keep finished rows in every step.
On a zoo's test set llama.cpp's batched engine answered 2.8x faster with the
adapter (docs/local-models.md), and a zoo answers hundreds of test prompts per
student. The base GGUF stays as it is; llama.cpp adds the low-rank
update at every matrix it names. The student was trained on that same GGUF's
weights (transformers dequantises them on load), so base and student differ
only by the adapter, as a base and its student should.

The format is llama.cpp's (what its `convert_lora_to_gguf.py` writes): the
base's architecture, `general.type = adapter`, `adapter.type = lora`,
`adapter.lora.alpha`, and per adapted matrix `<base tensor>.lora_a` (rank x in)
and `<base tensor>.lora_b` (out x rank), with PEFT's scale alpha / rank.
Written through the `gguf` package, to a temporary file renamed into place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from distillscope.errors import UserError
from distillscope.extras import require
from distillscope.models.gguf_file import tensor_shapes

PEFT_PREFIX = "base_model.model."
#: architectures whose converter permutes the query and key rows (llama.cpp's rotary layout); a LoRA's B rows follow
PERMUTED_QK = frozenset({"llama"})


def _permute(weights: Any, n_head: int) -> Any:
    """The query/key row order llama.cpp's converter gives a llama-architecture matrix (rows in head-sized halves)."""
    return weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def _base_layout(gguf: Any, base_gguf: Path) -> tuple[str, dict[str, tuple[int, ...]], dict[str, int]]:
    """(architecture, {tensor name: numpy-order shape}, {head counts}) of the base GGUF, read without loading weights."""
    reader = gguf.GGUFReader(str(base_gguf))
    arch = reader.fields["general.architecture"].contents()
    shapes = {name: shape[::-1] for name, shape in tensor_shapes(base_gguf).items()}
    heads = {}
    for key in ("attention.head_count", "attention.head_count_kv", "block_count"):
        field = reader.fields.get(f"{arch}.{key}")
        if field is not None:
            heads[key] = int(field.contents())
    return arch, shapes, heads


def export_gguf_lora(adapter_dir: Path, base_gguf: Path, out: Path) -> Path:
    """Write `out` from the PEFT adapter in `adapter_dir` for the base GGUF it was trained on; refuse what cannot map."""
    gguf = require("gguf", purpose="writing a llama.cpp LoRA adapter")
    safetensors_numpy = require("safetensors.numpy", purpose="reading a PEFT adapter")
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    if config.get("use_rslora") or config.get("use_dora"):
        raise UserError(f"the adapter in {adapter_dir} uses rsLoRA or DoRA", "llama.cpp applies plain LoRA only; train without them")
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    arch, shapes, heads = _base_layout(gguf, base_gguf)
    known = [k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch]
    if not known:
        raise UserError(f"the gguf package does not know {base_gguf.name}'s architecture {arch!r}", "upgrade the gguf package")
    names = gguf.get_tensor_name_map(known[0], heads.get("block_count", 0))
    weights = safetensors_numpy.load_file(str(adapter_dir / "adapter_model.safetensors"))
    pairs: dict[str, dict[str, Any]] = {}
    for key, value in weights.items():
        module, _, part = key.removeprefix(PEFT_PREFIX).rpartition(".lora_")
        part = part.removesuffix(".weight")
        if part not in ("A", "B"):
            raise UserError(f"unexpected tensor {key} in {adapter_dir}", "export only a plain LoRA adapter saved by `distill`")
        pairs.setdefault(module, {})[part] = value.astype("float32")
    tensors = _lora_tensors(pairs, names, shapes, heads, arch, rank, base_gguf)  # every check before a byte is written
    partial = out.with_name(f"{out.name}.partial-{os.getpid()}")
    try:
        writer = gguf.GGUFWriter(str(partial), arch)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", alpha)
        for name, tensor in tensors:
            writer.add_tensor(name, tensor)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)  # a broken export leaves nothing behind
    return out


def _lora_tensors(
    pairs: dict[str, dict[str, Any]],
    names: Any,
    shapes: dict[str, tuple[int, ...]],
    heads: dict[str, int],
    arch: str,
    rank: int,
    base: Path,
) -> list[tuple[str, Any]]:
    """(GGUF name, array) of every adapted matrix's lora_a and lora_b, each checked against the base's matrix."""
    fix = "export against the GGUF the student was trained on"
    tensors = []
    for module, pair in sorted(pairs.items()):
        target = names.get_name(module + ".weight", try_suffixes=(".weight",))
        if target is None or target not in shapes or set(pair) != {"A", "B"}:
            raise UserError(f"the adapter's {module} has no counterpart in {base.name}", fix)
        a, b = pair["A"], pair["B"]
        if a.shape != (rank, shapes[target][1]) or b.shape != (shapes[target][0], rank):
            raise UserError(f"the adapter's {module} does not fit {target} {shapes[target]}", fix)
        if arch in PERMUTED_QK and module.endswith(("q_proj", "k_proj")):
            heads_of = heads["attention.head_count"] if module.endswith("q_proj") else heads.get("attention.head_count_kv")
            b = _permute(b, heads_of or heads["attention.head_count"])
        tensors += [(f"{target}.lora_a", a), (f"{target}.lora_b", b)]
    return tensors
