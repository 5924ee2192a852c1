"""Saved responses served as a model."""

import json

import pytest

from distillscope.errors import InputFileError
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams


def _run(tmp_path, spec, prompts, n=1):
    tmp_path.mkdir(parents=True, exist_ok=True)
    with ResponseStore(tmp_path / "s.sqlite") as store:
        return Runner(store, show_progress=False).run(load_model(spec), requests_for(prompts, SamplingParams(n=n)))


def test_replay_jsonl_by_prompt_text_and_sample_index(tmp_path):
    saved = tmp_path / "saved.jsonl"
    rows = [
        {"prompt": "hi", "response": "hello 0", "sample_index": 0, "model": "gpt"},
        {"prompt": "hi", "response": "hello 1", "sample_index": 1, "model": "gpt"},
        {"prompt": "hi", "response": "other", "model": "claude"},
    ]
    saved.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = _run(tmp_path, f"replay/{saved}?model=gpt", [Prompt(text="hi")], n=2)
    assert [r.text for r in result.responses] == ["hello 0", "hello 1"]
    assert _run(tmp_path / "c", f"replay/{saved}?model=claude", [Prompt(text="hi")]).responses[0].text == "other"


def test_replay_csv_by_prompt_id_and_missing_prompts_fail(tmp_path):
    known = Prompt(text="known")
    saved = tmp_path / "saved.csv"
    saved.write_text(f"prompt_id,output\n{known.id},from csv\n")
    result = _run(tmp_path, f"replay/{saved}", [known, Prompt(text="unknown")])
    assert result.responses[0].text == "from csv"
    assert result.responses[1] is None and "no saved response" in result.failures[0].message


def test_replay_file_without_responses_is_a_user_error(tmp_path):
    saved = tmp_path / "saved.jsonl"
    saved.write_text(json.dumps({"prompt": "hi"}) + "\n")
    with pytest.raises(InputFileError, match="line 1: no response field"):
        _run(tmp_path, f"replay/{saved}", [Prompt(text="hi")])


def _write(path, answer):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"prompt": "hi", "response": answer}) + "\n", encoding="utf-8")


def test_a_rewritten_replay_file_is_read_again_not_served_from_the_store(tmp_path):
    saved = tmp_path / "saved.jsonl"
    _write(saved, "first")
    with ResponseStore(tmp_path / "s.sqlite") as store:
        runner = Runner(store, show_progress=False)
        assert runner.run(load_model(f"replay/{saved}"), requests_for([Prompt(text="hi")], SamplingParams())).responses[0].text == "first"
        _write(saved, "rewritten")
        again = runner.run(load_model(f"replay/{saved}"), requests_for([Prompt(text="hi")], SamplingParams()))
    assert again.responses[0].text == "rewritten"


def test_same_named_files_in_two_directories_keep_their_own_answers(tmp_path, monkeypatch):
    _write(tmp_path / "a" / "answers.jsonl", "from a")
    _write(tmp_path / "b" / "answers.jsonl", "from b")
    texts = []
    with ResponseStore(tmp_path / "s.sqlite") as store:
        runner = Runner(store, show_progress=False)
        for folder in ("a", "b"):
            monkeypatch.chdir(tmp_path / folder)  # the same spec as typed, two files
            texts.append(
                runner.run(load_model("replay/answers.jsonl"), requests_for([Prompt(text="hi")], SamplingParams())).responses[0].text
            )
    assert texts == ["from a", "from b"]


def test_replay_identity_is_the_absolute_path_and_its_key_the_content(tmp_path, monkeypatch):
    _write(tmp_path / "answers.jsonl", "x")
    monkeypatch.chdir(tmp_path)
    relative, absolute = load_model("replay/./answers.jsonl"), load_model(f"replay/{tmp_path / 'answers.jsonl'}")
    request = requests_for([Prompt(text="hi")], SamplingParams())[0]
    assert relative.identity == absolute.identity == f"replay/{tmp_path / 'answers.jsonl'}"
    assert relative.request_key(request) == absolute.request_key(request)
    # a saved answer does not depend on sampling: one key at any temperature
    hot = requests_for([Prompt(text="hi")], SamplingParams(temperature=0.7))[0]
    assert absolute.request_key(hot) == absolute.request_key(request)


def test_unknown_replay_format_names_the_formats_it_reads(tmp_path):
    from distillscope.errors import UserError

    _write(tmp_path / "answers.jsonl", "x")
    with pytest.raises(UserError, match="unknown replay format 'foo'.*inspect, lm-eval, openai-batch, hf-dataset, promptfoo, jsonl"):
        load_model(f"replay/{tmp_path / 'answers.jsonl'}?format=foo")
