"""`store restore`: an export put back under its own keys is reused by every run, never overwrites, never half-writes."""

import gzip
import json

import pytest

from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.runner.store.export import export_responses
from distillscope.types import Prompt, SamplingParams

SPECS = ("mock/a", "mock/b?variant=1")
TEXTS = ["what is two and two?", "name a colour", "who made you?"]


def _run(store, spec, **sampling):
    requests = requests_for([Prompt(text=t) for t in TEXTS], SamplingParams(**sampling))
    return Runner(store, show_progress=False).run(load_model(spec), requests)


@pytest.fixture
def exported(tmp_path):
    with ResponseStore(tmp_path / "first.sqlite") as store:
        answers = {spec: _run(store, spec, n=2, temperature=0.7) for spec in SPECS}
        export_responses(store, tmp_path / "export.jsonl")
    return tmp_path / "export.jsonl", answers


@pytest.mark.parametrize("compressed", [False, True])
def test_a_restored_export_serves_the_same_runs_without_asking_again(cli, tmp_path, exported, compressed):
    path, answers = exported
    if compressed:
        gz = tmp_path / "export.jsonl.gz"
        gz.write_bytes(gzip.compress(path.read_bytes()))
        path = gz
    code, _, err = cli("store", "restore", path, "--store", tmp_path / "second.sqlite")
    assert code == 0 and "restored 12 of 12 answers (0 already stored) of 2 models" in err
    with ResponseStore(tmp_path / "second.sqlite") as store:
        for spec in SPECS:
            again = _run(store, spec, n=2, temperature=0.7)
            assert again.counts.generated == 0 and again.counts.cached == 6
            assert [r.text for r in again.responses] == [r.text for r in answers[spec].responses]
        export_responses(store, tmp_path / "again.jsonl")
    assert sorted((tmp_path / "again.jsonl").read_text().splitlines()) == sorted(exported[0].read_text().splitlines())


def test_restoring_twice_or_over_other_answers_overwrites_nothing(cli, tmp_path, exported):
    path, _ = exported
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["text"] = "an answer someone edited"
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = tmp_path / "second.sqlite"
    assert cli("store", "restore", path, "--store", store)[0] == 0
    code, _, err = cli("store", "restore", edited, "--store", store)
    assert code == 0 and "restored 0 of 12 answers (12 already stored)" in err
    with ResponseStore(store) as opened:
        assert opened.get(rows[0]["key"]).text != "an answer someone edited"


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda r: r.pop("key"), "no key"),
        (lambda r: r.update(key="not-a-key"), "not a store key"),
        (lambda r: r.update(sample_index=-1), "greater than or equal to 0"),
        (lambda r: r.update(messages=[{"role": "user"}]), "Field required"),
        (lambda r: r.pop("rendered_input"), "no rendered_input"),
    ],
)
def test_a_file_with_one_bad_row_is_refused_in_one_line_before_the_store_is_touched(cli, tmp_path, exported, damage, why):
    path, _ = exported
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    damage(rows[3])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = cli("store", "restore", bad, "--store", tmp_path / "second.sqlite")
    assert code != 0 and f"line 4 of {bad} is not a stored answer" in err and why in err
    assert "store export" in err and len(err.strip().splitlines()) <= 2
    assert not (tmp_path / "second.sqlite").exists()


@pytest.mark.parametrize("content", [b"not json\n", b"", b"[1, 2]\n", gzip.compress(b"x")[:5]])
def test_what_is_not_an_export_is_refused(cli, tmp_path, content):
    bad = tmp_path / ("bad.jsonl.gz" if content.startswith(b"\x1f\x8b") else "bad.jsonl")
    bad.write_bytes(content)
    code, _, err = cli("store", "restore", bad, "--store", tmp_path / "s.sqlite")
    assert code != 0 and "store export" in err and not (tmp_path / "s.sqlite").exists()
