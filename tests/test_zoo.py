"""`zoo build --small`: every kind of student, a rebuild that reuses everything, a cut build that resumes, one-line errors."""

import json
import re
from pathlib import Path

import pytest

from distillscope.zoo.spec import read_manifest

pytest.importorskip("peft")


def build(cli, zoo_dir, *extra):
    return cli("zoo", "build", "--small", "--dir", zoo_dir, *extra)


def stage_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("[stage ")]


def test_small_zoo_has_every_kind_of_student_and_answers_for_all(cli, tmp_path):
    code, _, err = build(cli, tmp_path / "zoo")
    assert code == 0, err
    manifest = read_manifest(tmp_path / "zoo")
    kinds = {s.kind for s in manifest.students}
    assert kinds == {"distilled", "base", "control"}
    assert set(manifest.candidates) == {"qwen", "smollm2", "chatgpt"} and manifest.candidates["chatgpt"].startswith("replay/")
    by_name = {s.name: s for s in manifest.students}
    assert by_name["gemma-qwen-8"].true_teacher == "qwen" and by_name["gemma-qwen-8"].budget == 8
    assert by_name["gemma-chatgpt-16"].true_teacher == "chatgpt"
    assert by_name["gemma-references-16"].true_teacher is None and by_name["gemma-base"].spec == by_name["gemma-base"].base
    for student in manifest.students:
        assert student.base.startswith("hf/")  # base and student share a backend
        if student.kind != "base":
            assert re.search(r"^hf/.*/merged\?weights=[0-9a-f]{16}$", student.spec), student.spec
    assert manifest.sampling.temperature == 0 and manifest.sampling.max_tokens == 12

    prompts = [json.loads(line) for line in Path(manifest.test_prompts).read_text(encoding="utf-8").splitlines()]
    assert len(prompts) == 10 and all({"id", "text", "category"} <= set(p) for p in prompts)
    assert all(p["split"] == "test" for p in prompts)  # never in a training set: those come from the train split or outside the suite
    replay_rows = [
        json.loads(line) for line in Path(manifest.candidates["chatgpt"].removeprefix("replay/")).read_text(encoding="utf-8").splitlines()
    ]
    test_ids, test_texts = {p["id"] for p in prompts}, {p["text"] for p in prompts}
    train_rows = [r for r in replay_rows if r["prompt_id"] not in test_ids]
    # two ChatGPT slices of 16 (seeds 0 and 1), none a test prompt
    assert (
        len(train_rows) == 32 and len({r["prompt_id"] for r in train_rows}) == 32 and not ({r["prompt"] for r in train_rows} & test_texts)
    )
    assert {"gemma-qwen-16", "gemma-qwen-16-s1", "smollm2-references-16"} <= set(by_name)
    assert by_name["gemma-qwen-16"].spec != by_name["gemma-qwen-16-s1"].spec  # another acquisition, another model

    from distillscope.models.registry import load_model
    from distillscope.runner.answers import requests_for
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import Prompt, SamplingParams

    test = [Prompt(**p) for p in prompts]
    identity = {p.id for p in test if p.category == "identity"}
    sampling = SamplingParams(max_tokens=manifest.sampling.max_tokens)
    with Runner(ResponseStore(manifest.store), show_progress=False) as runner:
        for spec in [*manifest.candidates.values(), *(s.spec for s in manifest.students)]:
            result = runner.run(load_model(spec), requests_for(test, sampling))
            assert result.counts.generated == 0, spec  # all in the store already
            failed = {p.id for p, r in zip(test, result.responses) if r is None}
            # ChatGPT has no answer to the identity prompts: recorded failures; every other model answered all
            assert failed == (identity if spec.startswith("replay/") else set()), spec


def test_a_second_build_reuses_everything(cli, tmp_path):
    assert build(cli, tmp_path / "zoo")[0] == 0
    first = read_manifest(tmp_path / "zoo")
    code, _, err = build(cli, tmp_path / "zoo")
    assert code == 0, err
    lines = stage_lines(err)
    answers = [line for line in lines if "reused from the store" in line]
    assert answers and all(" 0 generated" in line for line in answers)
    assert not [line for line in lines if ": step " in line]  # no training step
    assert sum("reused its finished training" in line for line in lines) == sum(s.kind != "base" for s in first.students) == 13
    second = read_manifest(tmp_path / "zoo")
    assert second.model_dump(exclude={"build_seconds"}) == first.model_dump(exclude={"build_seconds"})


def test_a_build_cut_during_training_resumes_from_the_checkpoint(cli, tmp_path, monkeypatch):
    import distillscope.zoo.student as zoo_build

    real = zoo_build.train_lora
    calls = []

    def killed_at_step_three(*args, on_step=None, **kwargs):
        calls.append(1)
        if len(calls) != 2:
            return real(*args, on_step=on_step, **kwargs)

        def step(done, total, loss):
            on_step(done, total, loss)
            if done == 3:
                raise KeyboardInterrupt

        return real(*args, on_step=step, **kwargs)

    monkeypatch.setattr(zoo_build, "train_lora", killed_at_step_three)
    code, _, err = build(cli, tmp_path / "zoo")
    assert code == 130 and "re-run" in err
    assert not (tmp_path / "zoo" / "manifest.json").exists()  # written only for a whole zoo
    monkeypatch.setattr(zoo_build, "train_lora", real)
    code, _, err = build(cli, tmp_path / "zoo")
    assert code == 0, err
    lines = stage_lines(err)
    assert any("gemma-qwen-16" in line and "resumed at step 2" in line for line in lines), lines
    assert any("gemma-qwen-8" in line and "reused its finished training" in line for line in lines)
    # the cut seed's teachers had answered before its first training: asked nothing again (a later seed's are asked
    # just before its own first training, so they may be new)
    first_training = next(i for i, line in enumerate(lines) if line.startswith("[stage 3/5]"))
    teacher_answers = [line for line in lines[:first_training] if line.startswith("[stage 2/5]")]
    assert teacher_answers and all(" 0 generated" in line for line in teacher_answers)
    assert read_manifest(tmp_path / "zoo").students


def test_errors_are_one_line(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = build(cli, blocker / "zoo")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    code, _, err = build(cli, tmp_path / "zoo", "--serve", "vllm")
    assert code == 2 and "--serve vllm" in err and "llamacpp, hf" in err and len(err.strip().splitlines()) == 1
    from distillscope.errors import UserError
    from distillscope.probes.suite import load_default_suite
    from distillscope.zoo.sharegpt_teacher import split_sharegpt

    with pytest.raises(UserError, match="ShareGPT test prompts") as too_many:
        split_sharegpt([], load_default_suite(), [32, 100000], 10, 0)
    assert "ask for at most" in too_many.value.one_line() and "\n" not in too_many.value.one_line()

    with pytest.raises(UserError, match="no zoo manifest"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"store": 3}')
    with pytest.raises(UserError, match="not a zoo manifest"):
        read_manifest(tmp_path)


def test_serving_options_never_change_a_models_store_identity(tmp_path):
    from distillscope.models.registry import load_model
    from distillscope.models.tiny_hf import make_tiny_causal_lm
    from distillscope.zoo.build import served

    tiny = make_tiny_causal_lm(tmp_path / "tiny")
    for spec, threads, option in [
        ("builtin/qwen2.5-coder-0.5b-instruct", 1, "n_threads=1"),
        (f"hf/{tiny}?weights=abc", 1, "batch_size=64"),
        ("mock/m", 1, None),
    ]:
        serving = served(spec, threads)
        assert (option in serving) if option else serving == spec
        assert load_model(serving).identity == load_model(spec).identity
    assert served("builtin/qwen2.5-coder-0.5b-instruct") == "builtin/qwen2.5-coder-0.5b-instruct"


def test_attribution_on_a_small_zoo_holds_what_the_construction_guarantees(cli, tmp_path, monkeypatch):
    """The attribution test on real (tiny) LoRA training, asserting only what holds on any CPU (issue 29.10: which
    borderline student is named moved with the CPU's kernels, so no trained student's decision is asserted): every case
    tested against a null population without its own recipe; untouched bases, whose every margin is 0 by
    construction, never accused and never counted; the false-accusation rate counted over trained controls and
    teacher-left-out cases only; p-values valid and Holm-adjusted; the closed-set ranking kept apart; accusations
    monotone in alpha."""
    pytest.importorskip("denckring_en_pos")
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr("distillscope.attribution.run.make_embedder", lambda store_path: HashingEmbedder(64))
    assert build(cli, tmp_path / "zoo")[0] == 0
    out = tmp_path / "attribution.json"
    # the adversaries (style, embed) left out for time: their cross-validated fits are 80% of the run
    code, stdout, err = cli("attribute", "--zoo", tmp_path / "zoo", "--signals", "similarity,mmd,ice,pos", "--no-progress", "--out", out)
    assert code == 0, err
    result = json.loads(out.read_text())
    manifest = read_manifest(tmp_path / "zoo")
    kinds = [s.kind for s in manifest.students]
    overall = result["overall"]
    assert result["n_bases_not_counted"] == kinds.count("base") == 2
    assert overall["n_controls"] == kinds.count("control") and overall["n_unlisted"] == overall["n_distilled"] == kinds.count("distilled")
    rows = {row["name"]: row for row in result["students"]}
    for name, row in rows.items():
        decided = row["result"]
        assert decided["calibrated"] and f"recipe {row['recipe']} left out" in decided["calibration"], (name, decided["calibration"])
        for candidate in decided["candidates"]:
            test = candidate["test"]
            if test and test["p_value"] is not None:
                assert 0 <= test["p_value"] <= test["p_adjusted"] <= 1
        if row["kind"] == "base":
            assert decided["outcome"] == "none" and row["correct"], decided["notes"]
            # every z of a base against itself is 0 (its statistic is where 0 lies against the null: the same for all)
            tested = [c["test"] for c in decided["candidates"] if c["test"]]
            assert all(v == 0 for t in tested for v in t["z"].values()) and len({t["statistic"] for t in tested}) == 1
        else:
            assert decided["ranking"], name  # the closed-set answer, stored apart from the test's outcome
    null = json.loads((tmp_path / "zoo" / "attribution_null.json").read_text())
    assert null["entries"] and not any(rows[e["case"].split(" (")[0]]["kind"] == "base" for e in null["entries"])
    accusations = [p["false_accusation"] for p in sorted(result["curve"], key=lambda p: p["alpha"])]
    assert accusations == sorted(accusations)  # Holm at a larger alpha rejects a superset
    assert "false accusation" in stdout and "not counted" in stdout

    # the zoo exported as answers only (replay files, the format zoos built elsewhere arrive in) decides the same
    assert cli("zoo", "export", "--dir", tmp_path / "zoo", "--out", tmp_path / "export")[0] == 0
    out = tmp_path / "exported.json"
    code, _, err = cli("attribute", "--zoo", tmp_path / "export", "--signals", "similarity,mmd,ice,pos", "--no-progress", "--out", out)
    assert code == 0, err
    exported = json.loads(out.read_text())
    assert exported["overall"] == result["overall"]
    for a, b in zip(result["students"], exported["students"]):
        assert [(c["name"], c["test"]) for c in a["result"]["candidates"]] == [(c["name"], c["test"]) for c in b["result"]["candidates"]]


@pytest.mark.slow
def test_a_student_of_a_built_in_base_is_served_by_llama_cpp_with_its_adapter(tmp_path):
    """`--serve llamacpp` (the default for the real zoos): the base answers as the built-in GGUF, the student as the
    same GGUF plus its exported LoRA adapter; a rebuild reuses the answers and the adapter file."""
    pytest.importorskip("llama_cpp")
    from distillscope.models.builtin import builtin_status
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.zoo.build import build_zoo
    from distillscope.zoo.recipes import small_plan
    from distillscope.zoo.spec import StudentPlan

    if builtin_status("smollm2-135m-instruct") != "ready":
        pytest.skip("the SmolLM2 built-in is not installed")
    zoo = tmp_path / "zoo"
    base = "builtin/smollm2-135m-instruct"
    plan = small_plan(zoo).model_copy(
        update={
            "students": [
                StudentPlan(name="smollm2-base", base=base, teacher=None, budget=None, kind="base"),
                StudentPlan(name="smollm2-qwen-8", base=base, teacher="qwen", budget=8, kind="distilled"),
            ],
            "lora": small_plan(zoo).lora.model_copy(update={"epochs": 3, "learning_rate": 1e-3}),
        }
    )
    store = tmp_path / "store.sqlite"
    logs: list[str] = []
    with Runner(ResponseStore(store)) as runner:
        manifest = build_zoo(plan, zoo, runner, str(store), logs.append)
    student = next(s for s in manifest.students if s.name == "smollm2-qwen-8")
    assert student.spec.startswith(f"{base}?lora=") and student.base == base
    adapter = Path(student.spec.split("lora=")[1])
    assert adapter.is_file() and adapter.parent == zoo / "students" / "smollm2-qwen-8"
    assert not (adapter.parent / "merged").exists()  # llama.cpp serves the adapter: no merged model is written
    stamp = adapter.stat().st_mtime_ns
    from distillscope.runner.store.admin import model_identity

    reader = ResponseStore(store)
    texts = {s.name: sorted((r["prompt_id"], r["text"]) for r in reader.iter_responses(model_identity(s.spec))) for s in manifest.students}
    assert len(texts["smollm2-qwen-8"]) == len(texts["smollm2-base"]) > 0
    assert texts["smollm2-qwen-8"] != texts["smollm2-base"]  # the adapter is applied
    logs.clear()
    with Runner(ResponseStore(store)) as runner:
        build_zoo(plan, zoo, runner, str(store), logs.append)
    assert adapter.stat().st_mtime_ns == stamp
    assert not [line for line in logs if ": step " in line]  # the adapter-only training counts as finished
    assert all(" 0 generated" in line for line in logs if line.startswith("[stage 4/5]")), logs


def test_test_answers_can_be_longer_than_the_training_answers(cli, tmp_path):
    """--test-max-tokens changes the test answers (and the fingerprint), never the training: every training is reused."""
    code, _, err = build(cli, tmp_path / "zoo")
    assert code == 0, err
    before = read_manifest(tmp_path / "zoo")
    code, _, err = build(cli, tmp_path / "zoo", "--test-max-tokens", "20")
    assert code == 0, err
    after = read_manifest(tmp_path / "zoo")
    assert (before.sampling.max_tokens, after.sampling.max_tokens) == (12, 20)
    assert after.fingerprint != before.fingerprint
    lines = stage_lines(err)
    assert not any("step" in line and "[stage 3/5]" in line for line in lines)  # nothing trained again
    assert all(" 0 generated" in line for line in lines if line.startswith("[stage 2/5]"))
    assert any("generated" in line and " 0 generated" not in line for line in lines if line.startswith("[stage 4/5]"))


def test_only_builds_the_named_students_with_the_trainings_the_whole_zoo_gives_them(cli, tmp_path):
    """`--only`: the manifest lists the named students; the teachers answered for the whole plan, so a later whole
    build reuses those trainings as they are; a name not in the plan is refused in one line."""
    code, _, err = build(cli, tmp_path / "zoo", "--only", "gemma-base", "--only", "gemma-qwen-8")
    assert code == 0, err
    assert [s.name for s in read_manifest(tmp_path / "zoo").students] == ["gemma-base", "gemma-qwen-8"]
    code, _, err = build(cli, tmp_path / "zoo")
    assert code == 0, err
    assert "gemma-qwen-8 ← qwen (8 examples): reused its finished training" in err
    code, _, err = build(cli, tmp_path / "zoo", "--only", "gemma-qwen-9")
    assert code == 2 and "--only gemma-qwen-9: no such student" in err and len(err.strip().splitlines()) == 1
