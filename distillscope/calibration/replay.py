"""A simulated paired dataset written as files the CLI reads: a prompt suite and one replay JSONL per model.

Prompts come in topics (ten word pools); every answer to a prompt, from either
model and any sample index, draws its words from that prompt's topic, so two
answers to one prompt resemble each other far more than answers to different
prompts. With `shifted` half of the student's answers (at random) are a list
that opens with "Sure!".
Running `distillscope indist --teacher replay/DIR/teacher.jsonl --student
replay/DIR/student.jsonl --suite DIR/suite.jsonl` on it exercises the whole
path: runner, store, pairing by (prompt, sample index), adversaries and the MMD test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from distillscope.calibration.simulate import TOPICS, answer_text


def write_replay_dataset(directory: Path, prompts: int = 60, samples: int = 2, shifted: bool = False, seed: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    suite, teacher, student = [], [], []
    for i in range(prompts):
        pool = TOPICS[i % len(TOPICS)].split()
        topic_words = list(rng.choice(pool, 4, replace=False)) + [f"item{i}"]
        text = f"Question {i}: tell me about {' and '.join(topic_words[:2])}."
        suite.append({"text": text, "category": f"topic{i % 5}", "split": "train" if i % 2 else "test"})
        for j in range(samples):
            teacher.append({"prompt": text, "sample_index": j, "response": answer_text(rng, topic_words, False)})
            shift_this = shifted and rng.random() < 0.5
            student.append({"prompt": text, "sample_index": j, "response": answer_text(rng, topic_words, shift_this)})
    for name, rows in (("suite", suite), ("teacher", teacher), ("student", student)):
        (directory / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return directory
