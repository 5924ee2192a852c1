"""`zoo build --dose` and `distillscope degree` on a small dose zoo (tiny random models, mock teachers)."""

from __future__ import annotations

import json

from distillscope.zoo.dose import dose_plan, small_dose_plan
from distillscope.zoo.recipes import real_plan
from distillscope.zoo.spec import read_manifest


def test_the_real_dose_plan_is_the_issues_ladder() -> None:
    plan = dose_plan()
    by_name = {s.name: s for s in plan.students}
    assert plan.max_tokens >= 96 and sum(plan.n_sharegpt_test) + sum(plan.n_identity_test) >= 150
    assert plan.n_sharegpt_test[:2] == real_plan().n_sharegpt_test and plan.n_identity_test[:2] == real_plan().n_identity_test
    for seed, tag in ((0, ""), (1, "-s1")):
        for budget in (30, 100, 300, 1000):
            assert by_name[f"gemma-qwen-{budget}{tag}"].seed == seed and by_name[f"gemma-qwen-{budget}{tag}"].fraction == 1
        for f in (0.25, 0.5):
            mix = by_name[f"gemma-qwen-300-f{f:g}{tag}"]
            assert (mix.budget, mix.fraction, mix.rest_from, mix.teacher) == (300, f, "smollm2", "qwen")
        assert {f"gemma-smollm2-100{tag}", f"gemma-smollm2-300{tag}", f"gemma-references-300{tag}"} <= set(by_name)
    assert by_name["gemma-base"].kind == "base" and {s.base for s in plan.students} == {"builtin/gemma-3-270m"}


def test_fingerprints_of_zoos_without_dose_fields_are_unchanged() -> None:
    from distillscope.zoo.build import _fingerprinted

    dumped = real_plan().model_dump()
    old = {k: v for k, v in dumped.items() if k != "test_max_tokens"}  # a plan field newer than these zoos, at its default
    old["students"] = [{k: v for k, v in s.items() if k not in ("fraction", "rest_from")} for s in dumped["students"]]
    assert _fingerprinted(dumped) == old
    mixed = _fingerprinted(dose_plan().model_dump())
    assert any(s.get("fraction") == 0.25 and s.get("rest_from") == "smollm2" for s in mixed["students"])


def test_small_dose_zoo_mixes_teacher_and_second_teacher_answers_on_the_same_prompts(small_dose_zoo) -> None:
    from distillscope.probes.suite import load_default_suite
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.zoo.build import _Clock, _test_set, _training_data

    manifest = read_manifest(small_dose_zoo)
    by_name = {s.name: s for s in manifest.students}
    mix = by_name["tiny-qwen-8-f0.5-s1"]
    assert (mix.fraction, mix.rest_from, mix.seed, mix.true_teacher, mix.budget) == (0.5, "smollm2", 1, "qwen", 8)
    assert mix.spec not in (by_name["tiny-qwen-8-s1"].spec, by_name["tiny-smollm2-4-s1"].spec)

    plan, suite, clock = small_dose_plan(small_dose_zoo), load_default_suite(), _Clock(lambda m: None)
    with Runner(ResponseStore(manifest.store)) as runner:
        _, _, _, chat_train = _test_set(plan, suite, small_dose_zoo, clock)
        data = _training_data(plan, suite, runner, chat_train, clock)
    pure = {prompt: answer for prompt, answer, _ in data["tiny-qwen-8-s1"]}
    mixed = data["tiny-qwen-8-f0.5-s1"]
    assert {p for p, _, _ in mixed} == set(pure)  # the same prompts as the pure student of its seed
    from_teacher = sum(answer == pure[prompt] for prompt, answer, _ in mixed)
    assert from_teacher == 4  # half of 8 (the mock teachers answer differently)


def test_degree_on_the_small_dose_zoo_leaves_the_students_recipe_and_seed_out(small_dose_zoo, cli) -> None:
    manifest = read_manifest(small_dose_zoo)
    base = next(s.base for s in manifest.students if s.kind == "base")
    code, out, err = cli(
        "degree",
        "--student",
        "tiny-qwen-4",
        "--teacher",
        "qwen",
        "--base",
        base,
        "--calibration",
        small_dose_zoo,
        "--json",
        "--resamples",
        "50",
    )
    assert code == 0, err
    result = json.loads(out)
    seen = set(result["budget"]["calibration_students"]) | set(result["fraction"]["calibration_students"] if result["fraction"] else [])
    assert {"tiny-qwen-4", "tiny-qwen-4-s1"} <= set(result["left_out"]) and not seen & set(result["left_out"])
    assert all(name.endswith("-s1") or name == "tiny-base" for name in seen)  # no trained student of seed 0
    code, out, err = cli("degree", "--student", "tiny-qwen-4", "--teacher", "nobody", "--base", base, "--calibration", small_dose_zoo)
    assert code == 2 and "no candidate" in err and "Traceback" not in err


def test_degree_reads_the_dose_off_the_measure_asked_for(small_dose_zoo, cli) -> None:
    from distillscope.degree.measures import ESTIMATOR_MEASURE
    from distillscope.degree.zoo_report import zoo_answers
    from distillscope.lexical import chrf, rouge_l_f1

    manifest = read_manifest(small_dose_zoo)
    base = next(s.base for s in manifest.students if s.kind == "base")
    _, answers = zoo_answers(small_dose_zoo, manifest, "qwen", base)
    rows = [(t, s or "", b) for t, s, b in zip(answers["qwen"], answers["tiny-qwen-8"], answers[base]) if t is not None and b is not None]
    expected = {  # the student's mean paired gain over its base, as the curves measure it
        "chrf_to_teacher_vs_base": sum(chrf(t, s) - chrf(t, b) for t, s, b in rows) / len(rows),
        "rouge_l_to_teacher_vs_base": sum(rouge_l_f1(t, s) - rouge_l_f1(t, b) for t, s, b in rows) / len(rows),
    }
    args = ["degree", "--student", "tiny-qwen-8", "--teacher", "qwen", "--base", base, "--calibration", small_dose_zoo, "--json"]
    for measure in (None, *expected):
        code, out, err = cli(*args, "--resamples", "30", *(["--measure", measure] if measure else []))
        assert code == 0, err
        result = json.loads(out)
        assert result["measure"] == (measure or ESTIMATOR_MEASURE)
        assert abs(result["value"] - expected[result["measure"]]) < 1e-9
    code, _, err = cli(*args, "--measure", "vibes")
    assert code == 2 and "unknown degree measure" in err and "rouge_l_to_teacher_vs_base" in err and "Traceback" not in err


def test_degree_without_a_calibration_zoo_says_how_to_build_one(cli, tmp_path) -> None:
    code, _, err = cli("degree", "--student", "mock/x", "--teacher", "qwen", "--base", "hf/b", "--calibration", tmp_path / "none")
    assert code == 2 and "no zoo manifest" in err and "zoo build" in err and "Traceback" not in err


def test_a_zoo_built_with_reuse_takes_the_other_zoos_finished_trainings_and_leaves_that_zoo_as_it_was(
    small_dose_zoo, tmp_path, cli
) -> None:
    import hashlib

    def files(zoo):
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((zoo / "students").rglob("*")) if p.is_file()}

    before = files(small_dose_zoo)
    manifest = read_manifest(small_dose_zoo)
    store = manifest.store
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "tiny").symlink_to(small_dose_zoo / "tiny")  # the same base models (the real zoo's are installed)
    args = ["zoo", "build", "--small", "--dose", "--dir", tmp_path / "again", "--store", store, "--reuse", small_dose_zoo]
    code, _, err = cli(*args)
    assert code == 0, err
    assert "reused its finished training" in err and "trained" not in err.replace("reused its finished training", "")
    again = read_manifest(tmp_path / "again")
    trained = lambda m: [s.spec for s in m.students if s.kind != "base"]  # noqa: E731
    assert trained(again) == trained(manifest)  # the same merged models, so their stored answers are reused
    assert files(small_dose_zoo) == before
    # another base (a fresh tiny model): the copied reports do not match, so it trains in its own directory
    args = ["zoo", "build", "--small", "--dose", "--dir", tmp_path / "other", "--store", tmp_path / "s.sqlite", "--reuse", small_dose_zoo]
    code, _, err = cli(*args)
    assert code == 0 and "trained" in err.replace("reused its finished training", "")
    assert files(small_dose_zoo) == before
    code, _, err = cli("zoo", "build", "--small", "--dir", tmp_path / "x", "--reuse", tmp_path / "nothing")
    assert code == 2 and "--reuse" in err and "Traceback" not in err


def _degree_audit(cli, tmp_path, students: list[str], degree: dict) -> tuple[dict, str]:
    config = tmp_path / "audit.yaml"
    config.write_text(
        json.dumps({"teacher": "mock/qwen?words=tiny", "students": students, "metrics": ["degree"], "degree": degree}), encoding="utf-8"
    )
    code, _, err = cli("audit", "--config", config, "-o", tmp_path / "out", "--no-progress")
    assert code == 0, err
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    return results, (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_the_degree_metric_in_an_audit_reads_the_student_off_the_dose_zoo(small_dose_zoo, cli, tmp_path) -> None:
    manifest = read_manifest(small_dose_zoo)
    base = next(s.base for s in manifest.students if s.kind == "base")
    member = next(s for s in manifest.students if s.name == "tiny-qwen-4")
    # a zoo student (never fitted on its own recipe or seed), and the teacher itself: more distilled than any zoo student
    degree = {"calibration": str(small_dose_zoo), "base": base, "resamples": 50}
    results, html = _degree_audit(cli, tmp_path, [member.spec, "mock/qwen?words=tiny"], degree)
    first, teacher = (results["students"][s]["degree"] for s in results["models"]["students"])
    assert first["calibration"] == str(small_dose_zoo) and first["n_prompts"] > 0
    assert {"tiny-qwen-4", "tiny-qwen-4-s1"} <= set(first["estimate"]["left_out"]) and first["status"] != "undecided"
    assert teacher["status"] == "outside" and teacher["summary"].startswith("outside the calibrated range")
    assert "How much was it distilled?" in html and "outside the calibrated range" in html and "Calibration population" in html
    assert "effective teacher answers" in html and str(small_dose_zoo) in html
    config = tmp_path / "wrong.yaml"  # refused before any model is asked: a teacher the zoo was not built on
    config.write_text(json.dumps({"teacher": "mock/other", "students": ["mock/s"], "metrics": ["degree"], "degree": degree}))
    code, _, err = cli("audit", "--config", config, "-o", tmp_path / "wrong", "--no-progress")
    assert code == 2 and "no candidate of the calibration zoo" in err and not (tmp_path / "wrong" / "results.json").exists()


def test_the_degree_metric_without_a_calibration_gives_no_number(cli, tmp_path) -> None:
    results, html = _degree_audit(cli, tmp_path, ["mock/beta"], {})
    (section,) = (s["degree"] for s in results["students"].values())
    assert section["status"] == "undecided" and section["estimate"] is None
    assert section["summary"].startswith("undecided: no calibration")
    assert "undecided: no calibration" in html and "effective teacher answers" not in html
    config = tmp_path / "missing.yaml"
    config.write_text(
        json.dumps({"teacher": "mock/t", "students": ["mock/s"], "metrics": ["degree"], "degree": {"calibration": str(tmp_path / "none")}})
    )
    code, _, err = cli("audit", "--config", config, "-o", tmp_path / "missing", "--no-progress")
    assert code == 2 and "no zoo manifest" in err and "Traceback" not in err


def test_a_manifests_relative_local_paths_are_read_inside_the_zoo_and_nothing_else_changes(tmp_path, monkeypatch) -> None:
    """A zoo built with a relative --dir, or copied, names its replay files and merged models relative to itself."""
    from distillscope.zoo.spec import ZooManifest, ZooSampling

    zoo, elsewhere = tmp_path / "zoo", tmp_path / "elsewhere"
    (zoo / "replay").mkdir(parents=True)
    (zoo / "replay" / "a.jsonl").write_text("{}\n")
    (elsewhere / "replay").mkdir(parents=True)
    (elsewhere / "replay" / "b.jsonl").write_text("{}\n")
    (zoo / "replay" / "b.jsonl").write_text("{}\n")
    monkeypatch.chdir(elsewhere)
    manifest = ZooManifest(store="s", sampling=ZooSampling(max_tokens=8), test_prompts="p", candidates={}, students=[])
    assert manifest.model_spec(zoo, "replay/replay/a.jsonl?x=1") == f"replay/{(zoo / 'replay' / 'a.jsonl').resolve()}?x=1"
    assert manifest.model_spec(zoo, "replay/replay/b.jsonl") == "replay/replay/b.jsonl"  # resolves from here: kept as written
    assert manifest.model_spec(zoo, "hf/gemma-3-270m") == "hf/gemma-3-270m"  # a name, not a path
    assert manifest.model_spec(zoo, "mock/replay/a.jsonl") == "mock/replay/a.jsonl"  # a provider without local paths
    absolute = f"replay/{tmp_path / 'nowhere.jsonl'}"
    assert manifest.model_spec(zoo, absolute) == absolute
    # a llama.cpp student: the base is a name, its LoRA adapter a file of the zoo
    (zoo / "students").mkdir()
    (zoo / "students" / "a.gguf").write_bytes(b"GGUF")
    adapter = (zoo / "students" / "a.gguf").resolve()
    assert (
        manifest.model_spec(zoo, "builtin/gemma-3-270m?lora=students/a.gguf&n_threads=1")
        == f"builtin/gemma-3-270m?lora={adapter}&n_threads=1"
    )
    assert manifest.model_spec(zoo, "builtin/gemma-3-270m?lora=students/none.gguf") == "builtin/gemma-3-270m?lora=students/none.gguf"
    assert manifest.model_spec(zoo, "builtin/gemma-3-270m?mode=completion") == "builtin/gemma-3-270m?mode=completion"


def test_an_exported_zoo_measures_the_same_anywhere_without_a_model(small_dose_zoo, cli, tmp_path) -> None:
    """`zoo export`: answers only (a replay file per model), specs kept as built so `--base` still matches; `degree`
    on the export, moved elsewhere, gives the numbers it gives on the zoo with its models."""
    import shutil

    (tmp_path / "export.partial").mkdir()  # a user's directory that happens to have the name of a half-written export
    (tmp_path / "export.partial" / "keep").write_text("mine")
    code, _, err = cli("zoo", "export", "--dir", small_dose_zoo, "--out", tmp_path / "export")
    assert code == 0 and "exported" in err, err
    assert (tmp_path / "export.partial" / "keep").read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == [
        "export",
        "export.partial",
    ]
    manifest, exported = read_manifest(small_dose_zoo), read_manifest(tmp_path / "export")
    here = lambda spec: spec.replace(f"{small_dose_zoo.resolve()}/", "")  # noqa: E731
    assert [s.spec for s in exported.students] == [here(s.spec) for s in manifest.students]
    assert exported.candidates == {name: here(spec) for name, spec in manifest.candidates.items()}
    assert str(small_dose_zoo) not in (tmp_path / "export" / "manifest.json").read_text()  # no machine's directory
    moved = tmp_path / "elsewhere"
    shutil.move(tmp_path / "export", moved)
    specs = {*exported.candidates.values(), *(s.spec for s in exported.students), *(s.base for s in exported.students)}
    assert set(exported.answers) == specs
    for spec in specs:
        loaded = exported.model_spec(moved, spec)
        assert loaded.startswith(f"replay/{moved}/answers/"), loaded
    base = next(s.base for s in manifest.students if s.kind == "base")  # a tiny model inside the zoo: relative in the export
    args = ("degree", "--student", "tiny-qwen-4", "--teacher", "qwen", "--json", "--resamples", "50")
    original = cli(*args, "--base", base, "--calibration", small_dose_zoo)
    copy = cli(*args, "--base", here(base), "--calibration", moved)
    assert original[0] == copy[0] == 0, copy[2]
    assert json.loads(copy[1].replace(here(base), base)) == json.loads(original[1])
    code, _, err = cli("zoo", "export", "--dir", small_dose_zoo, "--out", moved)
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1


def test_each_teacher_answers_only_the_prompts_its_students_learn(tmp_path) -> None:
    """A seed's acquisition is made at its largest budget; a teacher whose students need fewer of its prompts (the
    second teacher at 4 of 8) is asked for those only, and every student's training data is what it was."""
    from distillscope.probes.suite import load_default_suite
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.runner.store.admin import model_identity
    from distillscope.zoo.build import _Clock, _test_set, _training_data

    plan = small_dose_plan(tmp_path / "zoo", seeds=1)
    plan = plan.model_copy(update={"students": [s for s in plan.students if s.name in ("tiny-qwen-8", "tiny-smollm2-4", "tiny-qwen-4")]})
    suite, clock = load_default_suite(), _Clock(lambda m: None)
    with ResponseStore(tmp_path / "store.sqlite") as store, Runner(store) as runner:
        _, _, _, chat_train = _test_set(plan, suite, tmp_path / "zoo", clock)
        data = _training_data(plan, suite, runner, chat_train, clock)
        asked = {row["model"]: row["responses"] for row in store.stats().per_model}
    assert asked[model_identity(plan.candidates["qwen"])] == 8 and asked[model_identity(plan.candidates["smollm2"])] == 4
    assert {len(data[name]) for name in ("tiny-qwen-8", "tiny-smollm2-4", "tiny-qwen-4")} == {8, 4}
    assert {p for p, _, _ in data["tiny-qwen-4"]} < {p for p, _, _ in data["tiny-qwen-8"]}  # budgets nest


def test_a_build_reusing_an_exported_zoo_trains_only_what_the_export_lacks(small_dose_zoo, cli, tmp_path) -> None:
    """`zoo build --reuse EXPORT`: a student whose training (base, settings, data) the export holds answers from the
    exported file and is not trained; another recipe is trained; `degree` reads the new zoo as it reads the old."""
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.zoo.build import build_zoo

    assert cli("zoo", "export", "--dir", small_dose_zoo, "--out", tmp_path / "export")[0] == 0
    original = read_manifest(small_dose_zoo)
    plan = small_dose_plan(small_dose_zoo).model_copy(update={"reuse": [tmp_path / "export"]})  # the same tiny bases
    logs: list[str] = []
    (tmp_path / "new").mkdir()
    (tmp_path / "other").mkdir()
    with Runner(ResponseStore(tmp_path / "new" / "store.sqlite")) as runner:
        manifest = build_zoo(plan, tmp_path / "new", runner, str(tmp_path / "new" / "store.sqlite"), logs.append)
    assert not [line for line in logs if ": step " in line] and not (tmp_path / "new" / "students").exists()
    here = lambda spec: spec.replace(f"{small_dose_zoo.resolve()}/", "")  # noqa: E731 - how an export writes the zoo's paths
    assert [s.spec for s in manifest.students] == [s.spec if s.kind == "base" else here(s.spec) for s in original.students]
    assert set(manifest.answers) == {here(s.spec) for s in original.students if s.kind != "base"}
    base = next(s.base for s in original.students if s.kind == "base")
    args = ("degree", "--student", "tiny-qwen-4", "--teacher", "qwen", "--base", base, "--json", "--resamples", "50")
    assert json.loads(cli(*args, "--calibration", tmp_path / "new")[1]) == json.loads(cli(*args, "--calibration", small_dose_zoo)[1])

    other = plan.model_copy(update={"students": plan.students[:2], "lora": plan.lora.model_copy(update={"epochs": 1})})
    logs.clear()
    with Runner(ResponseStore(tmp_path / "other" / "store.sqlite")) as runner:
        manifest = build_zoo(other, tmp_path / "other", runner, str(tmp_path / "other" / "store.sqlite"), logs.append)
    assert [line for line in logs if ": step " in line] and not manifest.answers  # other settings: trained here


def test_a_grown_test_set_keeps_every_earlier_prompt_and_answer_and_retrains_nothing(cli, tmp_path) -> None:
    import re

    from distillscope.probes.loader import load_prompts

    zoo = tmp_path / "zoo"
    args = ["zoo", "build", "--small", "--dose", "--dir", zoo, "--only", "tiny-qwen-4"]
    code, _, err = cli(*args)
    assert code == 0, err
    old = load_prompts(zoo / read_manifest(zoo).test_prompts)
    code, _, err = cli(*args, "--test-prompts", len(old) + 3)
    assert code == 0, err
    assert "reused its finished training" in err and "trained" not in err.replace("reused its finished training", "")
    new = load_prompts(zoo / read_manifest(zoo).test_prompts)
    assert len(new) == len(old) + 3 and {p.id for p in old} < {p.id for p in new}
    # each model answers the 3 new prompts only (the ChatGPT replay file is rewritten with them: read, not asked)
    generated = [int(n) for line in err.splitlines() if "replay/" not in line for n in re.findall(r"(\d+) generated", line)]
    assert generated and max(generated) <= 3 and sum(generated) > 0
    for too_many, why in ((len(old) - 1, "already has"), (10_000, "usable prompts")):
        code, _, err = cli(*args, "--test-prompts", too_many)
        assert code == 2 and why in err and "Traceback" not in err


def test_a_test_set_grows_into_identity_prompts_once_the_sharegpt_ones_run_out() -> None:
    from distillscope.zoo.recipes import grow_test_set

    plan = dose_plan()  # 110 ShareGPT + 50 identity
    grown = grow_test_set(plan, 200, (130, 100))
    assert grown.n_sharegpt_test == [*plan.n_sharegpt_test, 20] and grown.n_identity_test == [*plan.n_identity_test, 20]
    assert grow_test_set(plan, 160, (130, 100)) == plan
    assert grow_test_set(plan, 170, (130, 100)).n_identity_test == plan.n_identity_test
