"""Saved responses served as a model."""

import json

import pytest

from distillscope.errors import InputFileError
from distillscope.models.registry import load_model
from distillscope.runner.runner import Runner, requests_for
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams


def _run(tmp_path, spec, prompts, n=1):
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
