import pytest

from distillscope.errors import UserError
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Job, RetryPolicy, Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams

FAST_RETRY = RetryPolicy(max_attempts=4, initial_wait_s=0.0, max_wait_s=0.01)
PROMPTS = [Prompt(text=f"question {i}") for i in range(10)]


def _runner(tmp_path):
    return Runner(ResponseStore(tmp_path / "s.sqlite"), show_progress=False, retry=FAST_RETRY)


def test_second_run_is_served_from_the_store_without_calling_the_model(tmp_path):
    runner = _runner(tmp_path)
    first = runner.run(load_model("mock/a"), requests_for(PROMPTS, SamplingParams()))
    model = load_model("mock/a")
    second = runner.run(model, requests_for(PROMPTS, SamplingParams()))
    assert model.calls == 0
    assert second.counts.cached == 10 and second.counts.generated == 0
    assert [r.text for r in second.responses] == [r.text for r in first.responses]


def test_only_missing_prompts_are_generated(tmp_path):
    runner = _runner(tmp_path)
    runner.run(load_model("mock/a"), requests_for(PROMPTS[:4], SamplingParams()))
    result = runner.run(load_model("mock/a"), requests_for(PROMPTS, SamplingParams()))
    assert (result.counts.cached, result.counts.generated) == (4, 6)


def test_more_samples_later_only_generates_the_new_ones(tmp_path):
    runner = _runner(tmp_path)
    runner.run(load_model("mock/a"), requests_for(PROMPTS, SamplingParams(temperature=0.8, n=2)))
    result = runner.run(load_model("mock/a"), requests_for(PROMPTS, SamplingParams(temperature=0.8, n=3)))
    assert (result.counts.cached, result.counts.generated) == (20, 10)


def test_samples_differ_at_temperature_and_greedy_resamples_are_refused(tmp_path):
    runner = _runner(tmp_path)
    hot = runner.run(load_model("mock/a"), requests_for(PROMPTS[:1], SamplingParams(temperature=1.0, n=4)))
    assert len({r.text for r in hot.responses}) > 1
    # several greedy answers to one prompt would pay n times for one answer: refused before anything is paid
    with pytest.raises(UserError, match="--temperature"):
        runner.run(load_model("mock/a"), requests_for(PROMPTS[:1], SamplingParams(n=3)))


def test_greedy_keys_ignore_seed_and_top_p_but_not_max_tokens():
    model = load_model("mock/a")
    key = lambda **kw: model.request_key(requests_for(PROMPTS[:1], SamplingParams(**kw))[0])  # noqa: E731
    assert key(seed=1) == key(seed=2) == key(top_p=0.5)
    assert key(max_tokens=10) != key(max_tokens=11)
    assert key(temperature=0.7, seed=1) != key(temperature=0.7, seed=2)


def test_transient_failures_are_retried_and_counted(tmp_path):
    result = _runner(tmp_path).run(load_model("mock/a?transient_failures=2"), requests_for(PROMPTS, SamplingParams()))
    assert result.complete and result.counts.failed == 0
    assert result.counts.retries == 20


def test_exhausted_retries_are_recorded_as_failures_and_retried_next_run(tmp_path):
    runner = _runner(tmp_path)
    failed = runner.run(load_model("mock/a?transient_failures=9"), requests_for(PROMPTS[:3], SamplingParams()))
    assert failed.counts.failed == 3 and failed.failures[0].attempts == FAST_RETRY.max_attempts
    assert failed.failures[0].error_type == "TransientError"
    recovered = runner.run(load_model("mock/a"), requests_for(PROMPTS[:3], SamplingParams()))
    assert recovered.complete and recovered.counts.generated == 3


def test_duplicate_requests_in_one_run_are_sent_once(tmp_path):
    model = load_model("mock/a?batch_size=1&concurrency=1")
    result = _runner(tmp_path).run(model, requests_for([PROMPTS[0], PROMPTS[0]], SamplingParams()))
    assert model.calls == 1 and result.complete
    assert result.responses[0].key == result.responses[1].key


def test_batches_respect_the_backend_batch_size(tmp_path):
    model = load_model("mock/a?batch_size=4")
    _runner(tmp_path).run(model, requests_for(PROMPTS, SamplingParams()))
    assert model.calls == 3


def test_concurrency_limit_is_used_and_respected(tmp_path):
    model = load_model("mock/a?latency=0.05&concurrency=4")
    _runner(tmp_path).run(model, requests_for(PROMPTS, SamplingParams()))
    assert model.max_in_flight == 4


def test_models_on_one_endpoint_share_its_limit():
    from distillscope.runner.limits import LimitsRegistry

    registry = LimitsRegistry()
    same_a = load_model("openai/m1?base_url=http://127.0.0.1:9/v1")
    same_b = load_model("openai/m2?base_url=http://127.0.0.1:9/v1")
    other = load_model("openai/m1?base_url=http://127.0.0.1:10/v1")
    assert registry.for_model(same_a) is registry.for_model(same_b)
    assert registry.for_model(other) is not registry.for_model(same_a)


def test_several_models_in_one_run(tmp_path):
    runner = _runner(tmp_path)
    a, b = runner.run_jobs(
        [
            Job(load_model("mock/a"), requests_for(PROMPTS, SamplingParams())),
            Job(load_model("mock/b"), requests_for(PROMPTS, SamplingParams())),
        ]
    )
    assert a.complete and b.complete
    assert a.responses[0].text != b.responses[0].text
