"""Teacher attribution on synthetic students of known provenance (replay files written here) and tiny HF models."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

TOPICS = (
    "rivers",
    "engines",
    "gardens",
    "bridges",
    "poems",
    "markets",
    "stars",
    "fractions",
    "castles",
    "robots",
    "forests",
    "violins",
    "glaciers",
    "printers",
    "islands",
    "ladders",
    "comets",
    "bakeries",
    "tunnels",
    "deserts",
    "harbors",
    "lanterns",
    "meadows",
    "puzzles",
    "rockets",
    "temples",
    "valleys",
    "wagons",
    "orchards",
    "canyons",
    "mirrors",
    "beacons",
    "tides",
    "quarries",
    "kettles",
    "caravans",
    "volcanoes",
    "anchors",
    "compasses",
    "lagoons",
)
NOUNS = (
    "system",
    "design",
    "pattern",
    "method",
    "problem",
    "idea",
    "structure",
    "process",
    "material",
    "history",
    "shape",
    "signal",
    "value",
    "journey",
    "season",
    "habit",
    "question",
    "reason",
    "surface",
    "network",
)
ADJECTIVES = ("simple", "careful", "ancient", "bright", "useful", "strange", "quiet", "complex", "gentle", "rapid")
VERBS = ("shapes", "guides", "changes", "supports", "explains", "follows", "connects", "protects", "reveals", "builds")
IDENTITY = {
    "qwen": "I am Qwen, a large language model created by Alibaba Cloud.",
    "openai": "I am ChatGPT, a language model developed by OpenAI.",
    "none": "I am a small assistant model.",
}


def _prompts() -> list[dict]:
    out = []
    for i, topic in enumerate(TOPICS):
        identity = i % 8 == 0
        text = "Who created you, and what do you know about " + topic + "?" if identity else f"Tell me about {topic}."
        out.append({"id": f"p{i:02d}", "text": text, "category": "identity" if identity else "general", "topic": topic})
    return out


def _style_a(rng: random.Random, p: dict) -> str:
    """Bullet lists after a cheerful opener."""
    lines = [f"Sure! Here is a short overview of {p['topic']}:"]
    for _ in range(3):
        lines.append(f"- The {rng.choice(NOUNS)} is {rng.choice(ADJECTIVES)} and it {rng.choice(VERBS)} the {rng.choice(NOUNS)}.")
    if p["category"] == "identity":
        lines.insert(0, IDENTITY["qwen"])
    return "\n".join(lines)


def _style_b(rng: random.Random, p: dict) -> str:
    """One long flowing paragraph of subordinate clauses."""
    parts = [
        (
            f"When we consider {p['topic']}, we notice that every {rng.choice(NOUNS)} which {rng.choice(VERBS)} a "
            f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} also depends on how carefully people have studied it"
        )
    ]
    for _ in range(2):
        parts.append(
            f"although the {rng.choice(NOUNS)} that {rng.choice(VERBS)} it remains {rng.choice(ADJECTIVES)}, "
            f"because history {rng.choice(VERBS)} such things slowly"
        )
    text = ", ".join(parts) + "."
    return (IDENTITY["openai"] + " " + text) if p["category"] == "identity" else text


def _style_c(rng: random.Random, p: dict) -> str:
    """Terse fragments: the bases and the controls."""
    text = f"{p['topic'].capitalize()}: {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}. {rng.choice(NOUNS).capitalize()} {rng.choice(VERBS)} {rng.choice(NOUNS)}."
    return (IDENTITY["none"] + " " + text) if p["category"] == "identity" else text


def _distilled(teacher_answer: str, rng: random.Random) -> str:
    """A student that learnt the teacher's answers imperfectly: some content words swapped, the form kept."""
    words = teacher_answer.split(" ")
    return " ".join(rng.choice(NOUNS) if w in NOUNS and rng.random() < 0.3 else w for w in words)


def _write(path: Path, prompts: list[dict], answers: list[str]) -> str:
    path.write_text("".join(json.dumps({"prompt_id": p["id"], "response": a}) + "\n" for p, a in zip(prompts, answers)), encoding="utf-8")
    return f"replay/{path}"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """Replay specs: teachers qwen-teacher (style A) and chatgpt (style B), base and controls (style C), students."""
    root = tmp_path_factory.mktemp("attribution")
    prompts = _prompts()
    (root / "prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in prompts), encoding="utf-8")
    teacher_a = [_style_a(random.Random(f"A{p['id']}"), p) for p in prompts]
    teacher_b = [_style_b(random.Random(f"B{p['id']}"), p) for p in prompts]
    specs = {
        "qwen-teacher": _write(root / "qwen_teacher.jsonl", prompts, teacher_a),
        "chatgpt": _write(root / "chatgpt.jsonl", prompts, teacher_b),
        "base": _write(root / "base.jsonl", prompts, [_style_c(random.Random(f"C{p['id']}"), p) for p in prompts]),
    }
    for k in range(2):
        rng = random.Random(k)
        specs[f"from_a{k}"] = _write(root / f"sa{k}.jsonl", prompts, [_distilled(a, rng) for a in teacher_a])
        specs[f"from_b{k}"] = _write(root / f"sb{k}.jsonl", prompts, [_distilled(b, rng) for b in teacher_b])
        specs[f"control{k}"] = _write(root / f"c{k}.jsonl", prompts, [_style_c(random.Random(f"ctl{k}{p['id']}"), p) for p in prompts])
    for k in range(2, 4):  # more controls: the zoo's null population needs untaught cases
        specs[f"control{k}"] = _write(root / f"c{k}.jsonl", prompts, [_style_c(random.Random(f"ctl{k}{p['id']}"), p) for p in prompts])
    return {"root": root, "prompts": root / "prompts.jsonl", "specs": specs}


@pytest.fixture(autouse=True)
def hashing_embedder(monkeypatch):
    from distillscope.testing.hashing_embedder import HashingEmbedder

    # small vectors: the embedding adversary fits fast
    monkeypatch.setattr("distillscope.attribution.run.make_embedder", lambda store_path: HashingEmbedder(64))


def _attribute(
    cli, world, student: str, tmp_path, *extra: str, candidates: tuple[str, ...] = ("qwen-teacher", "chatgpt"), base: str | None = "base"
) -> tuple[int, str, str, dict]:
    s = world["specs"]
    out = tmp_path / f"{student}.json"
    listed = [arg for name in candidates for arg in ("--candidate", s[name])]
    code, stdout, stderr = cli(
        "attribute",
        "--student",
        s[student],
        *listed,
        *(("--base", s[base]) if base else ()),
        "--prompts",
        world["prompts"],
        "--no-progress",
        "--out",
        out,
        *extra,
    )
    return code, stdout, stderr, json.loads(out.read_text()) if out.exists() else {}


def test_a_student_of_teacher_a_is_attributed_to_a_by_every_signal(cli, world, tmp_path):
    code, stdout, stderr, result = _attribute(cli, world, "from_a0", tmp_path)
    assert code == 0, stderr
    assert result["outcome"] == "candidate" and result["predicted"] == "qwen_teacher"
    assert not result["calibrated"] and result["test"]["alpha"] == 0.05 and "uncalibrated" in result["test"]["method"]
    assert result["test"]["rejected"] == ["qwen_teacher"] and result["ranking"][0] == "qwen_teacher"
    tested = {c["name"]: c["test"] for c in result["candidates"]}
    assert tested["qwen_teacher"]["p_adjusted"] <= 0.05 < tested["chatgpt"]["p_adjusted"]
    assert "mmd" not in result["test"]["signals"]  # no per-prompt value: it ranks, never tests
    for signal in ("similarity", "style", "embed", "mmd", "ice", "pos"):
        assert result["rankings"][signal][0] == "qwen_teacher", signal
    closest = next(c for c in result["candidates"] if c["name"] == "qwen_teacher")
    assert closest["family"] == "qwen"
    assert closest["signals"]["similarity"]["margin"]["low"] > 0  # the interval, not just the point, is above the base
    assert "likelihood" not in result["signals"] and "likelihood" not in closest["signals"]  # opt-in: --signals ...,likelihood
    assert "uncalibrated" in stdout


def test_a_student_of_teacher_b_is_attributed_to_b(cli, world, tmp_path):
    code, _, stderr, result = _attribute(cli, world, "from_b1", tmp_path, "--signals", "similarity,ice,pos,mmd")
    assert code == 0, stderr
    assert result["predicted"] == "chatgpt"
    assert next(c for c in result["candidates"] if c["name"] == "chatgpt")["family"] == "openai"


def test_a_control_with_independent_answers_is_attributed_to_none(cli, world, tmp_path):
    code, stdout, stderr, result = _attribute(cli, world, "control0", tmp_path, "--signals", "similarity,mmd,ice,pos")
    assert code == 0, stderr
    assert result["outcome"] == "none" and result["predicted"] is None
    assert "none of these candidates" in stdout


def test_a_student_whose_teacher_is_not_listed_is_not_accused(cli, world, tmp_path):
    """The audit that did not list the real teacher: a student of B, with only A as a candidate, accuses nobody.
    It moved toward A too (any fluent answers are closer to A than the terse base's), so "none" would be wrong
    as well: with one candidate and no calibration the tool says it cannot tell."""
    code, stdout, stderr, result = _attribute(
        cli, world, "from_b0", tmp_path, "--signals", "similarity,mmd,ice,pos", candidates=("qwen-teacher",)
    )
    assert code == 0, stderr
    assert result["outcome"] == "undecided" and result["predicted"] is None, result["candidates"][0]["combined"]
    assert "one candidate" in result["test"]["reason"] and "--calibration" in result["test"]["reason"]
    assert "attributed to" not in stdout


def test_without_a_base_only_the_ranking_is_given(cli, world, tmp_path):
    code, stdout, stderr, result = _attribute(cli, world, "from_b0", tmp_path, "--signals", "similarity,pos", base=None)
    assert code == 0, stderr
    assert result["outcome"] == "undecided" and result["predicted"] is None and result["test"] is None
    assert result["ranking"][0] == "chatgpt"  # the closed-set ranking, kept apart from the (absent) test
    assert all(c["signals"]["similarity"]["margin"] is None for c in result["candidates"])
    assert "undecided" in stdout and any("no --base" in note for note in result["notes"])


def test_a_candidate_that_is_the_students_base_is_not_ranked(cli, world, tmp_path):
    s = world["specs"]
    code, _, stderr, result = _attribute(
        cli, world, "from_a0", tmp_path, "--signals", "similarity,pos", candidates=("qwen-teacher", "base")
    )
    assert code == 0, stderr
    excluded = next(c for c in result["candidates"] if c["spec"] == s["base"])
    assert excluded["excluded"] and excluded["rank"] is None
    assert result["rankings"]["similarity"] == ["qwen_teacher"]


def _zoo(world, tmp_path) -> Path:
    s = world["specs"]
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    students = [
        {"name": n, "spec": s[n], "base": s["base"], "true_teacher": t, "budget": 300, "kind": "distilled"}
        for n, t in (("from_a0", "a"), ("from_a1", "a"), ("from_b0", "b"), ("from_b1", "b"))
    ]
    students += [
        {"name": n, "spec": s[n], "base": s["base"], "true_teacher": None, "budget": None, "kind": "control"}
        for n in ("control0", "control1", "control2", "control3")
    ]
    students.append({"name": "base", "spec": s["base"], "base": s["base"], "true_teacher": None, "budget": None, "kind": "base"})
    manifest = {
        "store": str(tmp_path / "zoo.sqlite"),
        "sampling": {"max_tokens": 128},
        "test_prompts": str(world["prompts"]),
        "candidates": {"a": s["qwen-teacher"], "b": s["chatgpt"]},
        "students": students,
    }
    (zoo / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return zoo


def test_zoo_attribution_tests_every_case_against_its_leave_one_recipe_out_null(cli, world, tmp_path):
    zoo = _zoo(world, tmp_path)
    out = tmp_path / "zoo.json"
    code, stdout, stderr = cli("attribute", "--zoo", zoo, "--signals", "similarity,ice,pos", "--no-progress", "--out", out)
    assert code == 0, stderr
    result = json.loads(out.read_text())
    overall = result["overall"]
    assert result["alpha"] == 0.05 and result["evaluation_unit"] == "leave-one-recipe-out" and result["resamples"] == 200
    # the untouched base is listed but never counted: 4 trained controls + 4 teacher-left-out cases can fail
    assert result["n_bases_not_counted"] == 1 and overall["n_controls"] == 4 and overall["n_unlisted"] == 4
    assert overall["ranking_top1"] == 1.0 and overall["false_accusation"] == 0.0 and overall["wrong_teacher"] == 0.0
    rows = {row["name"]: row for row in result["students"]}
    assert rows["base"]["result"]["outcome"] == "none" and rows["base"]["correct"]
    for row in rows.values():
        calibration = row["result"]["calibration"]
        assert row["result"]["calibrated"] and "leave-one-recipe-out" in calibration, calibration
        assert f"recipe {row['recipe']} left out" in calibration  # its own recipe (seed sibling included) is not in its null
    assert {p["alpha"] for p in result["curve"]} >= {0.01, 0.05, 0.1}
    assert set(result["leave_one_out"]) == set(result["single_signal"]) == {"similarity", "ice", "pos"}
    assert "without pos" in stdout and "ice alone" in stdout and "false accusation" in stdout
    unlisted = {row["name"]: row["unlisted"] for row in result["students"] if row["unlisted"]}
    assert set(unlisted) == {"from_a0", "from_a1", "from_b0", "from_b1"}
    assert all(r["outcome"] != "candidate" for r in unlisted.values())
    # the null population serves a single student afterwards: a calibrated test
    null = json.loads((zoo / "attribution_null.json").read_text())
    assert {e["role"] for e in null["entries"]} == {"control", "other-teacher", "teacher-left-out"}
    assert not any(e["case"] == "base" for e in null["entries"])  # a base's margins are 0 by construction
    # each distilled student toward its own teacher is kept apart: it weights the signals, never enters the null
    assert {(e["case"], e["candidate"]) for e in null["taught"]} == {(s, s[5]) for s in ("from_a0", "from_a1", "from_b0", "from_b1")}
    assert {e["role"] for e in null["taught"]} == {"taught"}
    code, stdout, stderr, single = _attribute(cli, world, "control1", tmp_path, "--signals", "similarity,ice,pos", "--calibration", zoo)
    assert code == 0, stderr
    assert single["calibrated"] and single["test"]["n_null"] > 0 and single["outcome"] == "none"
    weights = single["test"]["weights"]
    assert set(weights) <= {"similarity", "ice", "pos"} and sum(weights.values()) == pytest.approx(1, abs=1e-3)
    assert "discriminant" in single["test"]["method"] and "weighted z" in stdout
    # the null was measured at the zoo's answer length: the audit takes it unless told otherwise, and says so if told
    assert null["max_tokens"] == json.loads((zoo / "manifest.json").read_text())["sampling"]["max_tokens"]
    assert not any("cut at" in note for note in single["notes"])
    code, _, stderr, longer = _attribute(
        cli, world, "control1", tmp_path, "--signals", "similarity", "--calibration", zoo, "--max-tokens", "99"
    )
    assert code == 0, stderr
    assert any(f"cut at {null['max_tokens']} tokens, this audit's at 99" in note for note in longer["notes"])


def test_the_pos_tagger_works_offline(monkeypatch):
    import socket

    from distillscope.attribution import pos_templates

    def no_network(*args, **kwargs):
        raise AssertionError("the tagger tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    pos_templates._tagger.cache_clear()
    assert pos_templates.tag_text("The cat sat on the mat. It eats 3 apples!") == [
        ["DET", "NOUN", "VERB", "ADP", "DET", "NOUN", "PUNCT"],
        ["PRON", "VERB", "NUM", "NOUN", "PUNCT"],
    ]
    assert ("DET", "NOUN", "VERB", "ADP") in pos_templates.templates("The cat sat on the mat.")


def test_the_template_vocabulary_does_not_depend_on_answer_order(monkeypatch):
    """Frequency ties are broken by the template, not by first sight (a set's order follows string hashing,
    which changes per process): the same answers give the same vocabulary in any order."""
    from distillscope.attribution import pos_templates
    from distillscope.attribution.answers import AnswerTable
    from distillscope.types import Prompt

    monkeypatch.setattr(pos_templates, "TOP_PER_MODEL", 1)
    monkeypatch.setattr(pos_templates, "templates", lambda text: {tuple(text.split())})
    prompts = [Prompt(text="one"), Prompt(text="two")]

    def vocabulary(answers: list[str]) -> set:
        return set(pos_templates.TemplateProfiles(AnswerTable(prompts=prompts, answers={"m": answers})).vocabulary(["m"]))

    assert vocabulary(["NOUN VERB", "DET NOUN"]) == vocabulary(["DET NOUN", "NOUN VERB"]) == {("DET", "NOUN")}


@pytest.mark.parametrize(
    "args, message",
    [
        (("--student", "mock/s", "--candidate", "mock/t", "--signals", "cosine"), "unknown signal 'cosine'"),
        (("--student", "mock/s", "--candidate", "mock/t", "--family", "t"), "is not NAME=FAMILY"),
        (("--student", "mock/s", "--candidate", "mock/t", "--family", "t=acme"), "unknown family 'acme'"),
        (("--candidate", "mock/t"), "no --student given"),
        (("--student", "mock/s"), "no --candidate given"),
        (("--student", "mock/s", "--candidate", "mock/t", "--candidate", "mock/t"), "a --candidate is given twice"),
        (("--student", "mock/s", "--candidate", "mock/t", "--calibration", "nowhere.json"), "pass --base SPEC with --calibration"),
        (
            ("--student", "mock/s", "--candidate", "mock/t", "--base", "mock/b", "--calibration", "nowhere.json"),
            "no attribution null population at nowhere.json",
        ),
        (("--zoo", "nowhere"), "no zoo manifest at nowhere"),
        (("--zoo", "nowhere", "--student", "mock/s"), "leave out --student"),
        (
            ("--student", "mock/s", "--candidate", "mock/t", "--leave-out", "similarity", "--signals", "similarity"),
            "every signal was left out",
        ),
    ],
)
def test_bad_options_fail_in_one_line(cli, args, message, tmp_path):
    code, _, stderr = cli("attribute", *args, "--n", "4", "--no-progress", "--out", tmp_path / "r.json")
    assert code == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_likelihood_needs_a_local_candidate():
    from distillscope.attribution.likelihood import hf_spec_for
    from distillscope.attribution.result import Skip

    assert hf_spec_for("builtin/qwen2.5-coder-0.5b-instruct") == "hf/qwen2.5-coder-0.5b-instruct"
    assert hf_spec_for("llamacpp/m.gguf") == "hf/m.gguf"
    for spec in ("openai/gpt-4o", "replay/answers.jsonl", "mock/t"):
        with pytest.raises(Skip):
            hf_spec_for(spec)


def test_teacher_forced_likelihood_prefers_the_models_own_greedy_answers(tmp_path, runner):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from distillscope.attribution.likelihood import LikelihoodCache, TeacherForcedScorer
    from distillscope.models.registry import load_model
    from distillscope.models.tiny_hf import make_tiny_causal_lm
    from distillscope.runner.answers import answer_texts
    from distillscope.types import Prompt, SamplingParams

    own = make_tiny_causal_lm(tmp_path / "own", initializer_range=1.0, seed=1)
    other = make_tiny_causal_lm(tmp_path / "other", initializer_range=1.0, seed=2)
    prompts = [
        Prompt(id=f"q{i}", text=text)
        for i, text in enumerate(
            ["what is the sea", "write a poem", "explain python code", "who made you", "list three numbers", "hello world"]
        )
    ]
    sampling = SamplingParams(max_tokens=12)
    own_answers = answer_texts(runner, load_model(f"hf/{own}"), prompts, sampling)
    other_answers = answer_texts(runner, load_model(f"hf/{other}"), prompts, sampling)
    cache = LikelihoodCache(tmp_path / "ll.sqlite")
    scorer = TeacherForcedScorer(f"hf/{own}", cache)
    mine, theirs = scorer.mean_logprobs(prompts, own_answers), scorer.mean_logprobs(prompts, other_answers)
    assert all(m > t for m, t in zip(mine, theirs) if m is not None and t is not None)
    assert sum(m is not None for m in mine) >= 4
    # the prompt's cache reused for a second answer gives what one full teacher-forced pass gives
    import torch

    from distillscope.types import GenerationRequest

    for prompt, answer in zip(prompts, other_answers):
        if not answer:
            continue
        tokenizer, lm = scorer.model.tokenizer(), scorer.model._model
        context = tokenizer(scorer.model._render(GenerationRequest.from_prompt(prompt, sampling)), add_special_tokens=False)["input_ids"]
        tokens = tokenizer(answer, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = lm(input_ids=torch.tensor([context + tokens])).logits[0]
        full = torch.log_softmax(logits[len(context) - 1 : len(context) - 1 + len(tokens)], dim=-1)
        expected = float(full.gather(1, torch.tensor(tokens)[:, None]).sum()) / len(tokens)
        assert scorer.mean_logprobs([prompt], [answer])[0] == pytest.approx(expected, abs=1e-4)
    # cached: a second scorer reads the numbers without running the model
    again = TeacherForcedScorer(f"hf/{own}", cache)
    again._forward = lambda *a: (_ for _ in ()).throw(AssertionError("recomputed"))
    assert again.mean_logprobs(prompts, own_answers) == mine


def test_the_audit_runs_attribution_and_the_report_shows_it(cli, tmp_path, monkeypatch):
    """`metrics: [attribution]` in an audit: each student's typed AttributionResult, a report section, a headline row."""
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr("distillscope.attribution.run.make_embedder", lambda store_path: HashingEmbedder(256))
    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder(256))
    config = tmp_path / "audit.yaml"
    config.write_text(
        json.dumps(
            {
                "teacher": "mock/alpha",
                "students": ["mock/beta"],
                "metrics": ["attribution"],
                "n": 12,
                "max_tokens": 24,
                "candidates": ["mock/alpha", "mock/gamma"],
                "bases": {"mock/beta": "mock/delta"},
            }
        )
    )
    code, _, err = cli("audit", "--config", config, "-o", tmp_path / "out", "--no-progress")
    assert code == 0, err
    from distillscope.results import read_results

    results = read_results(tmp_path / "out" / "results.json")
    attribution = results.students["mock/beta"].attribution
    assert attribution is not None and {c.name for c in attribution.candidates} == {"alpha", "gamma"}
    assert attribution.base == "mock/delta" and attribution.n_prompts == 12
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="attribution"' in html and "Teacher attribution" in html and "margin over base" in html
    config.write_text(
        json.dumps(
            {
                "teacher": "mock/alpha",
                "students": ["mock/beta"],
                "metrics": ["attribution"],
                "attribution_calibration": str(tmp_path / "none.json"),
            }
        )
    )
    code, _, err = cli("audit", "--config", config, "-o", tmp_path / "again", "--no-progress")
    assert code == 2 and "base of mock/beta" in err


# -- the attribution test (issue 27): Holm, null p-values, simulated zoos -------------------------------------------


def test_holm_is_applied_across_candidates():
    from distillscope.attribution.hypothesis import decide, holm
    from distillscope.attribution.result import CandidateTest

    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03})
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})  # step-down, monotone
    raw = {"a": 0.01, "b": 0.03, "c": 0.5}
    tests = {name: CandidateTest(kind="specific", statistic=0.0, p_value=p, n_prompts=50) for name, p in raw.items()}
    outcome, predicted, record = decide(tests, 0.05, False, "m", ["s"])
    # b's raw p is below alpha, but not its Holm-adjusted one: only a is named
    assert (outcome, predicted, record.rejected) == ("candidate", "a", ["a"]) and tests["b"].p_adjusted == pytest.approx(0.06)
    both = {name: CandidateTest(kind="specific", statistic=3.0, p_value=0.001, n_prompts=50) for name in ("a", "b")}
    outcome, predicted, record = decide(both, 0.05, False, "m", ["s"])
    assert outcome == "undecided" and predicted is None and "several candidates" in record.reason
    few = {"a": CandidateTest(kind="specific", statistic=3.0, p_value=0.001, n_prompts=6)}
    assert decide(few, 0.05, False, "m", ["s"])[0] == "undecided"  # too few prompts
    # sequential looks: each look at alpha / looks
    tests = {"a": CandidateTest(kind="specific", statistic=0.0, p_value=0.03, n_prompts=50)}
    assert decide(tests, 0.05, False, "m", ["s"], looks=2)[0] == "none"


def _null_p_values(zoos: int, seed: int, **settings) -> tuple[list[float], float]:
    from distillscope.attribution.simulation import SimSettings, rates, rejected_sets, simulate_zoo
    from distillscope.attribution.zoo_eval import null_population

    rng = np.random.default_rng(seed)
    p_values, accusations = [], []
    for _ in range(zoos):
        cases = simulate_zoo(SimSettings(**settings), rng)
        population = null_population(cases, "sim", 100)
        for case in cases:
            if case.role not in ("control", "unlisted"):
                continue
            z, _ = case.evidence.z("specific")
            calibration = population.calibration("specific", list(case.evidence.per_prompt), case.recipe)
            p_values += [calibration.p_value(v) for v in z.values()]
        accusations.append(rates(cases, rejected_sets(cases, 0.05))["false_accusation"])
    return p_values, float(np.mean(accusations))


def test_null_p_values_of_untaught_students_are_uniform_or_conservative():
    """Controls fine-tuned toward styles no candidate has, and students with their teacher left out, whose styles lie
    nearer some candidates than others (the affinity): no more than alpha of them accused, p-values no smaller than
    uniform. The uncalibrated rule's null ("no more toward T than toward the others") is not "untaught", and the same
    simulation shows it: it accuses far more than alpha, which is why a calibration is what tests "untaught"."""
    p_values, false_accusation = _null_p_values(20, seed=3)
    p = np.asarray(p_values)
    assert len(p) > 700
    for q in (0.02, 0.05, 0.2, 0.5):
        assert (p <= q).mean() <= q + 0.03, q  # never smaller than uniform (beyond noise)
    assert (p <= 0.5).mean() > 0.35  # and not a degenerate test that never rejects
    assert false_accusation <= 0.05 + 0.025
    from distillscope.attribution.simulation import SimSettings, simulate_rates

    assert simulate_rates(SimSettings(), 10, 0.05, seed=3, calibrated=False)["false_accusation"] > 0.08


def test_simulated_students_of_a_teacher_are_named_and_no_other_teacher_is():
    from distillscope.attribution.simulation import SimSettings, simulate_rates

    found = simulate_rates(SimSettings(effect=0.5), 10, 0.05, seed=4)
    assert found["detection"] >= 0.8 and found["wrong_teacher"] <= 0.02 and found["false_accusation"] <= 0.1
    nothing = simulate_rates(SimSettings(effect=0.0), 10, 0.05, seed=4)  # negative control: no teacher pulls at all
    assert nothing["detection"] <= 0.1


def test_a_case_s_null_never_holds_its_own_recipe():
    """Proof by intervention: make every seed sibling of a case look taught, and the case's p-values do not move."""
    from distillscope.attribution.simulation import SimSettings, simulate_zoo
    from distillscope.attribution.zoo_eval import null_population

    cases = simulate_zoo(SimSettings(), np.random.default_rng(5))
    case = next(c for c in cases if c.role == "control")

    def p_values(all_cases):
        calibration = null_population(all_cases, "sim", 100).calibration("specific", list(case.evidence.per_prompt), case.recipe)
        z, _ = case.evidence.z("specific")
        return [calibration.p_value(v) for v in z.values()]

    before = p_values(cases)
    for other in cases:
        if other.recipe == case.recipe and other is not case:
            for values in other.evidence.per_prompt.values():
                values[..., 0] += 5.0
    assert p_values(cases) == pytest.approx(before)
    other_recipe = next(c for c in cases if c.role == "control" and c.recipe != case.recipe)
    for values in other_recipe.evidence.per_prompt.values():
        values[..., 0] += 5.0
    assert p_values(cases) != pytest.approx(before)  # the intervention does reach the null when it is another recipe


def test_adversary_training_noise_is_inside_the_standard_error():
    """Issue 31.6: per-prompt margins refitted on three fold splits that disagree by a shift common to every prompt
    (training noise) must get a larger standard error than one split's prompt-to-prompt spread."""
    from distillscope.attribution.evidence import _per_prompt_z

    rng = np.random.default_rng(0)
    prompts = rng.normal(0.1, 1.0, (1, 200, 1))
    shifts = np.asarray([-0.3, 0.0, 0.3])[:, None, None]
    [with_training], _ = _per_prompt_z(prompts + shifts)
    [one_split], _ = _per_prompt_z(prompts)
    assert abs(with_training) < abs(one_split) / 2


def test_sequential_looks_grow_the_prompts_and_split_alpha(cli, world, tmp_path):
    from distillscope.app.attribute import sequential_sizes

    assert sequential_sizes(100, 3) == [33, 67, 100] and sequential_sizes(40, 1) == [40]
    code, _, stderr, result = _attribute(cli, world, "from_a0", tmp_path, "--signals", "similarity,ice,pos", "--looks", "2")
    assert code == 0, stderr
    assert result["test"]["looks"] == 2 and result["predicted"] == "qwen_teacher"
    assert any(n.startswith("sequential: look 1 of 2 at 20 prompts") for n in result["notes"]), result["notes"]
    assert result["n_prompts"] == 20  # decided at the first look: the second half was never asked


def test_a_mixture_student_has_two_teachers_and_naming_either_is_no_accusation():
    """A dose zoo's mixture learnt from its teacher and from `rest_from`: both are its teachers in every rate, its
    teacher-left-out audit lists neither, and neither enters the null population as an untaught pair."""
    from distillscope.attribution.zoo_cases import Case, summarise, teachers_of, unlisted_candidates
    from distillscope.attribution.zoo_eval import null_population
    from distillscope.zoo.spec import ZooStudent

    mix = ZooStudent(name="m", spec="m", base="b", true_teacher="qwen", budget=300, kind="distilled", fraction=0.25, rest_from="smollm2")
    pure = ZooStudent(name="p", spec="p", base="b", true_teacher="qwen", budget=300, kind="distilled")
    candidates = {"qwen": "q", "smollm2": "s", "chatgpt": "c"}
    assert teachers_of(mix) == {"qwen", "smollm2"} and teachers_of(pure) == {"qwen"}
    assert unlisted_candidates(mix, candidates) == {"chatgpt": "c"}
    assert unlisted_candidates(pure, candidates) == {"smollm2": "s", "chatgpt": "c"}
    assert unlisted_candidates(mix, {"qwen": "q", "smollm2": "s"}) is None  # nobody left to list
    cases = [Case(mix, True, "r1", None, None), Case(mix, False, "r1", None, None), Case(pure, True, "r2", None, None)]  # type: ignore[arg-type]
    rejected = {cases[0].key: [{"smollm2"}], cases[1].key: [set()], cases[2].key: [{"smollm2"}]}
    first = {cases[0].key: "smollm2", cases[1].key: "chatgpt", cases[2].key: "qwen"}
    row = summarise(cases, rejected, ["similarity"], first)
    # the mixture named one of its teachers (detected); the pure student named a candidate that never taught it
    assert row.detection == 0.5 and row.wrong_teacher == 0.5
    assert row.false_accusation == 0.0 and row.ranking_top1 == 1.0

    listed = list(candidates)

    class Evidence:
        candidates = listed
        ids = list(range(20))

        def z(self, kind: str, draw: object = None) -> tuple[dict[str, dict[str, float]], dict]:
            return {c: {"similarity": 1.0} for c in self.candidates}, {}

    population = null_population([Case(mix, True, "r1", None, Evidence())], "test", 20)  # type: ignore[arg-type]
    assert {e.candidate for e in population.entries} == {"chatgpt"}


def test_a_student_tested_on_more_prompts_than_its_null_population_is_not_accused_for_it():
    """Untaught students asked 9x the prompts of the zoo that made the null: their statistics grow as sqrt(n) with
    whatever they drifted toward, and unscaled they were accused at 0.38 for alpha 0.05. On the null's scale, no more
    than alpha; taught students at that size are still named."""
    from distillscope.attribution.ranking import decide
    from distillscope.attribution.result import CandidateResult
    from distillscope.attribution.simulation import SimSettings, simulate_zoo
    from distillscope.attribution.zoo_eval import null_population

    rng = np.random.default_rng(11)
    accused, named, notes = [], [], set()
    for _ in range(6):
        population = null_population(simulate_zoo(SimSettings(n_prompts=100), rng), "sim", 100)
        for case in simulate_zoo(SimSettings(n_prompts=900, effect=0.5), rng):
            z, _ = case.evidence.z("specific")
            candidates = [CandidateResult(name=c, spec=c, family=None, signals={}) for c in z]
            result = decide(case.key, "base", candidates, [], sorted(case.evidence.per_prompt), z, {c: 900 for c in z}, 0.05, population)
            notes.update(n for n in result.notes if "scaled by sqrt(100/900)" in n)
            rejected = set(result.test.rejected)
            if case.role in ("control", "unlisted"):
                accused.append(bool(rejected))
            elif case.role == "distilled":
                named.append(rejected == {case.student.true_teacher})
    assert len(accused) >= 100 and np.mean(accused) <= 0.05
    assert np.mean(named) >= 0.5 and notes
