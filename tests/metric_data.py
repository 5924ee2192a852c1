"""Realistic replay data for metric tests: built-in models' answers to 24 probe prompts.

qwen_greedy and qwen_t07 are the same model (greedy, and sampled at temperature
0.7); smollm2_greedy is a different model family. Made once with the built-ins.
"""

from __future__ import annotations

import json
from pathlib import Path

from distillscope.types import Prompt

DATA = Path(__file__).parent / "data" / "replay_pairs.jsonl"


def load_pairs() -> tuple[list[Prompt], dict[str, list[str]]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    prompts = [Prompt(text=r["prompt"], category=r["category"]) for r in rows]
    columns = {key: [r[key] for r in rows] for key in ("qwen_greedy", "qwen_t07", "smollm2_greedy")}
    return prompts, columns


def rotated(texts: list[str]) -> list[str]:
    """Each answer paired with the next prompt's answer: a shuffled pairing."""
    return texts[1:] + texts[:1]
