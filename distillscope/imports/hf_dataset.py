"""Hugging Face datasets: a Parquet or Arrow file, or a `save_to_disk` directory, with prompt and response columns.

Columns are found by name: the prompt (`prompt`, `question`, `instruction`,
`input`, `text`; Alpaca's `instruction` with its `input` joined), an optional `system`, the answer (`response`, `output`,
`completion`, `answer`, `generation`), or one chat column (`messages` or
`conversations`: a list of {role, content}; the last assistant turn is the
answer, the turns before it the prompt). Optional: an id column (`id`,
`sample_id`, `prompt_id`), `sample_index`, `model`, and `error` (a row with
one is errored: counted, never used). Rows repeating a prompt with no id and
no `sample_index` are that prompt's samples 0, 1, ...
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from distillscope.errors import InputFileError
from distillscope.imports.normalise import split_messages, split_prompt
from distillscope.imports.records import ImportedAnswer

PROMPT_COLUMNS = ("prompt", "question", "instruction", "input", "text")
ANSWER_COLUMNS = ("response", "output", "completion", "answer", "generation")
CHAT_COLUMNS = ("messages", "conversations", "conversation")
ID_COLUMNS = ("id", "sample_id", "prompt_id")


def _rows(path: Path) -> list[dict]:
    from distillscope.extras import require

    if path.is_dir():
        datasets = require("datasets", purpose="reading a Hugging Face dataset directory")
        try:
            loaded = datasets.load_from_disk(str(path))
        except Exception as exc:  # noqa: BLE001 - datasets raises FileNotFoundError, ValueError, ... for a foreign directory
            raise InputFileError(
                f"{path} is not a saved Hugging Face dataset ({str(exc)[:120]})", "give a save_to_disk directory, .parquet or .arrow"
            ) from None
        if hasattr(loaded, "keys"):  # a DatasetDict: the one split, or refuse to guess
            if len(loaded) != 1:
                raise InputFileError(f"{path} holds several splits ({', '.join(loaded)})", "give the directory of one split")
            loaded = next(iter(loaded.values()))
        return loaded.to_list()
    pyarrow = require("pyarrow", purpose="reading Parquet/Arrow datasets")
    try:
        with path.open("rb") as handle:
            parquet = handle.read(4) == b"PAR1"
        if parquet:
            import pyarrow.parquet as pq

            table = pq.read_table(str(path))
        else:
            import pyarrow.ipc as ipc

            try:
                table = ipc.open_stream(pyarrow.memory_map(str(path))).read_all()
            except pyarrow.ArrowInvalid:
                table = ipc.open_file(pyarrow.memory_map(str(path))).read_all()
    except (OSError, pyarrow.ArrowException) as exc:
        raise InputFileError(f"{path} is not a readable Parquet/Arrow file ({str(exc)[:120]})", "check the file") from None
    return table.to_pylist()


def _first(row: dict, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in row), None)


def read_dataset(path: Path, skipped: Counter) -> tuple[list[ImportedAnswer], int]:
    rows = _rows(path)
    if not rows:
        return [], 0
    columns = rows[0]
    chat, prompt_column, answer_column = _first(columns, CHAT_COLUMNS), _first(columns, PROMPT_COLUMNS), _first(columns, ANSWER_COLUMNS)
    if not (answer_column and prompt_column) and not chat:
        raise InputFileError(
            f"{path}: no prompt and response columns (its columns: {', '.join(columns)})",
            f"name them one of {', '.join(PROMPT_COLUMNS)} and {', '.join(ANSWER_COLUMNS)}, or give a {' / '.join(CHAT_COLUMNS)} column",
        )
    id_column = _first(columns, ID_COLUMNS)
    seen: dict[tuple, int] = defaultdict(int)
    answers, errored = [], 0
    for number, row in enumerate(rows):
        if row.get("error"):
            errored += 1
            continue
        if answer_column and prompt_column:
            answer = row.get(answer_column)
            raw = str(row.get(prompt_column) or "")
            if prompt_column == "instruction" and str(row.get("input") or "").strip():  # Alpaca: the input is part of the prompt
                raw = f"{raw}\n\n{row['input']}"
            system, text = split_prompt(raw)
            system = row.get("system") or system
        else:
            turns = [
                (str(m.get("role") or m.get("from") or "user"), str(m.get("content") or m.get("value") or "")) for m in row.get(chat) or []
            ]
            turns = [("assistant" if r == "gpt" else "user" if r == "human" else r, c) for r, c in turns]
            last = max((i for i, (r, _) in enumerate(turns) if r == "assistant"), default=None)
            answer = turns[last][1] if last is not None else None
            system, text = split_messages(turns[:last] if last is not None else turns)
        if not isinstance(answer, str) or not answer.strip():
            skipped["rows with no answer"] += 1
            continue
        if not text.strip():
            skipped["rows with no prompt text"] += 1
            continue
        sample_id = None if not id_column or row.get(id_column) in (None, "") else str(row[id_column])
        if row.get("sample_index") is not None:
            index = int(row["sample_index"])
        else:
            group = (sample_id, system, text)
            index, seen[group] = seen[group], seen[group] + 1
        answers.append(
            ImportedAnswer(
                text=text,
                system=system,
                sample_id=sample_id,
                doc=sample_id if sample_id is not None else None,
                sample_index=index,
                answer=answer,
                model=row.get("model"),
            )
        )
    return answers, errored
