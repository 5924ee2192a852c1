"""The transformers backend on a tiny random model built inside the test."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from distillscope.models.registry import load_model  # noqa: E402
from distillscope.models.tiny_hf import make_tiny_causal_lm  # noqa: E402
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner  # noqa: E402
from distillscope.runner.store import ResponseStore  # noqa: E402
from distillscope.types import Prompt, SamplingParams  # noqa: E402

PROMPTS = [Prompt(text=t) for t in ("who made you ?", "write a poem about the sea", "what is two and three ?")]


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return make_tiny_causal_lm(root / "chat", chat=True), make_tiny_causal_lm(root / "base", chat=False)


def _run(tmp_path, spec, sampling):
    tmp_path.mkdir(parents=True, exist_ok=True)  # a store's directory must exist (only the default one is created)
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


def test_a_cached_run_computes_its_keys_without_loading_weights(tiny_dirs, tmp_path):
    chat_dir, base_dir = tiny_dirs
    for directory, mode in ((chat_dir, "chat"), (base_dir, "completion")):
        first = _run(tmp_path / mode, f"hf/{directory}", SamplingParams(max_tokens=4))
        model = load_model(f"hf/{directory}")
        assert model.mode == mode  # from the tokenizer files alone
        with ResponseStore(tmp_path / mode / "s.sqlite") as store:
            again = Runner(store, show_progress=False).run(model, requests_for(PROMPTS, SamplingParams(max_tokens=4)))
        assert again.counts.cached == len(PROMPTS) and [r.text for r in again.responses] == [r.text for r in first.responses]
        assert model._model is None and model._tokenizer is None  # nothing was loaded


def test_chat_template_is_found_in_every_place_transformers_keeps_it(tmp_path):
    import json

    from distillscope.models.hf import has_chat_template_files

    for name, content in (
        ("chat_template.jinja", "{{ messages }}"),
        ("chat_template.json", json.dumps({"chat_template": "{{ messages }}"})),
        ("tokenizer_config.json", json.dumps({"chat_template": "{{ messages }}", "eos_token": "</s>"})),
    ):
        directory = tmp_path / name
        directory.mkdir()
        (directory / name).write_text(content)
        assert has_chat_template_files(directory, None)
    empty = tmp_path / "none"
    empty.mkdir()
    (empty / "tokenizer_config.json").write_text(json.dumps({"eos_token": "</s>"}))
    assert not has_chat_template_files(empty, None)


def test_a_replaced_model_directory_gets_new_keys(tiny_dirs, tmp_path):
    import shutil

    chat_dir, _ = tiny_dirs
    copy = shutil.copytree(chat_dir, tmp_path / "model", copy_function=shutil.copy2)  # mtimes kept
    request = requests_for(PROMPTS[:1], SamplingParams())[0]
    key = load_model(f"hf/{copy}").request_key(request)
    assert load_model(f"hf/{copy}").request_key(request) == key  # stable while nothing changes
    make_tiny_causal_lm(copy, chat=True, seed=1)  # retrained: same names, same sizes, other weights
    assert load_model(f"hf/{copy}").request_key(request) != key
