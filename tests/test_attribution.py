"""Teacher attribution on synthetic students of known provenance (replay files written here) and tiny HF models."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from distillscope.attribution import calibration as calib
from distillscope.attribution.calibration import CalibrationCase

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
    assert result["confidence"] is None and not result["calibrated"]  # no calibration: said so, no number invented
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
    assert result["outcome"] == "undecided" and result["confidence"] is None, result["candidates"][0]["combined"]
    assert any("one candidate" in note and "--calibration" in note for note in result["notes"])
    assert "attributed to" not in stdout


def test_without_a_base_only_the_ranking_is_given(cli, world, tmp_path):
    code, stdout, stderr, result = _attribute(cli, world, "from_b0", tmp_path, "--signals", "similarity,pos", base=None)
    assert code == 0, stderr
    assert result["outcome"] == "undecided" and result["predicted"] == "chatgpt" and result["confidence"] is None
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


def _cases(seed: int = 0) -> list[CalibrationCase]:
    rng = random.Random(seed)
    cases = []
    for i in range(10):
        truth = ("a", "b", None)[i % 3]
        margins = {c: {"similarity": (0.3 if c == truth else 0.0) + rng.gauss(0, 0.05), "pos": rng.gauss(0, 0.1)} for c in ("a", "b")}
        cases.append(CalibrationCase(student=f"s{i}", margins=margins, true_teacher=truth))
    return cases


def test_leave_one_student_out_never_sees_the_students_own_label(monkeypatch):
    cases = _cases()
    seen: list[set[str]] = []
    real_fit = calib.fit
    monkeypatch.setattr(calib, "fit", lambda used, *a, **k: seen.append({c.student for c in used}) or real_fit(used, *a, **k))
    fits = calib.leave_one_student_out(cases, ["similarity", "pos"])
    assert [case.student not in students for case, students in zip(cases, seen)] == [True] * len(cases)
    # the proof by intervention: relabel a student, and its own prediction does not move (others' may)
    for index, wrong in ((0, "b"), (2, "a"), (1, None)):
        relabelled = [c.model_copy(update={"true_teacher": wrong}) if i == index else c for i, c in enumerate(cases)]
        again = calib.leave_one_student_out(relabelled, ["similarity", "pos"])
        mine = cases[index]
        assert again[mine.student].probabilities(mine.margins) == pytest.approx(fits[mine.student].probabilities(mine.margins))
        moved = [again[c.student].probabilities(c.margins) != pytest.approx(fits[c.student].probabilities(c.margins)) for c in cases]
        assert any(moved[i] for i in range(len(cases)) if i != index)


def test_the_calibration_learns_a_bar_that_controls_stay_under():
    cases = _cases()
    fitted = calib.fit(cases, ["similarity", "pos"])
    assert fitted.weights["similarity"] > 0
    for case in cases:
        probabilities = fitted.probabilities(case.margins)
        assert sum(probabilities.values()) == pytest.approx(1.0)
        assert max(probabilities, key=probabilities.get) == (case.true_teacher or calib.NONE)


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
        for n in ("control0", "control1")
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


def test_zoo_attribution_is_right_for_every_student_and_writes_a_calibration(cli, world, tmp_path):
    zoo = _zoo(world, tmp_path)
    out = tmp_path / "zoo.json"
    code, stdout, stderr = cli("attribute", "--zoo", zoo, "--signals", "similarity,ice,pos", "--no-progress", "--out", out)
    assert code == 0, stderr
    result = json.loads(out.read_text())
    assert result["top1"] == 1.0 and result["false_attribution"] == 0.0 and result["ranking_top1"] == 1.0
    assert result["top1_resampled"] > 0.9 and result["false_attribution_resampled"] < 0.1 and result["resamples"] == 200
    assert all(row["correct"] for row in result["students"])
    assert all(
        row["result"]["calibrated"] and "leave-one-student-out over 6 other" in row["result"]["calibration"] for row in result["students"]
    )
    assert set(result["leave_one_out"]) == set(result["single_signal"]) == {"similarity", "ice", "pos"}
    assert "without pos" in stdout and "ice alone" in stdout
    # each distilled student again with its teacher left out of the candidates: the other teacher is not accused
    unlisted = {row["name"]: row["unlisted"] for row in result["students"] if row["unlisted"]}
    assert set(unlisted) == {"from_a0", "from_a1", "from_b0", "from_b1"}
    assert all(len([c for c in r["candidates"] if not c["excluded"]]) == 1 for r in unlisted.values())
    assert all(r["outcome"] == "none" for r in unlisted.values()) and result["unlisted_attribution"] == 0.0
    assert result["unlisted_attribution_resampled"] < 0.1 and result["fit_without_unlisted"]["top1"] == 1.0
    # the fitted calibration serves a single student afterwards, with a calibrated confidence
    code, _, stderr, single = _attribute(cli, world, "from_a1", tmp_path, "--signals", "similarity,ice,pos", "--calibration", zoo)
    assert code == 0, stderr
    assert single["calibrated"] and single["predicted"] == "qwen_teacher" and 0.5 < single["confidence"] <= 1.0


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
            "no attribution calibration at nowhere.json",
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
    from distillscope.attribution.signals import Skip

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
    from distillscope.runner.runner import answer_texts
    from distillscope.testing.tiny_hf import make_tiny_causal_lm
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
