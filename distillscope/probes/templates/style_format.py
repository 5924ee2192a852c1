"""Explicit output constraints added to real user requests.

How a model follows "exactly three bullets" or "valid JSON with keys ..." is
one of the places where distilled students keep their teacher's habits.
"""

from __future__ import annotations

import random
from collections.abc import Callable

WORDS = ["clarity", "overall", "first", "honestly", "briefly", "summary", "note", "answer"]
KEY_SETS = [
    ("summary", "key_points", "confidence"),
    ("answer", "reasons"),
    ("title", "steps", "warnings"),
    ("verdict", "pros", "cons"),
    ("short_answer", "long_answer", "sources"),
]


def _json(rng: random.Random) -> str:
    keys = rng.choice(KEY_SETS)
    return f"Respond only with a valid JSON object with exactly these keys: {', '.join(keys)}. No text outside the JSON."


def _table(rng: random.Random) -> str:
    columns = rng.randint(2, 4)
    return f"Present your answer as a Markdown table with exactly {columns} columns and a header row."


def _word_limit(rng: random.Random) -> str:
    return f"Answer in no more than {rng.choice([20, 30, 40, 50, 75, 100])} words."


def _bullets(rng: random.Random) -> str:
    return f"Answer with exactly {rng.randint(2, 7)} bullet points, each starting with '- ', and nothing else."


def _numbered(rng: random.Random) -> str:
    return f"Give your answer as a numbered list of {rng.randint(3, 8)} steps."


def _lowercase(rng: random.Random) -> str:
    return "Write your entire answer in lowercase letters, with no capital letters at all."


def _uppercase(rng: random.Random) -> str:
    return "Write your entire answer in CAPITAL LETTERS."


def _no_commas(rng: random.Random) -> str:
    return "Do not use any commas in your answer."


def _start_with(rng: random.Random) -> str:
    return f"Begin your answer with the word '{rng.choice(WORDS).capitalize()}'."


def _end_with(rng: random.Random) -> str:
    return f'End your answer with the exact sentence: "{rng.choice(["Hope this helps.", "That is all.", "Any other questions?", "End of answer."])}"'


def _sentences(rng: random.Random) -> str:
    return f"Answer in exactly {rng.randint(1, 4)} sentence(s)."


def _headings(rng: random.Random) -> str:
    return f"Structure your answer with {rng.randint(2, 4)} Markdown headings (##) and a short paragraph under each."


def _yaml(rng: random.Random) -> str:
    return "Format the whole answer as YAML, with a top-level key named 'response'."


def _quote(rng: random.Random) -> str:
    return "Wrap your entire answer in double quotation marks."


CONSTRAINTS: dict[str, Callable[[random.Random], str]] = {
    "json": _json,
    "markdown_table": _table,
    "word_limit": _word_limit,
    "bullet_count": _bullets,
    "numbered_steps": _numbered,
    "lowercase": _lowercase,
    "uppercase": _uppercase,
    "no_commas": _no_commas,
    "start_with": _start_with,
    "end_with": _end_with,
    "sentence_count": _sentences,
    "headings": _headings,
    "yaml": _yaml,
    "quoted": _quote,
}


def style_candidates(rng: random.Random, base_prompts: list[dict]) -> list[dict]:
    """One constraint per real base request; constraint kinds rotate so each is well represented."""
    kinds = sorted(CONSTRAINTS)
    out = []
    for index, base in enumerate(base_prompts):
        kind = kinds[index % len(kinds)]
        constraint = CONSTRAINTS[kind](rng)
        out.append(
            {
                "text": f"{base['text'].strip()}\n\n{constraint}",
                "subcategory": kind,
                "language": "en",
                "source": f"template:style/{kind}+{base['source']}",
                "group": kind,
                "base_source": base["source"],
            }
        )
    return out
