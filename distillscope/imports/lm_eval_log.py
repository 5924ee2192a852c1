"""lm-evaluation-harness `--log_samples` files (`samples_<task>_<time>.jsonl`), plain JSONL read by hand.

A line is one document: `doc_id`, the `doc`, the `arguments` the model saw
(`gen_args_0.arg_0`, or `[[context, kwargs]]` in older versions) and `resps`
(one list of repeats per request). Only generation tasks hold answers; a
log-likelihood (multiple-choice) line holds scores, not text, and is skipped
with that reason. The context is the string the model was given, so its chat
template and `Question: ... Answer:` frame are removed before pairing; a
document's own `id` field, where it has one, is its sample id.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from distillscope.errors import InputFileError
from distillscope.imports.normalise import split_prompt
from distillscope.imports.records import ImportedAnswer
from distillscope.records import read_records

ID_FIELDS = ("id", "sample_id", "question_id", "task_id")


def _requests(arguments: object) -> list[tuple[object, object]]:
    """The (prompt, generation settings) pairs of a record's `arguments`: a dict or a list, by lm-eval version."""
    if isinstance(arguments, dict):
        return [(a.get("arg_0"), a.get("arg_1")) for a in arguments.values() if isinstance(a, dict)]
    if isinstance(arguments, list):
        return [tuple(a[:2]) if isinstance(a, list) and len(a) >= 2 else (a, None) for a in arguments]
    return []


def is_lm_eval_record(record: dict) -> bool:
    return "doc_id" in record and ("resps" in record or "arguments" in record)


def _records(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    """JSONL (lm-eval >= 0.4.2), or the JSON array older versions wrote."""
    with path.open("rb") as handle:
        array = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
    if not array:
        return read_records(path, "lm-eval samples")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path} is not valid JSON ({exc})", "give the samples file lm-eval wrote") from None
    return [(number, record if isinstance(record, dict) else {}) for number, record in enumerate(data if isinstance(data, list) else [], 1)]


def read_lm_eval(path: Path, skipped: Counter) -> list[ImportedAnswer]:
    answers = []
    for number, record in _records(path):
        if not is_lm_eval_record(record):
            raise InputFileError(
                f"{path} line {number}: not an lm-eval sample (no doc_id and resps)", "give the samples_*.jsonl that --log_samples wrote"
            )
        requests = _requests(record.get("arguments"))
        if not requests or not isinstance(requests[0][0], str) or isinstance(requests[0][1], str):
            skipped["log-likelihood samples (scores, no generated text)"] += 1
            continue
        resps = record.get("resps") or []
        repeats = resps[0] if resps and isinstance(resps[0], list) else resps
        doc = found if isinstance(found := record.get("doc"), dict) else {}
        sample_id = next((str(doc[f]) for f in ID_FIELDS if doc.get(f) not in (None, "")), None)
        system, text = split_prompt(requests[0][0])
        if not text.strip():
            skipped["samples with no prompt text"] += 1
            continue
        for index, answer in enumerate(repeats):
            if not isinstance(answer, str) or not answer.strip():
                skipped["empty answers"] += 1
                continue
            answers.append(
                ImportedAnswer(text=text, system=system, sample_id=sample_id, doc=str(record["doc_id"]), sample_index=index, answer=answer)
            )
    return answers
