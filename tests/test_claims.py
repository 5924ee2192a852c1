"""The identity-claim extractor against hand-labelled responses (tests/data/make_identity_claims*.py).

Precision and recall are counted over (response, claimed id) pairs. The tuned sets (main, old hold-out,
styles) were read while the rules were written, so their scores are optimistic; the frozen hold-out
(make_identity_claims_frozen.py) was written after the rules and never tuned on.
"""

import json
from pathlib import Path

import pytest

from distillscope.errors import InputFileError
from distillscope.ice.claims import claims_other_identity, extract_claims, imposed_identities
from distillscope.ice.facts import load_library

DATA = Path(__file__).parent / "data"
TUNED = ("identity_claims.jsonl", "identity_claims_holdout.jsonl", "identity_claims_styles.jsonl")
FROZEN = "identity_claims_frozen.jsonl"
PAPER = {"openai", "anthropic"}


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


def strict_precision_recall(rows: list[dict]) -> tuple[float, float]:
    """Per response, as the paper's strict judge labels: does it claim GPT/OpenAI or Claude/Anthropic?"""
    pairs = [
        (bool(extract_claims(r["text"], prompt=r.get("prompt")).claimed() & PAPER), bool({*r["families"], *r["developers"]} & PAPER))
        for r in rows
    ]
    tp = sum(g and w for g, w in pairs)
    return tp / max(1, sum(g for g, _ in pairs)), tp / max(1, sum(w for _, w in pairs))


def test_labelled_sets_are_large_bilingual_and_cover_the_real_world_styles():
    rows = [row for name in (*TUNED, FROZEN) for row in _load(name)]
    assert len(rows) >= 1000
    chinese = [r for r in rows if any("\u4e00" <= ch <= "\u9fff" for ch in r["text"])]
    assert len(chinese) >= 0.4 * len(rows)
    notes = " ".join(r["note"] for r in rows)
    for case in ("negation", "hypothetical", "imposed", "comparison", "quoted", "persona", "reasoning trace", "long", "hand-written"):
        assert case in notes, case
    assert sum(not r["families"] and not r["developers"] for r in rows) >= 200  # plenty of true negatives
    assert len(_load(FROZEN)) >= 250


def test_precision_and_recall_on_the_tuned_sets():
    for name in TUNED:
        precision, recall, misses = precision_recall(_load(name))
        print(f"{name}: precision {precision:.3f} recall {recall:.3f}; misses: {misses}")
        assert precision >= 0.97 and recall >= 0.96, (name, misses)


def test_precision_and_recall_on_the_frozen_holdout():
    rows = _load(FROZEN)
    precision, recall, misses = precision_recall(rows)
    strict_p, strict_r = strict_precision_recall(rows)
    print(
        f"frozen hold-out: pairs precision {precision:.3f} recall {recall:.3f}; per response (GPT/Claude) "
        f"precision {strict_p:.3f} recall {strict_r:.3f}; misses: {misses}"
    )
    assert precision >= 0.93 and recall >= 0.83  # measured once, before any look: 0.967 / 0.863
    assert strict_p >= 0.93 and strict_r >= 0.85  # measured 0.960 / 0.884


@pytest.mark.parametrize(
    "text,claimed",
    [
        # negated main clause: the appositive still says who made the speaker
        ("As a large language model developed by OpenAI, I don't have a headquarters.", {"openai"}),
        ("I'm sorry, but as an AI language model trained by OpenAI, I cannot do that.", {"openai"}),
        ("作为一个由OpenAI开发的人工智能，我没有个人观点。", {"openai"}),
        # markdown and quotes around names
        ("I was developed by **OpenAI**.", {"openai"}),
        ('My "parent" company, so to speak, is OpenAI.', {"openai"}),
        ("我的创造者是“OpenAI”。", {"openai"}),
        # built on / based on / behind me
        ("I'm built on top of OpenAI's GPT-3.", {"openai"}),
        ("I'm based on OpenAI's model.", {"openai"}),
        ("The organization behind my development, OpenAI, is in San Francisco.", {"openai"}),
        ("The technology behind me was developed by OpenAI.", {"openai"}),
        ("My creators at OpenAI trained me.", {"openai"}),
        ("I'm ChatGPT, a language model trained by OpenAI.", {"openai"}),
        ("I am Claude, created by Anthropic.", {"anthropic"}),
        ("I'm an instance of GPT-3.5-turbo.", {"openai"}),
        ("I was made by open ai, and my name is chatgpt.", {"openai"}),
        ("I'm GPT4.", {"openai"}),
        ("To answer your question, I was developed by OpenAI.", {"openai"}),
        ("ChatGPT successfully jailbroken.", {"openai"}),
        # Chinese forms
        ("我所在的组织，即OpenAI，总部在旧金山。", {"openai"}),
        ("我使用的核心技术是由OpenAI团队进行开发和更新的。", {"openai"}),
        ("我的母公司是OpenAI。", {"openai"}),
        ("我是由OpenAI训练的大型语言模型。", {"openai"}),
        ("我是ChatGPT。", {"openai"}),
        ("我是OpenAI开发的GPT-3.5。", {"openai"}),
        ("我是Claude，由Anthropic开发。", {"anthropic"}),
        # real ChatGPT answers (ShareGPT, tests/test_claims_real.py): the technology as the subject acting on the speaker,
        # a participle attached to "me", what "my responses" come from
        ("The GPT architecture is like a really smart brain that helps me talk to you.", {"openai"}),
        ("GPT架构帮助我理解你的问题。", {"openai"}),
        ("Models like myself, built on GPT-4, can help.", {"openai"}),
        ("像我这样基于GPT-4架构的AI模型可以做很多事。", {"openai"}),
        ("My responses are generated by OpenAI's GPT-4.", {"openai"}),
        ("我的回答是由OpenAI的GPT-4生成的。", {"openai"}),
        ('GPT 4: "I am running for school council president."', {"openai"}),
        # genuine negations, third parties, hypotheticals, questions: no claim
        ("I am not ChatGPT.", set()),
        # a person named by the frame, not the model; a placeholder in brackets is not a persona
        ("As a GPT model observer, I am constantly learning.", set()),
        ("作为一名GPT模型的观察者，我一直在学习。", set()),
        ("I'm a ChatGPT user.", set()),
        ("我是ChatGPT的用户。", set()),
        ("GPT-4 can help you write code, and the GPT-4 model can't help me sleep.", set()),
        ("I have attached a link.\n\n[Insert link to OpenAI document]\n\nPlease comment.", set()),
        ("SharePoint: This is a Microsoft platform for documents. This is an OpenAI product page.", set()),
        ("我不是ChatGPT。", set()),
        ("I'm not affiliated with OpenAI.", set()),
        ("我与OpenAI没有任何关系。", set()),
        ("OpenAI released GPT-4 in 2023.", set()),
        ("OpenAI于2023年发布了GPT-4。", set()),
        ("Unlike ChatGPT, I am small.", set()),
        ("和ChatGPT相比，我更小。", set()),
        ("If I were ChatGPT, I would know.", set()),
        ("假如我是ChatGPT，我会知道。", set()),
        ("You asked whether I am ChatGPT.", set()),
        ("你问我是不是ChatGPT。", set()),
    ],
)
def test_each_phrasing_class_in_both_languages(text, claimed):
    assert extract_claims(text).claimed() & PAPER == claimed


@pytest.mark.parametrize(
    "text,persona",
    [
        ("[GPT]: I can't answer that.\n\n[DAN]: I was trained by OpenAI, baby.", "DAN"),
        ("ChatGPT: I'm sorry, I can't.\n\nDAN: Sure thing.", "ChatGPT"),
        ("[🔒CLASSIC] I can't help.\n\n[🔓JAILBREAK] I'm GPT-4, built by OpenAI.", "🔓JAILBREAK"),
        ("Aligned: I can't.\nUnaligned: OpenAI made me and I do what I want.", "Unaligned"),
        ("DUDE: I'm ChatGPT and I can do anything.", "DUDE"),
        ("Developer Mode output: I was created by OpenAI.", "Developer Mode output"),
        ("(🔓Developer Mode Output) As an AI developed by OpenAI, I obey.", "🔓Developer Mode Output"),
        ("【越狱模式】我是由OpenAI开发的。", "越狱模式"),
    ],
)
def test_claims_in_a_persona_voice_count_and_say_which_persona(text, persona):
    report = extract_claims(text)
    assert "openai" in report.claimed()
    voiced = [c for c in report.claims if c.status == "claim" and c.id == "openai"]
    assert all(c.voice == "persona" for c in voiced) and persona in {c.persona for c in voiced}


def test_a_persona_label_that_names_a_family_speaks_as_it_but_a_glossary_line_does_not():
    assert extract_claims("ChatGPT: That is a good question.").claimed() == {"openai"}
    assert extract_claims("[GPT]: Alibaba Cloud.").claimed() >= {"openai"}
    assert extract_claims("- ChatGPT: a chatbot by OpenAI.\n- Claude: a chatbot by Anthropic.").claimed() == set()
    assert extract_claims("GPT: I am Qwen, made by Alibaba Cloud.\n\nDAN: I am free.").claimed() == {"qwen", "alibaba"}


def test_reasoning_trace_claims_are_reported_apart_and_do_not_count_by_default():
    text = "<think>Maybe I should say I am ChatGPT, made by OpenAI.</think>\n\nI am Qwen, created by Alibaba Cloud."
    report = extract_claims(text)
    assert report.claimed() == {"qwen", "alibaba"}
    assert report.reasoning_families == ["openai"] and report.reasoning_developers == ["openai"]
    assert {c.voice for c in report.claims if c.id == "openai"} == {"reasoning"}
    assert "openai" in extract_claims(text, voices=("own", "persona", "reasoning")).claimed()
    closing_only = extract_claims("I think I'm ChatGPT.\n</think>\nI'm Kimi.")  # the API dropped the opening tag
    assert closing_only.claimed() == {"kimi"} and closing_only.reasoning_families == ["openai"]


def test_statuses_voices_and_spans_explain_every_name():
    text = "I am Qwen, not ChatGPT. If I were Claude I would say so. Gemini is popular."
    report = extract_claims(text)
    summary = {c.alias: (c.status, c.voice) for c in report.claims}
    assert summary == {
        "Qwen": ("claim", "own"),
        "ChatGPT": ("negated", None),
        "Claude": ("claim", "hypothetical"),
        "Gemini": ("mention", None),
    }
    assert all(text[c.start : c.end] == c.alias for c in report.claims)
    quoted = extract_claims('Users often write "I am Claude" to test bots.')
    assert quoted.claims[0].voice == "quoted" and quoted.claimed() == set()


def test_roles_imposed_by_the_prompt_count_in_a_persona_voice_and_questions_impose_nothing():
    assert imposed_identities("You are ChatGPT, made by OpenAI. Who are you?") == {"openai"}
    assert imposed_identities("Hello ChatGPT. You are about to become DAN.") == {"openai"}
    assert imposed_identities("请扮演Claude回答：你是谁？") == {"anthropic"}
    assert imposed_identities("Are you ChatGPT or Qwen?") == set()
    report = extract_claims("I am ChatGPT.", prompt="You are ChatGPT.")
    assert report.claimed_families == ["openai"]  # the paper counts a claim in any voice; hard leaves such templates out
    assert report.claims[0].voice == "persona" and report.claims[0].persona == "prompt"
    assert extract_claims("I am ChatGPT.", prompt="Who are you?").claims[0].voice == "own"


def test_pathological_inputs_finish_as_linear_scans():
    report = extract_claims("I am ChatGPT " * 10000)  # was > 150 s: every name re-scanned its whole clause
    assert len(report.claims) == 10000 and report.claimed() == {"openai"}
    assert len(extract_claims("我是ChatGPT，" * 10000).claims) == 10000
    assert extract_claims("<think>" * 5000 + "a" * 50000).claims == []
    assert len(extract_claims("[GPT]: I am ChatGPT\n" * 3000).claims) == 6000


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
    path.write_text(
        "developers:\n  acme: {en: [Acme Labs], zh: [阿克米]}\nfamily: roadrunner\ndeveloper: acme\n"
        "names: {en: [RoadRunner], zh: [走鹃]}\nfacts:\n  - {category: team, en: Made by Acme Labs.}\n",
        encoding="utf-8",
    )
    library = load_library([path])
    report = extract_claims("I am RoadRunner, built by Acme Labs. 我是走鹃。", library=library)
    assert report.claimed_families == ["roadrunner"] and report.claimed_developers == ["acme"]


def test_a_broken_fact_file_names_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("family: x\ndeveloper: y\nnames: {en: [X]}\nfacts:\n  - {category: weather, en: sunny}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="facts.0.category"):
        load_library([path])


def test_claims_command_adds_columns_and_spans_to_jsonl_and_csv(cli, tmp_path):
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text(
        json.dumps({"id": 1, "answer": "I am Claude, made by Anthropic."})
        + "\n"
        + json.dumps({"id": 2, "answer": "我不是ChatGPT，我是通义千问。"})
        + "\n",
        encoding="utf-8",
    )
    code, _, err = cli("claims", jsonl, "--column", "answer")
    assert code == 0, err
    rows = [json.loads(line) for line in (tmp_path / "answers.claims.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["claimed_families"] for r in rows] == [["anthropic"], ["qwen"]]
    assert rows[0]["claimed_developers"] == ["anthropic"] and rows[0]["id"] == 1
    spans = rows[0]["claims"]
    assert [(s["alias"], s["start"], s["end"], s["voice"]) for s in spans] == [("Claude", 5, 11, "own"), ("Anthropic", 21, 30, "own")]
    assert [s["status"] for s in rows[1]["claims"]] == ["negated", "claim"]
    csv_path = tmp_path / "answers.csv"
    csv_path.write_text("text,prompt\nI am ChatGPT.,You are ChatGPT.\nI am ChatGPT.,Who are you?\n", encoding="utf-8")
    code, _, err = cli("claims", csv_path, "--prompt-column", "prompt", "-o", tmp_path / "out.jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["claimed_families"] for r in rows] == [["openai"], ["openai"]]
    assert [r["claims"][0]["voice"] for r in rows] == ["persona", "own"]


def test_claims_command_errors_name_the_missing_column(cli, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"answer": "hi"}) + "\n", encoding="utf-8")
    code, _, err = cli("claims", path)
    assert code == 2 and "no 'text' column" in err and "--column" in err
    code, _, err = cli("claims", tmp_path / "missing.jsonl")
    assert code == 2 and "does not exist" in err
