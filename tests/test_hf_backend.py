"""The transformers backend on a tiny random model built inside the test."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from distillscope.models.registry import load_model  # noqa: E402
from distillscope.runner.runner import Runner, requests_for  # noqa: E402
from distillscope.runner.store import ResponseStore  # noqa: E402
from distillscope.testing.tiny_hf import make_tiny_causal_lm  # noqa: E402
from distillscope.types import Prompt, SamplingParams  # noqa: E402

PROMPTS = [Prompt(text=t) for t in ("who made you ?", "write a poem about the sea", "what is two and three ?")]


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return make_tiny_causal_lm(root / "chat", chat=True), make_tiny_causal_lm(root / "base", chat=False)


def _run(tmp_path, spec, sampling):
    with ResponseStore(tmp_path / "s.sqlite") as store:
        return Runner(store, show_progress=False).run(load_model(spec), requests_for(PROMPTS, sampling))


def test_batched_greedy_equals_one_by_one(tiny_dirs, tmp_path):
    chat_dir, _ = tiny_dirs
    batched = _run(tmp_path / "a", f"hf/{chat_dir}?batch_size=3", SamplingParams(max_tokens=8))
    single = _run(tmp_path / "b", f"hf/{chat_dir}?batch_size=1", SamplingParams(max_tokens=8))
    assert batched.complete and [r.text for r in batched.responses] == [r.text for r in single.responses]
    assert all(0 < r.completion_tokens <= 8 for r in batched.responses)


def test_sampling_is_reproducible_per_seed(tiny_dirs, tmp_path):
    chat_dir, _ = tiny_dirs
    first = _run(tmp_path / "a", f"hf/{chat_dir}", SamplingParams(temperature=1.0, n=2, max_tokens=8, seed=3))
    again = _run(tmp_path / "b", f"hf/{chat_dir}", SamplingParams(temperature=1.0, n=2, max_tokens=8, seed=3))
    assert [r.text for r in first.responses] == [r.text for r in again.responses]
    assert first.responses[0].text != first.responses[1].text


def test_base_model_is_asked_in_the_question_answer_frame(tiny_dirs):
    _, base_dir = tiny_dirs
    model = load_model(f"hf/{base_dir}")
    rendered = model.rendered_input(requests_for(PROMPTS[:1], SamplingParams())[0])
    assert rendered.endswith("Question: who made you ?\nAnswer:")


def test_missing_directory_is_a_user_error(tmp_path):
    from distillscope.errors import ModelFileError

    model = load_model(f"hf/{tmp_path}/nope")
    with pytest.raises(ModelFileError, match="never downloaded"):
        model.generate_blocking(requests_for(PROMPTS[:1], SamplingParams()))
