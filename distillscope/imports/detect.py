"""Which tool wrote a file, told by its content (or named with `format=`), and the one entry point `read_log`.

Detection looks at what the file is, never only at its name: a zip is an
inspect `.eval` log, `PAR1` a Parquet dataset, a JSON document with `eval`
and `samples` an inspect `.json` log, one with `results.results` a promptfoo
output, and a JSONL file by its first record's fields (lm-eval's `doc_id` and
`resps`, a batch output's `custom_id` and `response`). Anything else that is
JSONL/CSV is distillscope's own shape.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from distillscope.errors import InputFileError
from distillscope.imports.fingerprint import content_fingerprint
from distillscope.imports.records import ImportedAnswer, ImportedLog

FORMATS = {
    "inspect": "inspect_ai .eval/.json log",
    "lm-eval": "lm-evaluation-harness --log_samples JSONL",
    "openai-batch": "OpenAI Batch API output JSONL (input=FILE: the batch's input, for the prompts)",
    "hf-dataset": "Hugging Face dataset: .parquet, .arrow or a save_to_disk directory",
    "promptfoo": "promptfoo output JSON",
    "jsonl": "distillscope's own JSONL/CSV (prompt, response[, sample_index, model])",
}
ALIASES = {"native": "jsonl", "csv": "jsonl", "eval": "inspect", "inspect_ai": "inspect", "lm_eval": "lm-eval", "lmeval": "lm-eval",
           "batch": "openai-batch", "openai": "openai-batch", "parquet": "hf-dataset", "arrow": "hf-dataset", "dataset": "hf-dataset",
           "hf": "hf-dataset", "datasets": "hf-dataset"}  # fmt: skip


def known_formats() -> str:
    return ", ".join(FORMATS)


def canonical_format(name: str | None) -> str | None:
    """The format's canonical name, or a one-line error naming the formats there are."""
    if name is None or name == "" or name == "auto":
        return None
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    if name not in FORMATS:
        raise InputFileError(f"unknown replay format '{name}'", f"use one of {known_formats()} (or leave format= out to detect it)")
    return name


def _head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _first_record(path: Path) -> dict | None:
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError:
                    return None
                return record if isinstance(record, dict) else None
    return None


def _whole_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def detect_format(path: Path) -> str:
    """The format of `path`, from its content; a one-line error naming the readable formats if none fits."""
    from distillscope.imports.lm_eval_log import is_lm_eval_record
    from distillscope.imports.openai_batch import is_batch_input, is_batch_output
    from distillscope.imports.promptfoo import promptfoo_entries

    if path.is_dir():
        if (path / "dataset_info.json").exists() or (path / "state.json").exists() or (path / "dataset_dict.json").exists():
            return "hf-dataset"
        raise InputFileError(
            f"{path} is a directory but not a saved Hugging Face dataset", f"give a file; readable formats: {known_formats()}"
        )
    head = _head(path)
    if not head.strip():
        raise InputFileError(f"replay file {path} is empty", "give the log with the answers")
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() == ".eval":
        return "inspect"
    if (
        head.startswith(b"PAR1")
        or path.suffix.lower() in (".parquet", ".arrow")
        or head.startswith(b"ARROW1")
        or head.startswith(b"\xff\xff\xff\xff")
    ):
        return "hf-dataset"
    if path.suffix.lower() == ".csv":
        return "jsonl"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):  # older lm-eval versions wrote their samples as one JSON array
        try:
            items = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            items = None
        if isinstance(items, list) and items and isinstance(items[0], dict) and is_lm_eval_record(items[0]):
            return "lm-eval"
    if stripped.startswith(b"{"):
        data = _whole_json(path)
        if data is not None and "eval" in data and ("samples" in data or "status" in data):
            return "inspect"
        if data is not None and promptfoo_entries(data) is not None:
            return "promptfoo"
        record = data if data is not None else _first_record(path)
        if record is not None:
            if is_lm_eval_record(record):
                return "lm-eval"
            if is_batch_output(record):
                return "openai-batch"
            if is_batch_input(record):
                raise InputFileError(
                    f"{path} is an OpenAI batch INPUT file (requests, no answers)",
                    f"give the batch's output file, with input={path.name} to take the prompts from this one",
                )
            return "jsonl"
    raise InputFileError(f"cannot tell what format {path} is", f"give one of: {known_formats()} (or name it with format=)")


def _choose_model(path: Path, answers: list[ImportedAnswer], model: str | None) -> list[ImportedAnswer]:
    """Only `model`'s answers (answers naming no model are kept); a file of several models must be given one."""
    named = sorted({a.model for a in answers if a.model})
    if model is None:
        if len(named) > 1:
            raise InputFileError(f"{path} holds answers of several models ({', '.join(named)})", "choose one with ?model=NAME (or --model)")
        return answers
    kept = [a for a in answers if a.model in (None, model)]
    if not kept and named:
        raise InputFileError(f"{path} holds no answers of model '{model}'", f"it holds {', '.join(named)}; name one with model=")
    return kept


def read_log(path: Path, format: str | None = None, model: str | None = None, input_path: Path | None = None) -> ImportedLog:
    """Every usable answer in `path`, with the errored and skipped samples counted; a one-line error if it holds none."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputFileError(f"replay file {path} does not exist", "check the path")
    name = canonical_format(format) or detect_format(path)
    if input_path is not None:
        input_path = Path(input_path).expanduser()
        if not input_path.is_file():
            raise InputFileError(f"batch input file {input_path} does not exist", "check input=")
        if name != "openai-batch":
            raise InputFileError(f"input= is only for OpenAI batch output files, and {path} is {name}", "drop input=")
    skipped: Counter = Counter()
    errored = 0
    if name == "inspect":
        from distillscope.imports.inspect_log import read_inspect

        answers, errored, _ = read_inspect(path, skipped)
    elif name == "lm-eval":
        from distillscope.imports.lm_eval_log import read_lm_eval

        answers = read_lm_eval(path, skipped)
    elif name == "openai-batch":
        from distillscope.imports.openai_batch import read_batch_output

        answers, errored = read_batch_output(path, input_path, skipped)
    elif name == "hf-dataset":
        from distillscope.imports.hf_dataset import read_dataset

        answers, errored = read_dataset(path, skipped)
    elif name == "promptfoo":
        from distillscope.imports.promptfoo import read_promptfoo

        data = _whole_json(path)
        if data is None:
            raise InputFileError(f"{path} is not a JSON document", "give the JSON that `promptfoo eval -o` wrote")
        answers, errored = read_promptfoo(path, data, skipped)
    else:
        from distillscope.imports.native import read_native

        answers = read_native(path, model)
    if name != "jsonl":
        answers = _choose_model(path, answers, model)
    fingerprint = content_fingerprint(path, *([input_path] if input_path is not None else []))
    log = ImportedLog(path=str(path), format=name, fingerprint=fingerprint, answers=answers, errored=errored, skipped=skipped)
    if not answers:
        which = f" of model '{model}'" if model else ""
        left = "; ".join(log.summary().split("; ")[1:]) or "it is empty"
        raise InputFileError(
            f"replay file {path} ({name}) holds no answers{which}: {left}", "check the file (errored samples are never used as answers)"
        )
    return log
