"""`--no-progress` for the libraries we call too, and `--log FILE` to keep every log line.

transformers, datasets, huggingface_hub (tqdm bars), llama.cpp and gguf
loading (log lines) print on their own; a user who asked for no progress
(a CI log, a pipe) must not get them either. Set before those libraries are
imported where possible (environment variables they read at import), and on
the ones already imported. Quiet never means lost: with `--log FILE` every
info line of ours and theirs still goes to the file, only the terminal is
spared.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

_ENVIRONMENT = {
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "TQDM_DISABLE": "1",
}
LIBRARY_LOGGERS = (
    "transformers",
    "datasets",
    "huggingface_hub",
    "sentence_transformers",
    "gguf",
    "llama_cpp",
    "inspect_ai",
    "lm_eval",
    "filelock",
)
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_kept: list[logging.FileHandler] = []


def quiet_third_party() -> None:
    """Silence third-party progress bars, and their info logs on the terminal, for the rest of the process."""
    for name, value in _ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if "datasets" in sys.modules:
        sys.modules["datasets"].disable_progress_bars()
    if "transformers" in sys.modules:
        sys.modules["transformers"].utils.logging.disable_progress_bar()
    if "huggingface_hub" in sys.modules:
        sys.modules["huggingface_hub"].utils.disable_progress_bars()
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _kept:  # the file still gets their info lines; only their terminal handlers are raised
            for handler in logger.handlers:
                if not isinstance(handler, logging.FileHandler):
                    handler.setLevel(logging.WARNING)
        else:
            logger.setLevel(logging.WARNING)


def keep_log(path: Path) -> Path:
    """Append every info line (distillscope's and the libraries') to `path` for the rest of the process."""
    from distillscope.paths import LOG_FILES, guard_outputs, require_writable_file

    path = require_writable_file(Path(path), "--log", create_parent=True)
    guard_outputs({"--log": path})  # never a store; the command's own check then refuses its inputs and outputs
    LOG_FILES.append(path)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for name in ("distillscope", *LIBRARY_LOGGERS):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    _kept.append(handler)
    return path
