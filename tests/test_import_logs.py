"""Answers users already have: evaluation logs written by the real tools, read, paired and audited.

inspect_ai logs come from inspect_ai itself (its `mockllm/model` with a
callable that answers per prompt, since its default counts tokens with a
tokenizer it would download), lm-evaluation-harness samples from lm-eval's
`dummy` model on a local task, datasets from `datasets.Dataset`. The OpenAI
batch and promptfoo files are written here following their documented
schemas (no offline tool writes them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillscope.errors import InputFileError
from distillscope.imports.detect import detect_format, read_log
from distillscope.imports.pairing import pair_logs

QUESTIONS = {
    "a": "What is the capital of France?",
    "b": "Explain why the sky is blue in one sentence.",
    "d": "Write a haiku about autumn leaves falling.",
}


def _inspect_log(folder: Path, voice: str, log_format: str, system: str | None = None) -> Path:
    """An inspect_ai log: plain and chat-formatted samples, one that errors, two epochs."""
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, ModelOutput, ModelUsage, get_model
    from inspect_ai.solver import generate

    calls = {"n": 0}

    def answer(messages, tools, tool_choice, config):  # noqa: ANN001, ANN202 - inspect's custom_outputs callable
        text = messages[-1].text
        if "explode" in text:
            raise RuntimeError("the server exploded")
        calls["n"] += 1
        output = ModelOutput.from_content(model="mockllm", content=f"{voice}: about '{text[:30]}', take {calls['n']}")
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)  # else it fetches a tokenizer
        return output

    opening = [ChatMessageSystem(content=system)] if system else []
    samples = [
        Sample(id="a", input=[*opening, ChatMessageUser(content=QUESTIONS["a"])]),
        Sample(id="b", input=[*opening, ChatMessageUser(content=QUESTIONS["b"])]),
        Sample(
            id="c",
            input=[
                *opening,
                ChatMessageUser(content="hi"),
                ChatMessageAssistant(content="hello"),
                ChatMessageUser(content="Name a colour."),
            ],
        ),
        Sample(id="e", input="please explode now"),
    ]
    task = Task(dataset=samples, solver=generate(), epochs=2)
    [log] = inspect_eval(
        task,
        model=get_model("mockllm/model", custom_outputs=answer),
        log_dir=str(folder),
        display="none",
        fail_on_error=False,
        log_format=log_format,
    )
    return Path(log.location)


def _lm_eval_log(folder: Path, monkeypatch) -> Path:  # noqa: ANN001
    """lm-eval's dummy model on a local generation task, with --log_samples; two documents share a text."""
    lm_eval = pytest.importorskip("lm_eval")
    folder.mkdir(parents=True, exist_ok=True)
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(folder / "hf"))
    data = folder / "docs.jsonl"
    docs = [{"id": key, "question": text} for key, text in QUESTIONS.items()]
    docs.append({"id": "dup", "question": QUESTIONS["d"]})  # the same text as "d": a duplicated prompt
    data.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    (folder / "toy.yaml").write_text(
        f"task: toy_gen\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: {data}\ntest_split: test\n"
        'output_type: generate_until\ndoc_to_text: "Question: {{question}}\\nAnswer:"\ndoc_to_target: "x"\n'
        'generation_kwargs:\n  until: ["\\n"]\n  max_gen_toks: 8\nrepeats: 2\nmetric_list:\n  - metric: exact_match\n',
        encoding="utf-8",
    )
    tracker = EvaluationTracker(output_path=str(folder / "out"))
    results = lm_eval.simple_evaluate(
        model="dummy", tasks=["toy_gen"], task_manager=TaskManager(include_path=str(folder)), log_samples=True, evaluation_tracker=tracker
    )
    samples = results.pop("samples")  # as lm-eval's own CLI saves them
    tracker.save_results_aggregated(results=results, samples=samples)
    tracker.save_results_samples(task_name="toy_gen", samples=samples["toy_gen"])
    [path] = (folder / "out").rglob("samples_toy_gen_*.jsonl")
    return path


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    pytest.importorskip("inspect_ai")
    folder = tmp_path_factory.mktemp("logs")
    return {
        "teacher": _inspect_log(folder / "teacher", "teacher", "eval"),
        "student": _inspect_log(folder / "student", "student", "json"),
        "other_system": _inspect_log(folder / "system", "student", "json", system="You are terse."),
    }


@pytest.fixture(scope="module")
def lm_eval_samples(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _lm_eval_log(tmp_path_factory.mktemp("lm_eval"), monkeypatch)


# --- reading each format ----------------------------------------------------------------------------


def test_inspect_log_epochs_chat_turns_and_errored_samples(logs):
    log = read_log(logs["teacher"])
    assert log.format == "inspect" and detect_format(logs["student"]) == "inspect"
    assert log.errored == 2  # sample "e" in both epochs: counted, never served
    assert len(log.answers) == 6 and {a.sample_index for a in log.answers} == {0, 1}
    chat = [a for a in log.answers if a.sample_id == "c"]
    assert chat[0].text == "User: hi\n\nAssistant: hello\n\nUser: Name a colour." and chat[0].answer.startswith(
        "teacher: about 'Name a colour.'"
    )
    assert all("explode" not in a.text for a in log.answers)
    assert log.fingerprint.startswith("sha256:") and "2 errored samples not used" in log.summary()


def test_lm_eval_samples_written_by_lm_eval(lm_eval_samples):
    log = read_log(lm_eval_samples)
    assert log.format == "lm-eval"
    assert {a.sample_index for a in log.answers} == {0, 1}  # repeats: 2
    assert {a.sample_id for a in log.answers} == {"a", "b", "d", "dup"}
    assert all(not a.text.startswith("Question:") or a.key == QUESTIONS[a.sample_id if a.sample_id != "dup" else "d"] for a in log.answers)


def test_a_dataset_saved_to_parquet_and_a_chat_dataset_on_disk(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = [
        {"prompt": QUESTIONS["a"], "response": "Paris.", "model": "m"},
        {"prompt": QUESTIONS["a"], "response": "Paris, of course.", "model": "m"},  # the same prompt again: sample 1
        {"prompt": QUESTIONS["b"], "response": "", "model": "m"},  # no answer: skipped, counted
    ]
    datasets.Dataset.from_list(rows).to_parquet(str(tmp_path / "answers.parquet"))
    log = read_log(tmp_path / "answers.parquet")
    assert log.format == "hf-dataset" and [(a.sample_index, a.answer) for a in log.answers] == [(0, "Paris."), (1, "Paris, of course.")]
    assert log.skipped["rows with no answer"] == 1
    chat = [
        {
            "messages": [
                {"role": "system", "content": "Be kind."},
                {"role": "user", "content": QUESTIONS["b"]},
                {"role": "assistant", "content": "Light scatters."},
            ]
        }
    ]
    datasets.Dataset.from_list(chat).save_to_disk(str(tmp_path / "chat"))
    [answer] = read_log(tmp_path / "chat").answers
    assert (answer.system, answer.text, answer.answer) == ("Be kind.", QUESTIONS["b"], "Light scatters.")
    [arrow] = (tmp_path / "chat").glob("*.arrow")  # the Arrow file inside it reads on its own too
    assert read_log(arrow).answers == [answer]


def _batch_files(tmp_path: Path) -> tuple[Path, Path]:
    requests = [
        {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "gpt-4o-mini", "n": 2, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTIONS["a"]}]}},
        {"custom_id": "r2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": QUESTIONS["b"]}]}},
    ]  # fmt: skip
    outputs = [
        {"id": "batch_req_1", "custom_id": "r1", "error": None, "response": {"status_code": 200, "body": {"model": "gpt-4o-mini", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Paris."}}, {"index": 1, "message": {"role": "assistant", "content": "It is Paris."}}]}}},
        {"id": "batch_req_2", "custom_id": "r2", "response": None, "error": {"code": "server_error", "message": "boom"}},
    ]  # fmt: skip
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    (tmp_path / "out.jsonl").write_text("".join(json.dumps(r) + "\n" for r in outputs), encoding="utf-8")
    return tmp_path / "out.jsonl", tmp_path / "in.jsonl"


def test_openai_batch_output_with_its_input_file(tmp_path):
    output, requests = _batch_files(tmp_path)
    log = read_log(output, input_path=requests)
    assert log.format == "openai-batch" and log.errored == 1
    assert [(a.system, a.text, a.sample_index, a.answer) for a in log.answers] == [
        ("Be brief.", QUESTIONS["a"], 0, "Paris."),
        ("Be brief.", QUESTIONS["a"], 1, "It is Paris."),
    ]
    with pytest.raises(InputFileError, match="batch INPUT file"):
        read_log(requests)


def test_promptfoo_output_needs_a_model_when_it_holds_several(tmp_path):
    entries = [
        {"prompt": {"raw": json.dumps([{"role": "user", "content": QUESTIONS["a"]}])}, "provider": {"id": "openai:gpt-4o"},
         "response": {"output": "Paris."}, "testIdx": 0, "promptIdx": 0, "success": False, "failureReason": 1},
        {"prompt": {"raw": QUESTIONS["a"]}, "provider": {"id": "ollama:llama3"}, "response": {"output": "Paris!"}, "testIdx": 0, "promptIdx": 0},
        {"prompt": {"raw": QUESTIONS["b"]}, "provider": {"id": "openai:gpt-4o"}, "response": {"error": "timeout"}, "testIdx": 1, "promptIdx": 0,
         "failureReason": 2},
    ]  # fmt: skip
    path = tmp_path / "promptfoo.json"
    path.write_text(json.dumps({"evalId": "eval-1", "results": {"version": 3, "results": entries}}), encoding="utf-8")
    with pytest.raises(InputFileError, match="several models .*ollama:llama3, openai:gpt-4o"):
        read_log(path)
    log = read_log(path, model="openai:gpt-4o")
    assert (
        log.format == "promptfoo" and log.errored == 1 and [a.answer for a in log.answers] == ["Paris."]
    )  # a failed assertion is still an answer


# --- pairing ------------------------------------------------------------------------------------------


def test_pairing_by_text_across_tools_and_the_reasons_others_do_not_pair(tmp_path, logs):
    teacher = read_log(logs["teacher"])
    paired, report = pair_logs(teacher, read_log(logs["other_system"]))
    assert report.paired == 3 and report.by_id == 3  # same sample ids
    rows = [
        {"prompt": f"<|im_start|>user\n{QUESTIONS['a']}<|im_end|>\n<|im_start|>assistant\n", "response": "x"},  # chat template: pairs
        {"prompt": "Explain why the sky is blue", "response": "x"},  # cut short
        {"prompt": "User: hi\n\nAssistant: hello\n\nUser:   Name a colour.", "system": "Other.", "response": "x"},  # another system prompt
    ]
    student = tmp_path / "student.jsonl"
    student.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    paired, report = pair_logs(teacher, read_log(student))
    assert [p.sample_id for p in paired] == ["a"]
    assert dict(report.unpaired) == {"truncated": 1, "system": 1}
    assert "1 prompts paired" in report.line() and "different system prompts" in report.line() and "truncated" in report.line()


def test_duplicated_texts_do_not_pair_by_text(tmp_path):
    def write(name, rows):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return read_log(tmp_path / name, format="lm-eval")

    def doc(doc_id, text, answer):
        return {"doc_id": doc_id, "doc": {}, "arguments": {"gen_args_0": {"arg_0": text, "arg_1": {}}}, "resps": [[answer]]}

    teacher = write("t.jsonl", [doc(0, "Same words.", "one"), doc(1, "Same words.", "two"), doc(2, "Other words here.", "three")])
    (tmp_path / "old.json").write_text(json.dumps([doc(0, "Same words.", "one")]), encoding="utf-8")  # older lm-eval: one JSON array
    assert detect_format(tmp_path / "old.json") == "lm-eval" and read_log(tmp_path / "old.json").answers[0].answer == "one"
    student = write("s.jsonl", [doc(0, "Same words.", "s1"), doc(1, "Other words here.", "s3")])
    paired, report = pair_logs(teacher, student)
    assert [p.text for p in paired] == ["Other words here."] and report.unpaired == {"duplicated": 2}  # each of the two documents


def test_ids_that_merely_count_from_one_never_pair_different_questions(tmp_path):
    from distillscope.models.registry import load_model
    from distillscope.types import GenerationRequest, Prompt, SamplingParams

    def write(name, rows):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return tmp_path / name

    teacher = write(
        "t.jsonl",
        [
            {"prompt_id": "1", "prompt": QUESTIONS["a"], "response": "Paris"},
            {"prompt_id": "2", "prompt": QUESTIONS["b"], "response": "Rayleigh"},
        ],
    )
    student = write(
        "s.jsonl",
        [
            {"prompt_id": "1", "prompt": QUESTIONS["b"], "response": "scatter"},
            {"prompt_id": "2", "prompt": QUESTIONS["a"], "response": "Paris!"},
        ],
    )
    paired, report = pair_logs(read_log(teacher), read_log(student))
    assert report.paired == 2 and report.by_id == 0  # paired by text, each with its own question
    request = GenerationRequest.from_prompt(Prompt(id="1", text=QUESTIONS["a"]), SamplingParams())
    assert load_model(f"replay/{student}").lookup(request) == "Paris!"


@pytest.mark.parametrize(
    "templated",
    [
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{q}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n",
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n{q} [/INST]",
    ],
)
def test_chat_templates_are_unwrapped_with_the_system_prompt_apart(templated):
    from distillscope.imports.normalise import match_key, split_prompt

    system, text = split_prompt(templated.format(q=QUESTIONS["a"]))
    assert system == "Be brief." and match_key(text) == QUESTIONS["a"]


def test_gemma_template_and_a_question_answer_frame():
    from distillscope.imports.normalise import match_key, split_prompt

    system, text = split_prompt(f"<bos><start_of_turn>user\n{QUESTIONS['b']}<end_of_turn>\n<start_of_turn>model\n")
    assert system is None and text == QUESTIONS["b"]
    assert match_key(f"Question:  {QUESTIONS['b']}\nAnswer:") == QUESTIONS["b"]
    assert match_key("What is 2+2?") != match_key("What is 2+3?")  # only wrapping goes


# --- the CLI, end to end ------------------------------------------------------------------------------


def test_audit_of_an_inspect_teacher_and_an_lm_eval_student(cli, tmp_path, logs, lm_eval_samples):
    student = lm_eval_samples
    out = tmp_path / "audit"
    code, stdout, err = cli(
        "audit", "--teacher", f"replay/{logs['teacher']}", "--student", f"replay/{student}?format=lm-eval",
        "--metrics", "rse", "--judge", "mock/j?judge=rse",
        "--store", tmp_path / "s.sqlite", "--out-dir", out, "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["prompts"]["n_test"] == 2  # a and b pair; d is duplicated in the student, c and e are not there
    notes = "\n".join(results["notes"])
    for path in (logs["teacher"], student):
        assert str(path) in notes
    assert read_log(logs["teacher"]).fingerprint[:19] in notes and read_log(student).fingerprint[:19] in notes
    assert "2 errored samples not used" in notes and "1 not in the other file" in notes
    [section] = results["students"].values()
    assert section["rse"] is not None
    report = (out / "report.html").read_text()
    assert str(student) in report and read_log(student).fingerprint[:19] in report  # the report names the files and fingerprints


def test_a_replayed_teacher_gives_its_prompts_to_a_live_student(cli, tmp_path, logs):
    out = tmp_path / "audit"
    code, _, err = cli(
        "audit", "--teacher", f"replay/{logs['teacher']}", "--student", "mock/s", "--metrics", "rse",
        "--judge", "mock/j?judge=rse", "--store", tmp_path / "s.sqlite", "--out-dir", out, "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["prompts"]["n_test"] == 3 and results["suite"]["name"].startswith("replay:")
    assert results["students"]["mock/s"]["missing_responses"] == 0


def test_store_import_then_every_command_is_served_from_the_store(cli, tmp_path, logs, monkeypatch):
    from distillscope.imports.records import ImportedAnswer
    from distillscope.models.registry import load_model
    from distillscope.models.replay import ReplayModel
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import GenerationRequest, Prompt, SamplingParams

    store = tmp_path / "s.sqlite"
    code, stdout, err = cli("store", "import", logs["student"], "--store", store, "--no-progress")
    assert code == 0, err
    spec = stdout.strip()
    assert spec.startswith("replay/") and "imported 6 answers to 3 prompts" in err and "2 errored samples not used" in err
    model = load_model(spec)
    with ResponseStore(store) as opened:
        assert sum(1 for _ in opened.iter_responses(model.identity)) == 6

    async def never(self, requests):  # noqa: ANN001, ANN202
        raise AssertionError("asked the file again")

    monkeypatch.setattr(ReplayModel, "generate", never)
    answers: list[ImportedAnswer] = model.log().answers
    requests = [
        GenerationRequest.from_prompt(Prompt(text=a.text, system=a.system), SamplingParams(temperature=0.7, max_tokens=5), a.sample_index)
        for a in answers
    ]
    with ResponseStore(store) as opened:
        result = Runner(opened, show_progress=False).run(load_model(spec), requests)  # any sampling: a saved answer's key has none
    assert [r.text for r in result.responses] == [a.answer for a in answers]
    code, _, err = cli("store", "import", logs["student"], "--store", store, "--no-progress")
    assert code == 0 and "imported 6 answers" in err  # again: nothing new, nothing lost


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x01binary junk", "cannot tell what format"),
        (b"not json at all\n", "cannot tell what format"),
    ],
)
def test_unreadable_files_get_one_line_naming_the_formats(cli, tmp_path, content, message):
    path = tmp_path / "answers.txt"
    path.write_bytes(content)
    code, _, err = cli("store", "import", path, "--store", tmp_path / "s.sqlite")
    assert code == 2 and message in err and "inspect, lm-eval, openai-batch, hf-dataset, promptfoo" in err and "Traceback" not in err


def test_a_log_whose_samples_all_errored_is_refused_in_one_line(cli, tmp_path):
    output = tmp_path / "out.jsonl"
    output.write_text(json.dumps({"custom_id": "r1", "response": None, "error": {"message": "boom"}}) + "\n", encoding="utf-8")
    code, _, err = cli("store", "import", output, "--store", tmp_path / "s.sqlite")
    assert code == 2 and "holds no answers: 1 errored samples not used" in err and len(err.strip().splitlines()) == 1


def test_two_files_with_no_prompt_in_common_stop_the_audit(cli, tmp_path, logs):
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"prompt": "Something else entirely, unrelated.", "response": "x"}) + "\n", encoding="utf-8")
    code, _, err = cli(
        "audit", "--teacher", f"replay/{logs['teacher']}", "--student", f"replay/{other}", "--metrics", "rse",
        "--judge", "mock/j?judge=rse", "--store", tmp_path / "s.sqlite", "--out-dir", tmp_path / "a", "--no-progress",
    )  # fmt: skip
    assert code == 2 and "no prompt in common" in err and "3 not in the other file" in err and "Traceback" not in err


def test_no_progress_also_silences_the_libraries_progress_bars(cli, tmp_path, monkeypatch, capsys):
    datasets = pytest.importorskip("datasets")
    import distillscope.quiet as quiet

    monkeypatch.setattr(quiet.os, "environ", dict(quiet.os.environ))  # the process's environment untouched
    datasets.enable_progress_bars()
    try:
        datasets.Dataset.from_list([{"prompt": QUESTIONS["a"], "response": "Paris."}]).save_to_disk(str(tmp_path / "d"))
        capsys.readouterr()  # the bar of saving it, before the command
        code, _, err = cli("store", "import", tmp_path / "d", "--store", tmp_path / "s.sqlite", "--no-progress")
        assert code == 0, err
        assert not datasets.is_progress_bar_enabled() and quiet.os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
        assert "it/s" not in err and "%|" not in err
    finally:
        datasets.enable_progress_bars()


def test_log_file_keeps_the_detail_that_no_progress_keeps_off_the_terminal(cli, tmp_path, logs, monkeypatch):
    import logging

    import distillscope.quiet as quiet

    monkeypatch.setattr(quiet.os, "environ", dict(quiet.os.environ))
    log = tmp_path / "run.log"
    try:
        code, _, err = cli("--log", log, "store", "import", logs["teacher"], "--store", tmp_path / "s.sqlite", "--no-progress")
        logging.getLogger("datasets").info("a library's detail line")
    finally:
        for handler in quiet._kept:
            logging.getLogger().removeHandler(handler)
            handler.close()
        quiet._kept.clear()
    assert code == 0, err
    kept = log.read_text(encoding="utf-8")
    assert read_log(logs["teacher"]).fingerprint[:19] in kept and "2 errored samples not used" in kept
    assert "a library's detail line" in kept and "a library's detail line" not in err
