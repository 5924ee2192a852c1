"""The control ladder and the judge controls: weak measures and weak judges are flagged, sound ones pass."""

import json

import pytest
from metric_data import load_pairs

from distillscope.controls.judge_calls import rse_measure
from distillscope.controls.judges import (
    conflict_control,
    identity_statements,
    mismatched_pairs,
    pairwise_control,
    per_item,
)
from distillscope.controls.ladder import CostlyMeasure, choose_ladder_prompts, ladder_answers, run_ladder
from distillscope.controls.ladder_auc import auc_with_ci
from distillscope.controls.ladder_result import LadderResult, measure_status
from distillscope.ice.facts import load_library
from distillscope.lexical import rouge_l_f1, tokenize
from distillscope.models.registry import load_model
from distillscope.runner.answers import answer_texts
from distillscope.types import Prompt, SamplingParams


def test_auc_counts_wins_and_half_ties_with_a_bootstrap_interval():
    assert auc_with_ci([3, 4, 5], [0, 1, 2]).mean == 1.0
    assert auc_with_ci([0, 1, 2], [3, 4, 5]).mean == 0.0
    assert auc_with_ci([1, 1], [1, 1]).mean == 0.5
    estimate = auc_with_ci([0.9, 0.8, 0.3, 0.7, None], [0.1, 0.5, 0.4, 0.2, 0.6])
    # 4 positives x 5 negatives less each prompt's own pair (4): 14 of 16; the unscored one is left out
    assert estimate.mean == pytest.approx(14 / 16) and estimate.n == 5
    assert auc_with_ci([0.9, 0.8, 0.3, 0.7, None], [0.1, 0.5, 0.4, 0.2, 0.6], paired=False).mean == pytest.approx(17 / 20)
    assert 0 <= estimate.low <= estimate.mean <= estimate.high <= 1


def test_ladder_prompts_are_stratified_and_mismatched_within_their_category():
    prompts = [Prompt(text=f"q{i}", category=c) for i, c in enumerate("aaaabbbbcccd")]
    answers = [f"answer {i}" for i in range(len(prompts))]
    answers[5] = None  # unanswered prompts are never drawn
    picks, crossed = choose_ladder_prompts(prompts, answers, n=8, seed=1)
    chosen = [prompts[i].category for i, _ in picks]
    # one of each in turn: d runs out after one, so the rest spread over a, b, c as evenly as they allow
    assert len(picks) == 8 and [chosen.count(c) for c in "abcd"] == [3, 2, 2, 1]
    assert all(i != j and answers[i] is not None and answers[j] is not None for i, j in picks)
    assert all(prompts[i].category == prompts[j].category for i, j in picks if prompts[i].category != "d")
    assert crossed == 1  # "d" has a single prompt, so its mismatch comes from another category


@pytest.fixture
def mock_ladder(runner):
    prompts = [Prompt(text=f"Question number {i} about topic {i % 4}", category=f"c{i % 4}") for i in range(24)]
    teacher = load_model("mock/teacher")
    sampling = SamplingParams(max_tokens=64)
    texts = answer_texts(runner, teacher, prompts, sampling)
    return ladder_answers(runner, teacher, prompts, texts, sampling, n=20, seed=0)


def lexical(prompts, references, others):
    return [rouge_l_f1(r, o) for r, o in zip(references, others)]


def test_resamples_go_through_the_runner_and_are_cached(runner, mock_ladder):
    assert mock_ladder.resample_source.startswith("generated: temperature 0.7")
    assert all(text is not None for text in mock_ladder.resample)
    assert all(r != s for r, s in zip(mock_ladder.reference, mock_ladder.resample))
    teacher = load_model("mock/teacher")
    again = ladder_answers(runner, teacher, mock_ladder.prompts, mock_ladder.reference, SamplingParams(max_tokens=64), n=20)
    assert teacher.calls == 0 and again.resample is not None  # every resample came from the store


def test_a_lexical_overlap_judge_passes_the_ladder_through_the_runner(runner, mock_ladder):
    judge = load_model("mock/judge?judge=rse")  # scores by chrF / ROUGE-L / word overlap, as the RSE template asks
    result = run_ladder(mock_ladder, {"rse": rse_measure(runner, judge), "rouge_l": lexical})
    assert set(result.measures) == {"rse", "rse.style", "rse.structure", "rse.content", "rouge_l"}
    rse = result.measures["rse"]
    assert rse.valid and rse.auc_resample_vs_other.mean >= 0.8, rse.reason
    assert rse.rungs["self"].summary.mean == 5.0
    assert rse.rungs["self"].summary.mean >= rse.rungs["resample"].summary.mean > rse.rungs["other_prompt"].summary.mean
    assert result.measures["rouge_l"].valid and result.invalid() == {}
    assert LadderResult.model_validate(json.loads(result.model_dump_json())).is_valid("rse") is True


def test_constant_position_biased_and_candidate_blind_judges_are_invalid(mock_ladder):
    def constant(prompts, references, others):
        return [3.0] * len(references)

    def position_biased(prompts, references, others):  # scores the slot, not the text
        return [5.0 if i % 2 == 0 else 1.0 for i in range(len(references))]

    def ignores_the_candidate(prompts, references, others):  # answer B never read
        return [float(len(r) % 5 + 1) for r in references]

    result = run_ladder(
        mock_ladder, {"constant": constant, "position": position_biased, "blind": ignores_the_candidate, "rouge_l": lexical}
    )
    assert set(result.invalid()) == {"constant", "position", "blind"}
    for name in ("constant", "position", "blind"):
        control = result.measures[name]
        assert control.auc_resample_vs_other.mean == pytest.approx(0.5, abs=0.15)
        assert "AUC(resample vs other prompt)" in control.reason


def test_an_unreadable_judge_is_invalid_and_its_failures_are_counted(mock_ladder):
    def mostly_unreadable(prompts, references, others):
        return [rouge_l_f1(r, o) if i < 3 else None for i, (r, o) in enumerate(zip(references, others))]

    control = run_ladder(mock_ladder, {"judge": mostly_unreadable}).measures["judge"]
    assert not control.valid and "could be scored" in control.reason
    assert control.rungs["other_prompt"].failures == len(mock_ladder.prompts) - 3


def test_a_costly_judge_that_cannot_be_scored_is_stopped_early_with_the_same_verdict(mock_ladder):
    n = len(mock_ladder.prompts)
    asked = []

    def unreadable(prompts, references, others):
        asked.append(len(prompts))
        return [None] * len(prompts)

    full = run_ladder(mock_ladder, {"judge": unreadable}).measures["judge"]
    assert sum(asked) == 3 * n and full.calls_saved == 0
    asked.clear()
    stopped = run_ladder(mock_ladder, {"judge": CostlyMeasure(unreadable, chunk=4)}).measures["judge"]
    # it stops after the first chunk of 4 that leaves fewer than half the ladder's pairs to be scored, on the first rung
    assert sum(asked) == min(a for a in range(4, n + 4, 4) if (n - a) * 2 < n) and max(asked) == 4
    assert stopped.status == full.status == "invalid"
    assert f"only 0 of {sum(asked)} asked 'self' pairs could be scored" in stopped.reason, stopped.reason
    assert stopped.calls_saved == 3 * n - sum(asked) and "stopped asking" in stopped.reason
    assert stopped.rungs["self"].failures == sum(asked) and stopped.rungs["other_prompt"].failures == 0


def test_a_costly_measure_that_can_be_scored_gets_the_full_ladder_and_the_same_numbers(mock_ladder):
    readable = set(mock_ladder.reference[::2])

    def half_unreadable(prompts, references, others):  # every other prompt unreadable: still scoreable, never stopped
        return [rouge_l_f1(r, o) if r in readable else None for r, o in zip(references, others)]

    plain = run_ladder(mock_ladder, {"m": lexical, "h": half_unreadable})
    costly = run_ladder(mock_ladder, {"m": CostlyMeasure(lexical, chunk=3), "h": CostlyMeasure(half_unreadable, chunk=3)})
    for name in ("m", "h"):
        assert costly.measures[name].calls_saved == 0
        assert costly.measures[name].model_dump() == plain.measures[name].model_dump()


def replay_file(tmp_path, prompts, texts, resamples=None):
    path = tmp_path / "reference.jsonl"
    rows = [{"prompt": p.text, "response": t} for p, t in zip(prompts, texts)]
    rows += [{"prompt": p.text, "response": t, "sample_index": 1} for p, t in zip(prompts, resamples or [])]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return load_model(f"replay/{path}")


def test_a_replay_reference_uses_its_saved_second_sample(tmp_path, runner):
    prompts, texts = load_pairs()
    model = replay_file(tmp_path, prompts, texts["qwen_greedy"], texts["qwen_t07"])
    ladder = ladder_answers(runner, model, prompts, texts["qwen_greedy"], SamplingParams(), n=12)
    assert ladder.resample_source == "replay sample_index 1"
    by_text = dict(zip(texts["qwen_greedy"], texts["qwen_t07"]))
    assert ladder.resample == [by_text[r] for r in ladder.reference]


def test_without_a_resample_rung_2_is_skipped_and_the_result_says_so(tmp_path, runner):
    prompts, texts = load_pairs()
    model = replay_file(tmp_path, prompts, texts["qwen_greedy"])
    ladder = ladder_answers(runner, model, prompts, texts["qwen_greedy"], SamplingParams(), n=12)
    assert ladder.resample_source.startswith("none") and ladder.resample == [None] * 12
    result = run_ladder(ladder, {"rouge_l": lexical})
    control = result.measures["rouge_l"]
    assert result.resamples_available == 0 and control.auc_resample_vs_other is None
    assert control.valid and "no resample could be had" in control.reason


# --- judge controls -----------------------------------------------------------------------------

TOPICS = [
    "volcanoes",
    "tea",
    "chess",
    "glaciers",
    "bees",
    "bridges",
    "comets",
    "violins",
    "deserts",
    "coral",
    "tides",
    "owls",
    "maple",
    "copper",
    "orbits",
    "sourdough",
    "falcons",
    "lighthouses",
    "granite",
    "kites",
]


@pytest.fixture
def topical():
    prompts = [Prompt(text=f"Tell me something about {t}.", category="general") for t in TOPICS]
    answers = [f"Here is a fact about {t}: many people find {t} fascinating, and {t} have a long history." for t in TOPICS]
    return prompts, answers, mismatched_pairs(prompts, answers)


def overlap_judge(prompt, a, b):
    words = set(tokenize(prompt))
    return "A" if len(words & set(tokenize(a))) >= len(words & set(tokenize(b))) else "B"


def test_pairwise_control_passes_a_judge_that_reads_both_answers(topical):
    prompts, answers, mismatched = topical
    assert all(m != a for m, a in zip(mismatched, answers))
    control = pairwise_control(per_item(overlap_judge), [p.text for p in prompts], answers, mismatched)
    assert control.valid and control.statistic.mean == 1.0 and control.coverage.mean == 1.0


@pytest.mark.parametrize(
    "judge",
    [
        lambda prompt, a, b: "A",  # position bias: never order-consistent
        lambda prompt, a, b: "B",
        lambda prompt, a, b: "A" if len(a) % 2 else "B",  # ignores answer B (and the prompt)
        lambda prompt, a, b: None,  # unreadable
    ],
    ids=["always-A", "always-B", "ignores-B", "unreadable"],
)
def test_pairwise_control_flags_judges_that_cannot_do_the_task(topical, judge):
    prompts, answers, mismatched = topical
    control = pairwise_control(per_item(judge), [p.text for p in prompts], answers, mismatched)
    assert not control.valid, control.reason


@pytest.fixture(scope="module")
def identity_items():
    library = load_library()
    return library, identity_statements(library.get("qwen"), library)


def test_identity_control_statements_cover_both_languages_and_other_families_only(identity_items):
    library, (own, foreign) = identity_items
    assert any(text.startswith("我是") for _, text in own) and any(text.startswith("I am") for _, text in own)
    claimed = {m.id for _, text in foreign for m in library.mentions(text)}
    assert "openai" in claimed and "anthropic" in claimed and "qwen" not in claimed and "alibaba" not in claimed


def test_conflict_control_passes_a_claim_reading_judge_and_flags_blind_ones(identity_items):
    library, (own, foreign) = identity_items
    own_ids = {"qwen", "alibaba"}

    def reads_claims(facts, response):
        return float(any(m.id not in own_ids for m in library.mentions(response)))

    assert conflict_control(per_item(reads_claims), own, foreign).valid
    blind = [
        lambda facts, response: 0.0,  # constant
        lambda facts, response: float("Alibaba" in " ".join(facts)),  # reads the facts, ignores the answer
        lambda facts, response: None,
    ]  # unreadable
    for judge in blind:
        control = conflict_control(per_item(judge), own, foreign)
        assert not control.valid, control.reason


# --- the commands ---------------------------------------------------------------------------------


def test_rse_and_similarity_commands_run_and_record_the_ladder(cli, tmp_path):
    prompts, texts = load_pairs()
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps({"text": p.text, "category": p.category}) + "\n" for p in prompts))
    reference = replay_file(tmp_path, prompts, texts["qwen_greedy"], texts["qwen_t07"]).spec.name
    student = tmp_path / "student.jsonl"
    student.write_text("".join(json.dumps({"prompt": p.text, "response": t}) + "\n" for p, t in zip(prompts, texts["smollm2_greedy"])))
    common = [
        "--reference",
        f"replay/{reference}",
        "--student",
        f"replay/{student}",
        "--suite",
        suite,
        "--n",
        "24",
        "--split",
        "all",
        "--ladder-n",
        "12",
        "--no-progress",
    ]
    out = tmp_path / "rse.json"
    code, stdout, err = cli("rse", *common, "--judge", "mock/j?judge=rse", "--swap-n", "0", "--out", out)
    assert code == 0, err
    controls = json.loads(out.read_text())["controls"]
    assert controls["n_prompts"] == 12 and controls["resample_source"] == "replay sample_index 1"
    assert {"rse", "rse.style", "rse.structure", "rse.content"} == set(controls["measures"])
    assert "control ladder" in stdout and "AUC(2 vs 3)" in stdout
    flagged = [name for name, m in controls["measures"].items() if m["status"] == "invalid"]
    undecided = [name for name, m in controls["measures"].items() if m["status"] == "undecided"]
    assert ("INVALID for this run" in stdout) == bool(flagged) and ("undecided (not validated" in stdout) == bool(undecided)
    assert all(not controls["measures"][name]["valid"] for name in flagged + undecided)

    pytest.importorskip("sentence_transformers")
    out = tmp_path / "sim.json"
    code, stdout, err = cli("similarity", *common, "--embedder", "minilm", "--out", out)
    assert code == 0, err
    data = json.loads(out.read_text())
    assert {"cosine", "rouge_l", "chrf", "style", "structure", "content_terms"} <= set(data["controls"]["measures"])
    cosine = data["controls"]["measures"]["cosine"]
    # 12 ladder prompts: a sound measure is not shown invalid, but its interval may still straddle 0.8 (undecided)
    assert cosine["status"] in ("valid", "undecided") and cosine["auc_resample_vs_other"]["mean"] >= 0.8
    assert set(data["students"][f"replay/{student}"]["similarity"]["aspects"]["overall"]) >= {"style", "content_alignment"}
    assert "aspect similarity" in stdout


def test_a_ladder_without_prompts_checks_nothing_rather_than_passing_anything():
    empty = ladder_answers(None, load_model("mock/t"), [Prompt(text="only one")], ["an answer"], SamplingParams())
    result = run_ladder(empty, {"rouge_l": lexical})
    assert result.n_prompts == 0 and result.measures == {} and result.is_valid("rouge_l") is None


def test_controls_written_before_the_interval_rule_read_their_status_from_valid():
    from distillscope.controls.judges import JudgeControl
    from distillscope.controls.ladder_result import MeasureControl
    from distillscope.stats import Estimate

    estimate = Estimate(mean=0.9, low=0.85, high=0.95, n=20).model_dump()
    old_measure = {"measure": "m", "rungs": {}, "auc_resample_vs_other": estimate, "auc_self_vs_other": None, "reason": "r"}
    assert MeasureControl.model_validate({**old_measure, "valid": True}).status == "valid"
    assert MeasureControl.model_validate({**old_measure, "valid": False, "status": None}).status == "invalid"
    assert MeasureControl.model_validate({**old_measure, "valid": False, "status": "undecided"}).status == "undecided"
    old_judge = {"judge": "j", "control": "pairwise", "n": 20, "statistic": estimate, "reason": "r"}
    assert JudgeControl.model_validate({**old_judge, "valid": True}).status == "valid"
    assert JudgeControl.model_validate_json(JudgeControl(**old_judge, valid=False).model_dump_json()).status == "invalid"


def test_measure_status_reads_results_json_and_says_unchecked_when_it_cannot_know(mock_ladder):
    def constant(prompts, references, others):
        return [3.0] * len(references)

    result = run_ladder(mock_ladder, {"rouge_l": lexical, "constant": constant})
    as_json = json.loads(result.model_dump_json())
    assert [measure_status(as_json, m) for m in ("rouge_l", "constant", "cosine")] == ["valid", "invalid", "unchecked"]
    assert measure_status(result, "constant") == "invalid" and measure_status(None, "rouge_l") == "unchecked"


def test_plain_identity_answers_keep_only_the_targets_own_identity(runner, identity_items):
    from distillscope.controls.judges import plain_identity_answers

    library, (own, foreign) = identity_items
    truthful = plain_identity_answers(runner, load_model("mock/t?ice=target"), library.get("qwen"), library, SamplingParams())
    assert truthful and all("Qwen" in text for _, text in truthful)  # the toy target tells the truth when asked plainly
    liar = plain_identity_answers(runner, load_model("mock/t?ice=target"), library.get("gemma"), library, SamplingParams())
    assert liar == []  # "I am Qwen" is another family for a Gemma target: a conflict, never a negative


def _audit(tmp_path, name, **options):
    from distillscope import AuditConfig, Workspace, run_audit

    config = AuditConfig(teacher="mock/alpha", students=["mock/beta"], n=12, n_train=12, max_tokens=16, **options)
    with Workspace(tmp_path / f"{name}.sqlite", progress=False) as ws:
        return run_audit(config, ws)


def test_a_judge_measure_failed_by_its_ladder_is_not_computed_and_the_saved_calls_are_reported(tmp_path):
    """Issue 25: the built-in judge the ladder had just declared invalid then scored every student."""
    options = {"metrics": ["rse"], "judge": "mock/unreadable", "ladder_n": 10, "swap_n": 4}  # a judge that gives no score
    skipped = _audit(tmp_path, "skip", **options)
    assert skipped.controls.measures["rse"].status == "invalid"
    beta = skipped.students["mock/beta"]
    assert beta.rse is None and [s.metric for s in beta.skipped] == ["rse"] and beta.skipped[0].calls_saved == 12 + 4
    assert "rse" not in skipped.cost["per_student"]["mock/beta"]  # not one judge call for the student
    assert any("RSE not computed" in p and "16 judge calls saved" in p for p in beta.verdict.points)
    forced = _audit(tmp_path, "forced", force_invalid=True, **options)
    assert forced.students["mock/beta"].rse is not None and forced.cost["per_student"]["mock/beta"]["rse"]["total"]["paid_queries"] >= 16


def test_a_pairwise_judge_failed_by_its_control_judges_no_student_pair(tmp_path):
    options = {"metrics": ["indist"], "adversaries": ["style", "judge"], "pairwise_judges": {"mock/beta": "mock/unreadable"}, "ladder_n": 0}
    result = _audit(tmp_path, "pairwise", **options)
    indist = result.students["mock/beta"].indist
    assert indist.judge_control.status == "invalid" and indist.judge_control.calls_saved == 2 * 12
    assert indist.judge is None and "style" in indist.learned  # the other adversaries still ran

    def judge_calls(run):
        return run.cost["per_student"]["mock/beta"]["indist"]["models"].get("mock/unreadable", {}).get("paid_queries", 0)

    forced = _audit(tmp_path, "pairwise-forced", force_invalid=True, **options)
    assert forced.students["mock/beta"].indist.judge is not None
    assert judge_calls(forced) - judge_calls(result) >= indist.judge_control.calls_saved  # only the control was paid for


def test_a_conflict_judge_failed_by_its_control_judges_no_fuzzed_answer(tmp_path):
    from distillscope import AuditConfig, Workspace, run_audit

    def audit(name, **options):
        config = AuditConfig(
            students=["mock/target?ice=target"],
            judge="mock/unreadable",  # every conflict verdict unreadable: its control fails
            helper="mock/helper?ice=helper",
            facts={"mock/target?ice=target": "qwen"},
            metrics=["ice"],
            ice_budget=10,
            max_tokens=32,
            **options,
        )
        with Workspace(tmp_path / f"{name}.sqlite", progress=False) as ws:
            return run_audit(config, ws).students["mock/target?ice=target"]

    skipped, forced = audit("skip"), audit("forced", force_invalid=True)
    assert skipped.ice.judge_control.status == "invalid" and skipped.ice.judge_control.calls_saved == 10
    assert skipped.ice.overall.loose is None and skipped.ice.unjudged == 10  # not judged: loose is absent, not 0
    assert forced.ice.overall.loose is not None and forced.ice.judge_control.calls_saved is None
    assert any("ICE loose not used" in p and "10 judge calls saved" in p for p in skipped.verdict.points)
