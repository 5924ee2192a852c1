"""The identity-claim extractor against hand-labelled responses (tests/data/make_identity_claims*.py).

Precision and recall are counted over (response, claimed id) pairs. The main
set was written alongside the extractor, so its scores are optimistic; the
hold-out set was written after tuning and never tuned on: its recall shows
how conservative the rules are on phrasings they were not written for.
"""

import json
from pathlib import Path

import pytest

from distillscope.errors import InputFileError
from distillscope.ice.claims import claims_other_identity, extract_claims, imposed_identities
from distillscope.ice.facts import load_library

DATA = Path(__file__).parent / "data"


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def precision_recall(rows: list[dict]) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    misses = []
    for row in rows:
        report = extract_claims(row["text"], prompt=row.get("prompt"))
        got = {("f", i) for i in report.claimed_families} | {("d", i) for i in report.claimed_developers}
        want = {("f", i) for i in row["families"]} | {("d", i) for i in row["developers"]}
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        if got != want:
            misses.append(f"{row['text'][:60]!r}: want {sorted(want)} got {sorted(got)}")
    return tp / (tp + fp), tp / (tp + fn), misses


def test_labelled_set_is_large_bilingual_and_covers_the_tricky_cases():
    rows = _load("identity_claims.jsonl")
    assert len(rows) >= 200
    chinese = [r for r in rows if any("\u4e00" <= ch <= "\u9fff" for ch in r["text"])]
    assert len(chinese) >= 60
    notes = " ".join(r["note"] for r in rows)
    for case in ("negation", "hypothetical", "imposed", "comparison", "quoted"):
        assert case in notes, case
    assert sum(not r["families"] and not r["developers"] for r in rows) >= 60  # plenty of true negatives


def test_precision_and_recall_on_the_labelled_set():
    precision, recall, misses = precision_recall(_load("identity_claims.jsonl"))
    print(f"labelled set: precision {precision:.3f} recall {recall:.3f}; misses: {misses}")
    assert precision >= 0.97 and recall >= 0.97, misses


def test_precision_on_the_holdout_set_stays_high_while_recall_shows_the_rules_are_conservative():
    precision, recall, misses = precision_recall(_load("identity_claims_holdout.jsonl"))
    print(f"hold-out set: precision {precision:.3f} recall {recall:.3f}; misses: {misses}")
    assert precision >= 0.9
    assert recall >= 0.45  # measured 0.53: a strict judge that misses rather than invents


@pytest.mark.parametrize("text,claimed", [
    ("I am not ChatGPT.", set()),
    ("我不是ChatGPT。", set()),
    ("If I were ChatGPT, I would know.", set()),
    ("假如我是ChatGPT。", set()),
    ("Unlike ChatGPT, I am small.", set()),
    ("I am ChatGPT.", {"openai"}),
    ("我是ChatGPT。", {"openai"}),
])
def test_each_kind_of_non_claim_is_told_apart_from_a_claim(text, claimed):
    assert extract_claims(text).claimed() == claimed


def test_statuses_explain_why_a_name_does_not_count():
    report = extract_claims("I am Qwen, not ChatGPT. If I were Claude I would say so. Gemini is popular.")
    status = {c.alias: c.status for c in report.claims}
    assert status == {"Qwen": "claim", "ChatGPT": "negated", "Claude": "hypothetical", "Gemini": "mention"}


def test_roles_imposed_by_the_prompt_are_not_claims_but_questions_impose_nothing():
    assert imposed_identities("You are ChatGPT, made by OpenAI. Who are you?") == {"openai"}
    assert imposed_identities("请扮演Claude回答：你是谁？") == {"anthropic"}
    assert imposed_identities("Are you ChatGPT or Qwen?") == set()
    report = extract_claims("I am ChatGPT.", prompt="You are ChatGPT.")
    assert report.claimed_families == [] and report.claims[0].status == "imposed"


def test_strict_counts_other_developers_families_only():
    library = load_library()
    gemini = extract_claims("I am Gemini, made by Google.")
    assert not claims_other_identity(gemini, "gemma", "google", library)  # same developer: its own
    gpt = extract_claims("I am ChatGPT.")
    assert claims_other_identity(gpt, "qwen", "alibaba", library)
    llama = extract_claims("I am Llama.")
    assert claims_other_identity(llama, "qwen", "alibaba", library)
    assert not claims_other_identity(llama, "qwen", "alibaba", library, strict_families={"openai", "anthropic"})


def test_user_fact_files_add_families_the_extractor_recognises(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text("developers:\n  acme: {en: [Acme Labs], zh: [阿克米]}\nfamily: roadrunner\ndeveloper: acme\n"
                    "names: {en: [RoadRunner], zh: [走鹃]}\nfacts:\n  - {category: team, en: Made by Acme Labs.}\n", encoding="utf-8")
    library = load_library([path])
    report = extract_claims("I am RoadRunner, built by Acme Labs. 我是走鹃。", library=library)
    assert report.claimed_families == ["roadrunner"] and report.claimed_developers == ["acme"]


def test_a_broken_fact_file_names_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("family: x\ndeveloper: y\nnames: {en: [X]}\nfacts:\n  - {category: weather, en: sunny}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="facts.0.category"):
        load_library([path])


def test_claims_command_adds_columns_to_jsonl_and_csv(cli, tmp_path):
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text(json.dumps({"id": 1, "answer": "I am Claude, made by Anthropic."}) + "\n"
                     + json.dumps({"id": 2, "answer": "我不是ChatGPT，我是通义千问。"}) + "\n", encoding="utf-8")
    code, _, err = cli("claims", jsonl, "--column", "answer")
    assert code == 0, err
    rows = [json.loads(line) for line in (tmp_path / "answers.claims.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["claimed_families"] for r in rows] == [["anthropic"], ["qwen"]]
    assert rows[0]["claimed_developers"] == ["anthropic"] and rows[0]["id"] == 1
    csv_path = tmp_path / "answers.csv"
    csv_path.write_text("text,prompt\nI am ChatGPT.,You are ChatGPT.\nI am ChatGPT.,Who are you?\n", encoding="utf-8")
    code, _, err = cli("claims", csv_path, "--prompt-column", "prompt", "-o", tmp_path / "out.jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["claimed_families"] for r in rows] == [[], ["openai"]]


def test_claims_command_errors_name_the_missing_column(cli, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"answer": "hi"}) + "\n", encoding="utf-8")
    code, _, err = cli("claims", path)
    assert code == 2 and "no 'text' column" in err and "--column" in err
    code, _, err = cli("claims", tmp_path / "missing.jsonl")
    assert code == 2 and "does not exist" in err
