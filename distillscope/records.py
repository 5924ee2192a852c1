"""Shared records, the lowest layer every other one reads: paired answers and JSONL/CSV record files.

`Paired` is what every metric compares: both models' answers to the same
prompts, one row per (prompt, sample index). Teacher and student answer the
*same* prompts, and two answers to one prompt resemble each other far more than
answers to different prompts (METHODS.md section 7), so every test and interval
needs to know which rows belong to one prompt: `clusters` names the prompt of
each row. With one sample per prompt (greedy answers) a row is a prompt.

`read_records` reads prompt and response files (JSONL or CSV) with
line-numbered errors: a malformed line stops the run before anything is sent,
naming the file, the line and what to change, because a silently skipped
prompt shifts the prompt distribution every metric is stated over.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from distillscope.errors import InputFileError
from distillscope.types import Prompt

CSV_FIELD_LIMIT = 2**31 - 1  # the largest the csv module accepts on every platform (a C long)


class Paired(BaseModel):
    """Rows of (prompt, teacher answer, student answer, sample index); a prompt repeats once per sample index."""

    prompts: list[Prompt]
    teacher: list[str]
    student: list[str]
    #: sample index of each row (empty: every row is sample 0)
    sample_index: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _aligned(self) -> "Paired":
        if not self.sample_index:
            self.sample_index = [0] * len(self.prompts)
        if not len(self.prompts) == len(self.teacher) == len(self.student) == len(self.sample_index):
            raise ValueError("prompts, teacher, student and sample_index must have one entry per row")
        return self

    @property
    def clusters(self) -> list[str]:
        """The prompt id of each row: rows sharing it are not independent."""
        return [p.id for p in self.prompts]

    @property
    def n_prompts(self) -> int:
        return len(set(self.clusters))

    @property
    def samples_per_prompt(self) -> int:
        """The largest number of rows any prompt has (1 for greedy answers)."""
        counts: dict[str, int] = {}
        for cluster in self.clusters:
            counts[cluster] = counts.get(cluster, 0) + 1
        return max(counts.values(), default=0)

    def rows(self, indices: Sequence[int]) -> "Paired":
        return Paired(
            prompts=[self.prompts[i] for i in indices],
            teacher=[self.teacher[i] for i in indices],
            student=[self.student[i] for i in indices],
            sample_index=[self.sample_index[i] for i in indices],
        )

    @classmethod
    def from_answers(
        cls,
        prompts: Sequence[Prompt],
        teacher: Sequence[str | None | Sequence[str | None]],
        student: Sequence[str | None | Sequence[str | None]],
    ) -> tuple["Paired", int]:
        """Keep every (prompt, sample index) both models answered; also return how many were dropped.

        Each entry of `teacher`/`student` is one answer (sample 0) or a list of
        answers indexed by sample index (`runner.answer_samples`). Sample j of
        the teacher is paired with sample j of the student, never with another
        prompt's or another index's answer.
        """
        rows: list[tuple[Prompt, str, str, int]] = []
        dropped = 0
        for prompt, t_answers, s_answers in zip(prompts, teacher, student, strict=True):
            t_list = [t_answers] if t_answers is None or isinstance(t_answers, str) else list(t_answers)
            s_list = [s_answers] if s_answers is None or isinstance(s_answers, str) else list(s_answers)
            if len(t_list) != len(s_list):
                raise ValueError(f"prompt {prompt.id}: {len(t_list)} teacher samples but {len(s_list)} student samples")
            for index, (t_text, s_text) in enumerate(zip(t_list, s_list)):
                if t_text is None or s_text is None:
                    dropped += 1
                else:
                    rows.append((prompt, t_text, s_text, index))
        return cls(
            prompts=[r[0] for r in rows], teacher=[r[1] for r in rows], student=[r[2] for r in rows], sample_index=[r[3] for r in rows]
        ), dropped


def read_records(path: str | Path, what: str = "prompts") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) from a .jsonl/.json-lines or .csv file."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputFileError(f"{what} file {path} does not exist", "check the path")
    if path.is_dir():
        raise InputFileError(f"{what} file {path} is a directory", "give a .jsonl or .csv file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield from _read_csv(path, what)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            yield from _read_jsonl(path, what)
        else:
            raise InputFileError(f"{what} file {path} has an unknown extension '{suffix}'", "use .jsonl or .csv")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{what} file {path} is not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc


class _NotText(ValueError):
    """A JSON value Python parses but nothing downstream can hold: NaN/Infinity, a number too large, a lone surrogate."""


def _refuse_constant(name: str) -> float:
    raise _NotText(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotText(f"the number {text[:20]}{'...' if len(text) > 20 else ''} is too large")
    return value


def holds_lone_surrogate(record: Any) -> bool:
    """Does any key or string in the record hold a lone surrogate (JSON's "\\ud800"), which no UTF-8 file or SQLite row can hold?

    Iterative, so a deeply nested record cannot exhaust the stack here either.
    """
    pending = [record]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _parse_line(line: str) -> Any:
    """One JSON line, refusing what standard JSON is not (NaN, Infinity, numbers beyond a float, lone surrogates)."""
    try:
        record = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise _NotText("the JSON is nested too deeply") from None
    except (json.JSONDecodeError, _NotText):
        raise
    except ValueError:  # an integer of more digits than Python converts to int (sys.get_int_max_str_digits)
        raise _NotText("an integer has too many digits") from None
    if holds_lone_surrogate(record):
        raise _NotText("a string holds a lone surrogate escape (\\ud800-\\udfff), which is not text")
    return record


def _read_jsonl(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # utf-8-sig: Windows editors and Excel start files with a byte-order mark, which is not part of the data
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = _parse_line(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(
                    f"{path} line {number}: invalid JSON ({exc.msg} at column {exc.colno})",
                    f"make each line of the {what} file one JSON object",
                ) from None
            except _NotText as exc:
                raise InputFileError(f"{path} line {number}: {exc}", f"write that value as standard JSON text in the {what} file") from None
            if not isinstance(record, dict):
                raise InputFileError(
                    f"{path} line {number}: expected a JSON object, got {type(record).__name__}",
                    'write objects like {"text": "..."}',
                )
            yield number, record


def _read_csv(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # utf-8-sig: a byte-order mark would otherwise become part of the first column's name ("\ufefftext")
    # a prompt may be a long document: the csv module's default field limit (128 KiB) is not ours (JSONL has none)
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            if not reader.fieldnames:
                raise InputFileError(f"{what} file {path} has no header row", "add a header row naming the columns")
            for record in reader:
                if None in record:
                    raise InputFileError(
                        f"{path} line {reader.line_num}: more fields than the header has columns",
                        "quote fields that contain commas",
                    )
                yield reader.line_num, {k: v for k, v in record.items() if v not in (None, "")}
        except csv.Error as exc:
            raise InputFileError(
                f"{path} line {reader.line_num}: not valid CSV ({exc})", f"save the {what} file as CSV with a header row"
            ) from None
