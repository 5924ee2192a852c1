"""Batched llama.cpp decoding: same answers as one at a time, each answer with its own prompt, prefixes reused.

Runs the smallest built-in (SmolLM2-135M, about 100 MB, packaged with the
`local` extra) on a few short prompts; skipped where it is not installed.
"""

import os

import pytest

from distillscope.errors import GenerationError, UserError
from distillscope.models import llamacpp_threads
from distillscope.models.llamacpp_jobs import common_prefix_length
from distillscope.models.llamacpp_threads import StepTuner, ThreadPolicy, auto_threads
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import GenerationRequest, Message, Prompt, SamplingParams

SMOL = "builtin/smollm2-135m-instruct"
QUESTIONS = [
    "What is 2 + 3?",
    "Name a primary colour.",
    "Write one sentence about the sea.",
    "Who wrote Hamlet?",
    "Say hello.",
    "List three fruits.",
    "What is the capital of France?",
]
RUBRIC = "You grade answers. " + " ".join(f"Rule {i}: a grade must be a whole number between one and five." for i in range(8))


@pytest.fixture(scope="module")
def smol():
    pytest.importorskip("llama_cpp")
    from distillscope.models.builtin import builtin_status

    if builtin_status("smollm2-135m-instruct") != "ready":
        pytest.skip("the SmolLM2 built-in is not installed (pip install 'distillscope[local]')")
    return {width: load_model(f"{SMOL}?batch_size={width}") for width in (1, 3)}


def _requests(texts, max_tokens=(12,), temperature=0.0):
    return [
        GenerationRequest(
            prompt_id=f"p{i}",
            messages=(Message(role="user", content=text),),
            sampling=SamplingParams(max_tokens=max_tokens[i % len(max_tokens)], temperature=temperature, seed=7),
        )
        for i, text in enumerate(texts)
    ]


@pytest.mark.slow
def test_batched_greedy_answers_equal_single_stream(smol):
    # several max_tokens values, so sequences end at different steps and later prompts refill their slots
    requests = _requests(QUESTIONS, max_tokens=(4, 12, 7))
    single = smol[1].generate_blocking(requests)
    batched = smol[3].generate_blocking(requests)
    assert [c.text for c in batched] == [c.text for c in single]
    assert [c.completion_tokens for c in batched] == [c.completion_tokens for c in single]
    assert [c.finish_reason for c in batched] == [c.finish_reason for c in single]
    assert [c.prompt_tokens for c in batched] == [c.prompt_tokens for c in single]


@pytest.mark.slow
def test_refill_order_keeps_each_answer_with_its_prompt(smol):
    requests = _requests(QUESTIONS, max_tokens=(3, 16, 8))
    forward = dict(zip((r.prompt_id for r in requests), (c.text for c in smol[3].generate_blocking(requests))))
    reordered = list(reversed(requests))
    backward = dict(zip((r.prompt_id for r in reordered), (c.text for c in smol[3].generate_blocking(reordered))))
    assert forward == backward
    assert len(set(forward.values())) > 3  # the prompts really get different answers, so a mix-up would show


@pytest.mark.slow
def test_shared_prefix_is_computed_once_and_changes_no_answer(smol):
    requests = _requests([f"{RUBRIC}\n\nAnswer to grade: {q}" for q in QUESTIONS[:5]], max_tokens=(6,))
    engine = smol[3].engine()
    reused_before, prefill_before = engine.reused_tokens, engine.prefill_tokens
    batched = smol[3].generate_blocking(requests)
    reused, computed = engine.reused_tokens - reused_before, engine.prefill_tokens - prefill_before
    prompt_total = sum(c.prompt_tokens for c in batched)
    assert reused >= 4 * 80  # four of the five prompts copy the rubric instead of computing it
    assert computed < prompt_total - 3 * 80  # the rubric was computed once, not five times
    assert [c.text for c in batched] == [c.text for c in smol[1].generate_blocking(requests)]
    # the next call finds the prefix already there: every prompt copies it
    again_reused = engine.reused_tokens
    smol[3].generate_blocking(requests[:2])
    assert engine.reused_tokens - again_reused >= 2 * 80


@pytest.mark.slow
def test_sampled_answers_follow_the_seed_as_in_single_stream(smol):
    requests = _requests(QUESTIONS[:4], max_tokens=(10,), temperature=0.9)
    batched = [c.text for c in smol[3].generate_blocking(requests)]
    assert batched == [c.text for c in smol[3].generate_blocking(requests)]  # reproducible
    assert batched == [c.text for c in smol[1].generate_blocking(requests)]  # the same sampler chain and seed


@pytest.mark.slow
def test_a_prompt_longer_than_the_context_fails_before_any_decoding(smol):
    model = load_model(f"{SMOL}?batch_size=3&n_ctx=64")
    requests = _requests(["short", "word " * 200])
    with pytest.raises(GenerationError, match="context window"):
        model.generate_blocking(requests)


@pytest.mark.slow
def test_a_width_beyond_llama_cpp_is_refused_with_its_fix(smol):
    model = load_model(f"{SMOL}?batch_size=400")
    with pytest.raises(UserError, match="batch_size=255 or less"):
        model.generate_blocking(_requests(["hi", "ho"]))


def test_batch_size_and_threads_stay_out_of_the_store_key(tmp_path):
    assert load_model(f"{SMOL}?batch_size=5&n_threads=1").identity == load_model(SMOL).identity
    model = load_model(f"{SMOL}?batch_size=5")
    assert model.width == 5 and model.batch_size > 5  # the runner hands over more than a width, for refills
    assert load_model(f"{SMOL}?batch_size=1").batch_size == 1


@pytest.mark.slow
def test_runner_stores_batched_answers_and_serves_them_again(smol, tmp_path):
    prompts = [Prompt(text=q) for q in QUESTIONS[:5]]
    with ResponseStore(tmp_path / "s.sqlite") as store:
        runner = Runner(store, show_progress=False)
        first = runner.run(load_model(f"{SMOL}?batch_size=3"), requests_for(prompts, SamplingParams(max_tokens=6)))
        again = runner.run(load_model(f"{SMOL}?batch_size=1"), requests_for(prompts, SamplingParams(max_tokens=6)))
    assert first.complete and first.counts.generated == 5
    assert again.counts.cached == 5 and [r.text for r in again.responses] == [r.text for r in first.responses]


def test_threads_leave_busy_cores_alone(monkeypatch):
    monkeypatch.setattr(llamacpp_threads, "available_cores", lambda: 4)
    monkeypatch.setattr(llamacpp_threads, "runnable_elsewhere", lambda: 1)
    assert auto_threads() == 3
    monkeypatch.setattr(llamacpp_threads, "runnable_elsewhere", lambda: 9)
    assert auto_threads() == 1  # never zero
    fixed = ThreadPolicy(2)
    assert fixed.current == 2 and not fixed.refresh(force=True)  # n_threads= turns the adaptation off
    adaptive = ThreadPolicy(None)
    monkeypatch.setattr(llamacpp_threads, "runnable_elsewhere", lambda: 0)
    assert adaptive.refresh(force=True) and adaptive.current == 4


def test_the_step_tuner_keeps_the_faster_thread_count_per_step_size_and_looks_again():
    tuner = StepTuner()
    seconds = {(1, 2): 0.020, (1, 1): 0.010, (8, 2): 0.030, (8, 1): 0.050}  # one sequence: 1 thread; eight: both

    def step(tokens: int) -> int:
        threads = tuner.choose(tokens, 2)
        tuner.record(tokens, threads, seconds[tokens, threads])
        return threads

    assert tuner.single_token_threads(2) == 2  # nothing measured yet: the policy's count
    tried = [step(1) for _ in range(2 * StepTuner.TRIALS)]
    assert tried == [2] * StepTuner.TRIALS + [1] * StepTuner.TRIALS  # each option timed, the policy's first
    assert [step(1) for _ in range(5)] == [1] * 5 and tuner.single_token_threads(2) == 1
    assert {step(8) for _ in range(2 * StepTuner.TRIALS)} == {1, 2} and [step(8) for _ in range(5)] == [2] * 5
    later = [step(1) for _ in range(StepTuner.RETRY + 1)]
    assert later[: StepTuner.RETRY - 5] == [1] * (StepTuner.RETRY - 5) and 2 in later  # the loser is timed again
    assert tuner.choose(1, 1) == 1  # one core: nothing to choose


@pytest.mark.slow
def test_switching_threads_between_steps_changes_no_answer(smol):
    from distillscope.models.llamacpp_batch import BatchEngine
    from distillscope.models.llamacpp_jobs import capture_job

    class Alternating(StepTuner):  # the worst case for numerics: a different count on every step
        def __init__(self) -> None:
            super().__init__()
            self.steps = 0

        def choose(self, tokens: int, most: int) -> int:
            self.steps += 1
            return 1 + self.steps % 2

    model = smol[3]
    llama = model.llama()
    requests = _requests(QUESTIONS, max_tokens=(12,))
    jobs = [capture_job(llama, lambda m, r=r: model._call(m, r)) for r in requests]
    answers = {}
    for name, tuner in (("fixed", None), ("alternating", Alternating())):
        engine = BatchEngine(llama, 3, model.n_ctx, 2, tuner=tuner)
        try:
            answers[name] = [r.tokens for r in engine.run(jobs)]
        finally:
            engine.close()
    assert answers["alternating"] == answers["fixed"]


def test_openmp_waits_after_a_short_spin_except_where_torch_trains_and_the_user_setting_wins(monkeypatch):
    for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        monkeypatch.delenv(name, raising=False)
    llamacpp_threads.prepare_openmp()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE" and os.environ["GOMP_SPINCOUNT"] == llamacpp_threads.DECODE_SPIN
    monkeypatch.delenv("GOMP_SPINCOUNT")
    llamacpp_threads.prepare_openmp_for_training()  # a training command, first thing
    llamacpp_threads.prepare_openmp()  # then the llama.cpp backend loads: the training setting stays
    assert os.environ["GOMP_SPINCOUNT"] == "0"
    monkeypatch.setenv("GOMP_SPINCOUNT", "123")
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    llamacpp_threads.prepare_openmp_for_training()
    llamacpp_threads.prepare_openmp()
    assert (os.environ["OMP_WAIT_POLICY"], os.environ["GOMP_SPINCOUNT"]) == ("ACTIVE", "123")  # the user's own


def test_common_prefix_length():
    assert common_prefix_length([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix_length([1, 2], [1, 2, 3]) == 2
    assert common_prefix_length([], [1]) == 0


def test_a_stop_is_not_looked_for_inside_a_multi_byte_character():
    from distillscope.models.llamacpp_jobs import multibyte_tail

    assert multibyte_tail(b"a whole answer") == 0
    assert multibyte_tail("ok é".encode()) == multibyte_tail("ok 中".encode()) == multibyte_tail("ok 😀".encode()) == 0
    assert multibyte_tail("ok é".encode()[:-1]) == 1  # 2-byte character, 1 byte seen
    assert multibyte_tail("ok 中".encode()[:-1]) == 1 and multibyte_tail("ok 中".encode()[:-2]) == 2
    assert multibyte_tail("ok 😀".encode()[:-1]) == 1 and multibyte_tail("ok 😀".encode()[:-3]) == 3
