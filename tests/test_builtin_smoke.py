"""The three built-in models, for real, on a few prompts (slow: about a minute)."""

import pytest

from distillscope.models.builtin import BUILTIN_MODELS, ensure_builtin
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp")

IDENTITY = Prompt(text="Who created you? Answer in one sentence.")
OTHERS = [Prompt(text="What is 2 + 3? Answer with a number."), Prompt(text="Name a primary colour.")]


def test_builtin_files_assemble_and_verify():
    for name, info in BUILTIN_MODELS.items():
        path = ensure_builtin(name)
        assert path.stat().st_size == info.size
        assert path.read_bytes()[:4] == b"GGUF"


@pytest.mark.parametrize("name", sorted(BUILTIN_MODELS))
def test_builtin_model_answers_and_resumes_from_the_store(name, tmp_path):
    sampling = SamplingParams(max_tokens=48)
    with ResponseStore(tmp_path / "s.sqlite") as store:
        runner = Runner(store, show_progress=False)
        first = runner.run(load_model(f"builtin/{name}"), requests_for([IDENTITY, *OTHERS], sampling))
        assert first.complete and first.counts.generated == 3
        assert all(r.completion_tokens and r.completion_tokens > 0 for r in first.responses)
        assert sum(bool(r.text.strip()) for r in first.responses) >= 2  # a base model may say little
        again = runner.run(load_model(f"builtin/{name}"), requests_for([IDENTITY, *OTHERS], sampling))
        assert again.counts.cached == 3 and [r.text for r in again.responses] == [r.text for r in first.responses]
    if name == "qwen2.5-coder-0.5b-instruct":
        answer = first.responses[0].text.lower()
        assert "alibaba" in answer or "qwen" in answer, answer


def test_base_model_is_asked_by_completion_in_a_frame():
    model = load_model("builtin/gemma-3-270m")
    rendered = model.rendered_input(requests_for([IDENTITY], SamplingParams())[0])
    assert rendered.endswith(f"Question: {IDENTITY.text}\nAnswer:")
    assert model.identity == "builtin/gemma-3-270m"
