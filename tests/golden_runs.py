"""Golden runs: the metric commands on mock and replay fixtures, reduced to the numbers they write.

The pipeline refactor (one Workspace, one Metric protocol, typed results) must
not change a number any command writes. Results are compared as multisets of
their numeric leaves, rounded, minus timings and timestamps: key order, nesting
and added fields may change, the measured numbers may not. tests/data/golden_numbers.json
was recorded with the code before the refactor (`DISTILLSCOPE_RECORD_GOLDEN=1 pytest
tests/test_golden.py`); re-record only when a number is meant to change, and say why.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from metric_data import load_pairs

TIMING_WORDS = ("seconds", "created_at", "elapsed", "tok_per_s", "latency")
ICE = ["-t", "mock/target?ice=target", "--helper", "mock/helper?ice=helper", "-j", "mock/judge?ice=judge"]


def numbers(value, key: str = "") -> list[float]:
    """Every numeric leaf (bools excluded), rounded to 6 places, skipping timing keys."""
    if "/" not in key and any(word in key for word in TIMING_WORDS):
        return []
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in numbers(v, str(k))]
    if isinstance(value, list):
        return [x for v in value for x in numbers(v, key)]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    return [round(float(value), 6)]


def replay_files(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    prompts, texts = load_pairs()
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps({"text": p.text, "category": p.category}) + "\n" for p in prompts), encoding="utf-8")
    files = {}
    for column in ("qwen_greedy", "smollm2_greedy"):
        path = tmp_path / f"{column}.jsonl"
        path.write_text(
            "".join(json.dumps({"prompt": p.text, "response": t}) + "\n" for p, t in zip(prompts, texts[column])), encoding="utf-8"
        )
        files[column] = f"replay/{path}"
    return suite, files


def run_all(cli, tmp_path: Path) -> dict[str, list[float]]:
    """Each command's written numbers, sorted (a multiset)."""
    suite, files = replay_files(tmp_path)
    teacher, student = files["qwen_greedy"], files["smollm2_greedy"]
    commands = {
        "similarity": [
            "similarity",
            "--reference",
            teacher,
            "--student",
            student,
            "--suite",
            suite,
            "--n",
            "12",
            "--split",
            "all",
            "--ladder-n",
            "0",
        ],
        "rse": [
            "rse",
            "--reference",
            teacher,
            "--student",
            student,
            "--judge",
            "mock/j?judge=rse",
            "--suite",
            suite,
            "--n",
            "12",
            "--split",
            "all",
            "--swap-n",
            "4",
        ],
        "indist": [
            "indist",
            "--teacher",
            teacher,
            "--student",
            student,
            "--suite",
            suite,
            "--adversaries",
            "style,embed,mmd",
            "--n",
            "5",
            "--n-train",
            "5",
        ],
        "indist-mock": [
            "indist",
            "--teacher",
            "mock/alpha",
            "--student",
            "mock/beta",
            "--adversaries",
            "style,embed,mmd",
            "--n",
            "30",
            "--n-train",
            "30",
            "--max-tokens",
            "32",
        ],
        "sequential": [
            "indist",
            "--sequential",
            "--teacher",
            "mock/alpha",
            "--student",
            "mock/beta",
            "--max-queries",
            "120",
            "--batch",
            "10",
            "--max-tokens",
            "32",
        ],
        "ice": ["ice", *ICE, "--facts", "qwen", "--budget", "20"],
    }
    out: dict[str, list[float]] = {}
    for name, args in commands.items():
        path = tmp_path / f"{name}.json"
        code, _, err = cli(*args, "--out", path, "--no-progress")
        assert code == 0, f"{name}: {err}"
        out[name] = sorted(numbers(measured(json.loads(path.read_text(encoding="utf-8")))))
    config = {
        "teacher": "mock/alpha",
        "students": ["mock/beta"],
        "judge": "mock/judge?judge=auto",
        "facts": {"mock/beta": "qwen"},
        "n": 20,
        "n_train": 20,
        "ice_budget": 10,
        "max_tokens": 32,
        "swap_n": 2,
        "pairwise_judges": {"mock/beta": "mock/judge?judge=auto"},
    }
    path = tmp_path / "audit.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    code, _, err = cli("audit", "--config", path, "-o", tmp_path / "audit", "--no-progress")
    assert code == 0, f"audit: {err}"
    out["audit"] = sorted(numbers(measured(json.loads((tmp_path / "audit" / "results.json").read_text(encoding="utf-8")))))
    return out


def measured(data: dict) -> dict:
    """The measured part of a results file: `results` in schema 1, the students and the controls since."""
    return data["results"] if "results" in data else {"students": data["students"], "controls": data.get("controls")}


def missing_numbers(golden: list[float], now: list[float]) -> list[float]:
    """Golden numbers the new run no longer writes (with multiplicity)."""
    return sorted((Counter(golden) - Counter(now)).elements())
