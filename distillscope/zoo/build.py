"""`zoo build`: students with known teachers, resumable at every stage.

Five stages, each of which reuses whatever a cut build left:

1. test prompts (held out of every training set) and the ChatGPT replay file;
2. the teachers' answers to the acquired train prompts (through the runner,
   so stored answers are never asked again), a seed's just before its
   first student is trained;
3. LoRA training of each student (`train_lora` resumes from its last
   checkpoint and skips a training whose fingerprint already finished);
4. the answers to the test prompts (the store): the candidates' first, then
   each student's right after its training.

Stages 2 to 4 run seed by seed and student by student, so a cut build leaves
whole seeds and whole students (trained, and their answers in the store),
never trainings without answers.
5. the manifest, written last (atomically), so it only exists for a whole zoo.

Acquisitions nest: one stratified acquisition at the largest budget, the
smaller budgets stratified subsets of it, the same prompts for every local
teacher, so each teacher answers each prompt once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from distillscope.distill.acquisition import acquire
from distillscope.probes.suite import ProbeSuite, canonical_jsonl, nested_sample
from distillscope.types import Prompt, SamplingParams, canonical_json, sha256_hex
from distillscope.zoo.spec import MANIFEST_FILE, REFERENCES, StudentPlan, ZooManifest, ZooPlan, ZooSampling, ZooStudent
from distillscope.zoo.student import train_student, with_options

if TYPE_CHECKING:
    from distillscope.runner.runner import Runner
    from distillscope.types import Response

STAGES = 5
#: the transformers backend's batch for the test answers: the whole test set at once (2.5x the tokens/s of
#: batch 8 on CPU); an operational option, not part of the store key
TEST_BATCH = 64


class _Clock:
    def __init__(self, log: Callable[[str], None]) -> None:
        self.started, self.log = time.perf_counter(), log

    def __call__(self, stage: int, message: str) -> None:
        self.log(f"[stage {stage}/{STAGES}] {time.perf_counter() - self.started:7.1f} s  {message}")


def served(spec: str, threads: int | None = None) -> str:
    """The spec plus operational options (not in the store key): the test batch for hf/, threads for llama.cpp."""
    from distillscope.models.registry import backend_of
    from distillscope.models.spec import ModelSpec

    options = {}
    backend = backend_of(ModelSpec.parse(spec).provider)
    if backend is not None and backend.trainable:
        options["batch_size"] = TEST_BATCH
    elif threads and backend is not None and "n_threads" in backend.known_options():
        options["n_threads"] = threads
    extra = "&".join(f"{k}={v}" for k, v in options.items())
    return with_options(spec, extra) if extra else spec


def _answers(
    runner: Runner,
    spec: str,
    prompts: list[Prompt],
    sampling: SamplingParams,
    say: Callable[[str], None],
    threads: int | None = None,
) -> list[Response | None]:
    """The model's responses (None where it failed), generated only where the store lacks them; says which."""
    from distillscope.models.registry import load_model
    from distillscope.runner.answers import requests_for

    result = runner.run(load_model(served(spec, threads)), requests_for(prompts, sampling))
    counts = result.counts
    say(
        f"{spec}: {len(prompts)} prompts, {counts.cached} reused from the store, {counts.generated} generated"
        + (f", {counts.failed} failed" if counts.failed else "")
    )
    return result.responses


def test_pool(plan: ZooPlan, suite: ProbeSuite | None = None) -> tuple[int, int]:
    """(ShareGPT prompts with a ChatGPT answer, identity prompts) in the suite's test split: all a test set can hold."""
    from distillscope.probes.suite import load_default_suite
    from distillscope.zoo.sharegpt_teacher import answered_test_ids, sharegpt_pairs, synthetic_conversations

    suite = suite or load_default_suite()
    answered = {sid for sid, _, _ in (synthetic_conversations(suite, 0, plan.seed) if plan.small else sharegpt_pairs())}
    return len(answered_test_ids(suite, answered)), sum(p.category == "identity" for p in suite.split("test"))


def _test_set(plan: ZooPlan, suite: ProbeSuite, zoo_dir: Path, clock: _Clock) -> tuple[list[Prompt], Path, str, list[tuple[Prompt, str]]]:
    """(test prompts, their JSONL, the replay candidate's spec, the replay teacher's train pairs)."""
    from distillscope.zoo.sharegpt_teacher import sharegpt_pairs, split_sharegpt, synthetic_conversations, write_replay

    chat_budget = max([(s.seed + 1) * (s.budget or 0) for s in plan.students if s.teacher == plan.replay_candidate] or [0])
    conversations = synthetic_conversations(suite, chat_budget + 8, plan.seed) if plan.small else sharegpt_pairs()
    sharegpt_test, chat_train, replay = split_sharegpt(conversations, suite, plan.n_sharegpt_test, chat_budget, plan.seed)
    identity = nested_sample([p for p in suite.split("test") if p.category == "identity"], plan.n_identity_test, plan.seed)
    test = sharegpt_test + identity
    data = canonical_jsonl([p.model_dump(exclude_none=True) for p in test])
    path = zoo_dir / f"test_prompts-{sha256_hex(data.decode('utf-8'))[:12]}.jsonl"
    if not path.exists():
        path.write_bytes(data)
    spec = write_replay(zoo_dir / "replay", [(p, replay[p.id]) for p in sharegpt_test] + chat_train, test_length(plan))
    clock(
        1,
        f"{len(sharegpt_test)} ShareGPT + {len(identity)} identity test prompts in {path.name}; "
        f"ChatGPT replay over {len(sharegpt_test)} test and {len(chat_train)} train prompts",
    )
    return test, path, spec, chat_train


def _training_data(
    plan: ZooPlan,
    suite: ProbeSuite,
    runner: Runner,
    chat_train: list[tuple[Prompt, str]],
    clock: _Clock,
    seeds: set[int] | None = None,
) -> dict[str, list[tuple[str, str, bool]]]:
    """Examples (prompt, answer, finished) per distilled or control student (of `seeds` only, where given: the build
    asks a seed's teachers just before it trains that seed's students, so a cut build has whole seeds)."""
    from distillscope.zoo.references import reference_examples
    from distillscope.zoo.sharegpt_teacher import cut_to_tokens

    sampling = SamplingParams(max_tokens=plan.max_tokens)
    students = [s for s in plan.students if seeds is None or s.seed in seeds]
    local = [s for s in students if s.teacher in plan.candidates]
    acquired: dict[int, list[Prompt]] = {}
    teacher_answers: dict[tuple[str, int], dict[str, Response]] = {}
    for seed in sorted({s.seed for s in local}):  # one nested acquisition per seed, its teachers answer what they teach
        top = max(s.budget or 0 for s in local if s.seed == seed)  # a taught student always has a budget
        acquired[seed] = acquire("stratified", suite.split("train"), top, plan.seed + seed)
        needed: dict[str, set[str]] = {}  # teacher -> the acquired prompts some student of this seed learns its answer to
        for student in (s for s in local if s.seed == seed):
            ids = {p.id for p in _student_prompts(plan, student, acquired[seed])}
            for teacher in (student.teacher, student.rest_from):
                if teacher:
                    needed.setdefault(teacher, set()).update(ids)
        for name in sorted(needed):
            prompts = [p for p in acquired[seed] if p.id in needed[name]]
            responses = _answers(runner, plan.candidates[name], prompts, sampling, lambda m: clock(2, m), plan.threads)
            teacher_answers[name, seed] = {p.id: r for p, r in zip(prompts, responses) if r is not None and r.text.strip()}
    data: dict[str, list[tuple[str, str, bool]]] = {}
    for student in students:
        if student.teacher is None:
            continue
        budget = student.budget or 0  # a taught student always has one (the recipes set it)
        if student.teacher == plan.replay_candidate:  # seed k takes the k-th slice of the free ShareGPT conversations
            pairs = chat_train[student.seed * budget : (student.seed + 1) * budget]
            data[student.name] = [(p.text, *_cut(cut_to_tokens(a, plan.max_tokens))) for p, a in pairs]
        elif student.teacher == REFERENCES:
            data[student.name] = [(p.text, a, True) for p, a in reference_examples(suite, budget, plan.seed + student.seed)]
        else:
            prompts = _student_prompts(plan, student, acquired[student.seed])
            answers = teacher_answers[student.teacher, student.seed]
            if (
                student.fraction < 1 and student.rest_from is not None
            ):  # dose zoo: the teacher's share nests in the prompts, the rest answered by rest_from
                taught = {p.id for p in acquire("stratified", prompts, round(student.fraction * len(prompts)), plan.seed + student.seed)}
                rest = teacher_answers[student.rest_from, student.seed]
                mixed = {p.id: (answers if p.id in taught else rest).get(p.id) for p in prompts}
                answers = {k: v for k, v in mixed.items() if v is not None}
            data[student.name] = [(p.text, answers[p.id].text, answers[p.id].finish_reason != "length") for p in prompts if p.id in answers]
    return data


def _student_prompts(plan: ZooPlan, student: StudentPlan, pool: list[Prompt]) -> list[Prompt]:
    """A locally taught student's training prompts: a stratified subset of its seed's acquisition at its budget."""
    budget = student.budget or 0
    return pool if budget == len(pool) else acquire("stratified", pool, budget, plan.seed + student.seed)


def test_length(plan: ZooPlan) -> int:
    """The test answers' max_tokens: the training answers' unless the plan sets its own."""
    return plan.test_max_tokens or plan.max_tokens


def _fingerprinted(dumped: dict) -> dict:
    """A plan or student dump without the dose fields where they hold their defaults: zoos built before those fields
    existed keep their fingerprints."""
    out = {k: v for k, v in dumped.items() if not (k in ("fraction", "rest_from", "test_max_tokens") and v in (1.0, None))}
    if "students" in out:
        out["students"] = [_fingerprinted(s) for s in out["students"]]
    return out


def _cut(pair: tuple[str, bool]) -> tuple[str, bool]:
    text, was_cut = pair
    return text, not was_cut


def build_zoo(
    plan: ZooPlan,
    zoo_dir: Path,
    runner: Runner,
    store_path: str,
    log: Callable[[str], None],
    suite: ProbeSuite | None = None,
) -> ZooManifest:
    """Build (or finish, or confirm) the zoo in `zoo_dir`; answers go through `runner` into the store at `store_path`."""
    from distillscope.probes.suite import load_default_suite

    clock = _Clock(log)
    suite = suite or load_default_suite()
    zoo_dir.mkdir(parents=True, exist_ok=True)
    test, test_path, replay_spec, chat_train = _test_set(plan, suite, zoo_dir, clock)
    candidates = {**plan.candidates, plan.replay_candidate: replay_spec}
    data: dict[str, list[tuple[str, str, bool]]] = {}
    sampling = SamplingParams(max_tokens=test_length(plan))
    for spec in candidates.values():
        _answers(runner, spec, test, sampling, lambda m: clock(4, m), plan.threads)
    students, answers_files = [], {}
    # each student is trained and answers the test set before the next is trained, so a cut build leaves whole
    # students (their answers in the store), not trainings without answers
    for s in (s for s in plan.students if plan.only is None or s.name in plan.only):
        spec, answers_file = s.base, None
        if s.teacher is not None and s.name not in data:  # this seed's teachers answer now, before its first training
            data.update(_training_data(plan, suite, runner, chat_train, clock, {s.seed}))
        if s.name in data:
            spec, answers_file = train_student(plan, s, zoo_dir, data[s.name], clock, (test_path.name, test_length(plan)))
        if answers_file:  # an exported zoo's student: it answers from its file, under the spec it was built as
            answers_files[spec] = f"replay/{answers_file.relative_to(zoo_dir)}"
        _answers(runner, f"replay/{answers_file}" if answers_file else spec, test, sampling, lambda m: clock(4, m), plan.threads)
        students.append(
            ZooStudent(
                name=s.name,
                spec=spec,
                base=s.base,
                true_teacher=s.teacher if s.kind == "distilled" else None,
                budget=s.budget,
                kind=s.kind,
                fraction=s.fraction,
                rest_from=s.rest_from,
                seed=s.seed,
            )
        )
    manifest = ZooManifest(
        store=str(store_path),
        sampling=ZooSampling(max_tokens=test_length(plan)),
        test_prompts=str(test_path),
        candidates=candidates,
        students=students,
        small=plan.small,
        answers=answers_files,
        fingerprint=sha256_hex(
            canonical_json(
                [
                    _fingerprinted(plan.model_dump()),
                    test_path.name,
                    candidates,
                    [_fingerprinted(s.model_dump(exclude={"seed"})) for s in students],
                ]
            )
        )[:16],
        build_seconds=round(time.perf_counter() - clock.started, 1),
    )
    path = zoo_dir / MANIFEST_FILE
    partial = path.with_suffix(".partial")
    partial.write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
    partial.replace(path)
    clock(5, f"manifest: {path} ({len(students)} students, {len(candidates)} candidates)")
    return manifest
