"""One audit: the selected metrics for every student against the teacher, into one typed `Results`.

Every metric command is this function with one metric selected. All answers,
judge verdicts, fuzzing calls and embeddings live in the store, so a re-run of
a finished audit recomputes the numbers from it in seconds and never loads a
model (the backends load weights only on a cache miss).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from distillscope.pipeline.context import AuditContext, StudentContext, measured_prompts
from distillscope.pipeline.ladder_gate import ladder_skip
from distillscope.pipeline.metric import Metric
from distillscope.pipeline.registry import registry
from distillscope.version import __version__

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.probes.suite import ProbeSuite
    from distillscope.results import NoAnswers, Results, StudentResults, SuiteRef
    from distillscope.workspace import Workspace

NEEDS_TEST_PAIRS = ("similarity", "rse", "indist")


class StageLog:
    """Numbers the audit's stages and tells the time spent, so a long audit shows how far it has got."""

    def __init__(self, log: Callable[[str], None], total: int) -> None:
        self.log, self.total, self.done, self.started = log, total, 0, time.perf_counter()

    def __call__(self, message: str) -> None:
        self.done += 1
        self.log(f"[{self.done}/{self.total}, {time.perf_counter() - self.started:.0f} s] {message}")


def selected_metrics(config: "AuditConfig") -> list[Metric]:
    """The metrics named in `metrics`, and any whose section's presence selects it (`sequential:`), in registry order."""
    return [
        m
        for name, m in registry().items()
        if name in config.metrics or (getattr(m, "options_optional", False) and config.section(name) is not None)
    ]


def _warn_if_blocking_a_loop() -> None:
    import asyncio
    import warnings

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    warnings.warn("run_audit blocks the running event loop until the audit ends; use `await arun_audit(...)`", stacklevel=3)


def answered_nothing(metric: str, result: Any, student: StudentContext) -> NoAnswers | None:
    """The note for a student whose metric asked its own prompts (sequential, ICE) and got no answer at all."""
    from distillscope.results import NoAnswers

    identity = student.model.identity
    if metric == "sequential" and result is not None and result.pairs == 0 and result.dropped > 0:
        asked = result.dropped
    elif metric == "ice" and result is not None and result.records and all(r.get("response") is None for r in result.records):
        asked = len(result.records)
    else:
        return None
    failures = student.run.ws.store.failures(identity)
    first = f"{failures[-1].error_type}: {failures[-1].message}"[:300] if failures else None
    return NoAnswers(role="student", model=identity, asked=asked, failed=asked, first_failure=first)


def _has_results(section: StudentResults) -> bool:
    return any(section.result(name) is not None for name in registry())


def _suite_ref(config: "AuditConfig", suite: ProbeSuite | None) -> SuiteRef:
    from distillscope.results import SuiteRef

    if suite is not None:
        return SuiteRef(name=suite.name, version=suite.version)
    from distillscope.ice.templates import identity_questions, load_templates
    from distillscope.types import canonical_json, sha256_hex

    payload = canonical_json(
        [[q.model_dump() for q in identity_questions()], [s.model_dump() for s in load_templates(config.ice.templates)]]
    )
    return SuiteRef(name="ice-identity-questions", version="sha256:" + sha256_hex(payload))


async def arun_audit(config: "AuditConfig", ws: "Workspace", kind: str = "audit", log: Callable[[str], None] | None = None) -> "Results":
    """`run_audit` for async callers (a notebook): the audit runs on a worker thread, so the caller's event loop
    keeps serving its other tasks for the whole audit instead of freezing until it ends."""
    from distillscope.runner.event_loop import run_blocking

    return await run_blocking(run_audit, config, ws, kind, log)


def run_audit(config: "AuditConfig", ws: "Workspace", kind: str = "audit", log: Callable[[str], None] | None = None) -> "Results":
    """Every selected metric for every student; checks every option before the first query.

    Blocking: called on a thread whose event loop is running (a notebook cell), it holds that loop for
    the whole audit, so it warns; `await arun_audit(...)` runs it without blocking the loop.
    """
    _warn_if_blocking_a_loop()
    from distillscope.audit.verdict import verdict_for
    from distillscope.pipeline.roles import pick_pairwise_judge
    from distillscope.probes.suite import load_suite
    from distillscope.results import PromptsRef, Results, StudentResults

    metrics = selected_metrics(config)
    for metric in metrics:
        metric.check(config)
    needs_teacher = any(m.needs_teacher for m in metrics)
    suite = None
    if any(m.needs_prompts for m in metrics):
        from distillscope.pipeline.imported_suite import replay_suite

        replayed = replay_suite(config, ws, ws.notes.append)  # no --suite and a replay teacher: the files' own prompts
        suite, config = replayed if replayed is not None else (load_suite(config.suite), config)
    test_prompts, train_prompts = (
        measured_prompts(suite, config.split, config.n, config.indist.n_train, config.seed, any(m.needs_train for m in metrics))
        if suite
        else ([], [])
    )
    helper_spec = config.helper or config.judge
    run = AuditContext(
        config=config,
        ws=ws,
        suite=suite,
        test_prompts=test_prompts,
        train_prompts=train_prompts,
        sampling=config.sampling_params(),
        teacher=ws.model(config.teacher) if needs_teacher and config.teacher else None,
        judge=ws.model(config.judge) if config.judge else None,
        helper=ws.model(helper_spec) if helper_spec else None,
    )
    measures = {k: v for m in metrics for k, v in m.ladder_measures(run).items()}
    ladder = config.ladder_n > 0 and bool(measures)
    reads_pairs = any(m.name in NEEDS_TEST_PAIRS for m in metrics)
    stage = StageLog(log or ws.log, needs_teacher + ladder + len(config.students) * (1 + len(metrics)))
    if needs_teacher:
        stage(
            f"teacher {run.needed('teacher').identity}: {len(test_prompts)} test"
            + (f" + {len(train_prompts)} train prompts" if train_prompts else " prompts")
        )
        if reads_pairs:
            run.teacher_test  # noqa: B018 - the teacher's answers first, so students' progress bars follow
    teacher_note = run.teacher_no_answers() if reads_pairs else None
    if teacher_note is not None:
        ladder = False  # nothing to put on it; every student is told why instead
        ws.log(teacher_note.line())
    if ladder:
        from distillscope.controls.ladder import ladder_answers, run_ladder

        stage(f"control ladder: {config.ladder_n} prompts of the teacher (self, resample, other prompt)")
        texts = ladder_answers(
            ws.runner, run.needed("teacher"), test_prompts, run.teacher_first_answers(), run.sampling, n=config.ladder_n, seed=config.seed
        )
        run.controls = run_ladder(texts, measures, seed=config.seed)
    students: dict[str, StudentResults] = {}
    spending: dict[str, dict] = {}
    for spec in config.students:
        student = StudentContext(spec, ws.model(spec), run)
        stage(f"student {student.model.identity}")
        costs = ws.cost.stages()  # queries, tokens and money per metric
        section = StudentResults()
        note = teacher_note or (student.no_answers() if reads_pairs else None)
        if note is not None:  # reported as such; the other students are still measured
            section.no_answers = note
            ws.log(note.line())
        elif reads_pairs:
            section.n_test, section.missing_responses = len(student.test.prompts), student.test_pairs[1]
        costs.done("answers")
        for metric in metrics:
            if note is not None and (note.role == "student" or metric.needs_teacher):
                continue
            describe = getattr(metric, "stage_message", None)  # a plugin written against the bare protocol may lack it
            stage(describe(run, student) if describe else f"{metric.name} of {student.model.identity}")
            skip = ladder_skip(metric.name, run, student)  # a judge measure its ladder showed invalid: no calls (issue 25)
            if skip is not None:
                ws.log(f"{metric.name} of {student.model.identity} skipped: {skip.reason}")
                section.skipped.append(skip)
                costs.done(metric.name)
                continue
            result = metric.evaluate(run, student)
            silent = answered_nothing(metric.name, result, student) if section.no_answers is None else None
            if silent is not None:  # a result over zero answers is no measurement: the note replaces it
                section.no_answers = silent
                ws.log(silent.line())
                costs.done(metric.name)
                continue
            if result is None:
                from distillscope.results import Skipped

                section.skipped.append(
                    Skipped(metric=metric.name, reason=f"no fact set for {spec}: add it under 'facts' in the audit config")
                )
            section.set_result(metric.name, result)
            costs.done(metric.name)
        spending[student.model.identity] = costs.costs
        # no answers, no verdict: the note says why, and nothing reads as a finding about the model
        section.verdict = verdict_for(section, run.controls) if section.no_answers is None else None
        students[student.model.identity] = section
    nothing = [s.no_answers.line() for s in students.values() if s.no_answers is not None and not _has_results(s)]
    if students and len(nothing) == len(students):
        from distillscope.errors import UserError

        raise UserError(
            "; ".join(nothing), "check the failures (`distillscope store stats`), fix the cause and re-run: stored answers are kept"
        )
    pairwise = (
        {s: pick_pairwise_judge(config, s) for s in config.students}
        if "indist" in config.metrics and "judge" in config.indist.adversaries
        else {}
    )
    return Results(
        kind=kind,
        package_version=__version__,
        suite=_suite_ref(config, suite),
        prompts=PromptsRef(
            split=config.split,
            n_test=len(test_prompts),
            n_train=len(train_prompts),
            test_ids=[p.id for p in test_prompts],
            train_ids=[p.id for p in train_prompts],
        ),
        models={
            "teacher": run.teacher.identity if run.teacher else None,
            "students": list(students),
            "judge": config.judge,
            "helper": config.helper or config.judge,
            "pairwise_judges": pairwise,
        },
        sampling=run.sampling.model_dump(),
        seed=config.seed,
        config=config.model_dump(mode="json", exclude={"store"}),
        students=students,
        controls=run.controls,
        cost={**ws.cost.summary(), "per_student": spending},
        notes=list(ws.notes),
    )
