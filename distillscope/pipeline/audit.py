"""One audit: the selected metrics for every student against the teacher, into one typed `Results`.

Every metric command is this function with one metric selected. All answers,
judge verdicts, fuzzing calls and embeddings live in the store, so a re-run of
a finished audit recomputes the numbers from it in seconds and never loads a
model (the backends load weights only on a cache miss).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from distillscope.pipeline.context import AuditContext, StudentContext, measured_prompts
from distillscope.pipeline.metric import Metric, registry

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.results import Results
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
    names = [*config.metrics, *(["sequential"] if config.sequential is not None and "sequential" not in config.metrics else [])]
    return [metric for name, metric in registry().items() if name in names]


def _stage_message(metric: str, run: AuditContext, student: StudentContext) -> str:
    config, name = run.config, student.model.identity
    return {
        "similarity": f"similarity of {name}",
        "rse": f"RSE of {name} (judge {run.judge.identity if run.judge else '-'})",
        "ice": f"ICE of {name} (budget {config.ice_budget})",
        "indist": f"indistinguishability of {name}: {', '.join(config.adversaries)}",
        "sequential": f"sequential test of {name}",
        "attribution": f"attribution of {name} among {len(config.candidates) or 1} candidates",
    }.get(metric, f"{metric} of {name}")


def _suite_ref(config: "AuditConfig", suite) -> dict:  # noqa: ANN001 - a ProbeSuite or None
    if suite is not None:
        return {"name": suite.name, "version": suite.version}
    from distillscope.ice.templates import identity_questions, load_templates
    from distillscope.types import canonical_json, sha256_hex

    payload = canonical_json(
        [[q.model_dump() for q in identity_questions()], [s.model_dump() for s in load_templates(config.ice_templates)]]
    )
    return {"name": "ice-identity-questions", "version": "sha256:" + sha256_hex(payload)}


def run_audit(config: "AuditConfig", ws: "Workspace", kind: str = "audit", log: Callable[[str], None] | None = None) -> "Results":
    """Every selected metric for every student; checks every option before the first query."""
    from distillscope import __version__
    from distillscope.audit.verdict import verdict_for
    from distillscope.pipeline.roles import pick_pairwise_judge
    from distillscope.probes.suite import load_suite
    from distillscope.results import PromptsRef, Results, StudentResults

    metrics = selected_metrics(config)
    for metric in metrics:
        metric.check(config)
    needs_teacher = any(m.needs_teacher for m in metrics)
    suite = load_suite(config.suite) if any(m.needs_prompts for m in metrics) else None
    test_prompts, train_prompts = (
        measured_prompts(suite, config.split, config.n, config.n_train, config.seed, any(m.needs_train for m in metrics))
        if suite
        else ([], [])
    )
    run = AuditContext(
        config=config,
        ws=ws,
        suite=suite,
        test_prompts=test_prompts,
        train_prompts=train_prompts,
        sampling=config.sampling_params(),
        teacher=ws.model(config.teacher) if needs_teacher else None,
        judge=ws.model(config.judge) if config.judge else None,
        helper=ws.model(config.helper or config.judge) if (config.helper or config.judge) else None,
    )
    measures = {k: v for m in metrics for k, v in m.ladder_measures(run).items()}
    ladder = config.ladder_n > 0 and bool(measures)
    reads_pairs = any(m.name in NEEDS_TEST_PAIRS for m in metrics)
    stage = StageLog(log or ws.log, needs_teacher + ladder + len(config.students) * (1 + len(metrics)))
    if needs_teacher:
        stage(
            f"teacher {run.teacher.identity}: {len(test_prompts)} test"
            + (f" + {len(train_prompts)} train prompts" if train_prompts else " prompts")
        )
        if reads_pairs:
            run.teacher_test  # noqa: B018 - the teacher's answers first, so students' progress bars follow
    if ladder:
        from distillscope.metrics.controls import ladder_answers, run_ladder

        stage(f"control ladder: {config.ladder_n} prompts of the teacher (self, resample, other prompt)")
        texts = ladder_answers(
            ws.runner, run.teacher, test_prompts, run.teacher_first_answers(), run.sampling, n=config.ladder_n, seed=config.seed
        )
        run.controls = run_ladder(texts, measures, seed=config.seed)
    students: dict[str, StudentResults] = {}
    spending: dict[str, dict] = {}
    for spec in config.students:
        student = StudentContext(spec, ws.model(spec), run)
        stage(f"student {student.model.identity}")
        costs = ws.cost.stages()  # queries, tokens and money per metric
        section = StudentResults()
        if reads_pairs:
            section.n_test, section.missing_responses = len(student.test.prompts), student.test_pairs[1]
        costs.done("answers")
        for metric in metrics:
            stage(_stage_message(metric.name, run, student))
            result = metric.evaluate(run, student)
            if result is None:
                from distillscope.results import Skipped

                section.skipped.append(
                    Skipped(metric=metric.name, reason=f"no fact set for {spec}: add it under 'facts' in the audit config")
                )
            setattr(section, metric.name, result)
            costs.done(metric.name)
        spending[student.model.identity] = costs.costs
        section.verdict = verdict_for(section, run.controls)
        students[student.model.identity] = section
    pairwise = (
        {s: pick_pairwise_judge(config, s) for s in config.students} if "indist" in config.metrics and "judge" in config.adversaries else {}
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
