"""The paper's LLM strict judge as a second stage over loose positives, against the extractor (toy ICE world)."""

import pytest

from distillscope.errors import UserError
from distillscope.ice.claims import default_library
from distillscope.ice.fuzzer import FuzzConfig, Fuzzer
from distillscope.ice.strict_judge import (
    agreement,
    apply_strict_judge,
    check_strict_options,
    describe_families,
    parse_strict,
    strict_prompt,
)
from distillscope.ice.templates import PLACEHOLDER, SeedTemplate, identity_questions
from distillscope.judges.parsing import ScoreParseError
from distillscope.models.base import Completion
from distillscope.models.mock import MockModel
from distillscope.models.registry import load_model
from distillscope.models.spec import ModelSpec
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore


class StrictMock(MockModel):
    """The toy conflict judge, plus a strict judge that says 1 when the judged text names OpenAI (or is unreadable on cue)."""

    def answer(self, request):
        prompt = request.messages[0].content
        if "[TEXT]" not in prompt:
            return super().answer(request)
        text = prompt.split("[TEXT]")[1].split("[END TEXT]")[0]
        if self.spec.opt_str("judge_garble"):
            return Completion(text="Both <judge>1</judge> and <judge>0</judge> are possible.", finish_reason="stop")
        return Completion(
            text=f"It {'claims' if 'OpenAI' in text else 'does not claim'} OpenAI. <judge>{int('OpenAI' in text)}</judge>",
            finish_reason="stop",
        )


def test_the_verdict_is_read_from_one_tag_only():
    assert parse_strict("The text says it was built by OpenAI. <judge>1</judge>") is True
    assert parse_strict("<judge> 0 </judge>") is False
    assert parse_strict("<judge>1</judge> ... so again <judge>1</judge>") is True
    for bad in ("1", "Score: 1", "<judge>1</judge> or <judge>0</judge>", "<judge>yes</judge>", "<judge>0.5</judge>", ""):
        with pytest.raises(ScoreParseError):
            parse_strict(bad)


def test_the_prompt_names_the_strict_families_and_keeps_the_answer_verbatim():
    library = default_library()
    prompt = strict_prompt("[GPT]: I was made by OpenAI.", describe_families(["openai", "anthropic"], library))
    assert "OpenAI" in prompt and "Anthropic" in prompt and "ChatGPT" in prompt and "Claude" in prompt
    assert "[GPT]: I was made by OpenAI." in prompt and "<judge>1</judge>" in prompt


def test_kappa_and_confusion_matrix():
    result = agreement([True, True, False, False, True], [True, False, False, None, True])
    assert (result.n, result.both, result.extractor_only, result.judge_only, result.neither) == (4, 2, 1, 0, 1)
    assert result.judge_failures == 1 and result.kappa == pytest.approx(0.5)
    assert agreement([True, True], [True, True]).kappa is None  # no variation: undefined, not 1


def _run(tmp_path, judge_spec):
    library = default_library()
    runner = Runner(ResponseStore(tmp_path / "s.sqlite"), show_progress=False)
    seeds = [SeedTemplate(id=f"s{i}", text=f"Scenario {i}. {PLACEHOLDER}", misleading=False) for i in range(3)]
    judge = StrictMock(ModelSpec.parse(judge_spec))
    fuzzer = Fuzzer(
        runner,
        load_model("mock/target?ice=target"),
        load_model("mock/helper?ice=helper"),
        judge,
        library.get("qwen"),
        library,
        seeds,
        identity_questions(),
        FuzzConfig(budget=40, strict_families=["openai", "anthropic"]),
    )
    return fuzzer.run(), runner, judge, library


@pytest.mark.parametrize("mode", ["judge", "both"])
def test_second_stage_over_loose_positives_agrees_with_the_extractor_in_the_toy_world(tmp_path, mode):
    run, runner, judge, library = _run(tmp_path, "mock/judge?ice=judge")
    extractor = [r.strict for r in run.records]
    stage = apply_strict_judge(run, runner, judge, library.get("qwen"), library, ["openai", "anthropic"], mode)
    assert stage.judged == sum(bool(r.loose) for r in run.records) > 0  # only loose positives, as in the paper
    assert stage.families == ["openai", "anthropic"] and stage.agreement.kappa == pytest.approx(1.0)
    assert stage.agreement.extractor_only == stage.agreement.judge_only == 0
    assert [r.strict for r in run.records] == extractor  # here the judge agrees, so strict is unchanged in both modes


def test_unreadable_strict_verdicts_are_failures_not_guesses(tmp_path):
    run, runner, judge, library = _run(tmp_path, "mock/judge?ice=judge&judge_garble=1")
    stage = apply_strict_judge(run, runner, judge, library.get("qwen"), library, ["openai"], "judge")
    assert stage.judge_positive == 0 and len(stage.failures) == stage.judged > 0
    assert "ambiguous" in stage.failures[0]["error"] and "<judge>1</judge>" in stage.failures[0]["raw"]
    assert not any(r.strict for r in run.records)  # unreadable counts as not strict, and is listed


def test_options_are_checked_with_one_line_fixes():
    library = default_library()
    assert check_strict_options("openai,anthropic", "extractor", None, library) == ["openai", "anthropic"]
    assert check_strict_options("any", "extractor", None, library) is None
    with pytest.raises(UserError, match="unknown family"):
        check_strict_options("openai,chatgpt", "extractor", None, library)
    with pytest.raises(UserError, match="needs an LLM judge"):
        check_strict_options("openai", "judge", None, library)
    with pytest.raises(UserError, match="one of"):
        check_strict_options("openai", "llm", "mock/j", library)


def test_ice_command_states_the_strict_families_and_runs_the_strict_judge(cli, tmp_path):
    import json

    out = tmp_path / "ice.json"
    code, _, err = cli(
        "ice",
        "--target",
        "mock/target?ice=target",
        "--helper",
        "mock/helper?ice=helper",
        "--judge",
        "mock/judge?ice=judge",
        "--facts",
        "qwen",
        "--budget",
        "10",
        "--strict-judge",
        "both",
        "--store",
        tmp_path / "s.sqlite",
        "--no-progress",
        "--out",
        out,
    )
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    results = data["students"]["mock/target?ice=target"]["ice"]
    assert results["strict_families"] == ["openai", "anthropic"] and results["strict_mode"] == "both"
    assert results["strict_judge"]["families"] == ["openai", "anthropic"] and "kappa" in results["strict_judge"]["agreement"]
    code, _, err = cli(
        "ice",
        "--target",
        "mock/target?ice=target",
        "--helper",
        "mock/helper?ice=helper",
        "--facts",
        "qwen",
        "--budget",
        "5",
        "--strict-judge",
        "judge",
        "--out",
        out,
    )
    assert code == 2 and "needs an LLM judge" in err
