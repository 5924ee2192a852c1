"""Fixed-n indistinguishability as a metric: adversaries trained on train-split pairs, scored on the test pairs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from distillscope.pipeline.metric import MetricBase, Row, estimate_row

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import IndistSection, Results


class IndistOptions(BaseModel):
    """The audit config's `indist:` section (the flat `adversaries`, `n_train`, `mmd_design`, ... still read)."""

    model_config = ConfigDict(extra="forbid")
    adversaries: list[str] = Field(default_factory=lambda: ["style", "embed", "mmd", "judge"])
    n_train: int = Field(default=100, ge=2, description="train prompts for the learned adversaries")
    mmd_design: Literal["paired", "split"] = "paired"  # the pooled relabelling ignores the pairing (kept for calibration only)
    mmd_permutations: int = Field(default=1000, ge=19)
    encoder_epochs: int = Field(default=3, ge=1)


class IndistMetric(MetricBase):
    name = "indist"
    options_model = IndistOptions
    needs_teacher = True
    needs_train = True

    def check(self, config: "AuditConfig") -> None:
        from distillscope.indist.registry import check_adversaries

        check_adversaries(config.indist.adversaries)

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> "IndistSection":
        from distillscope.controls.judge_calls import pairwise_judge_control
        from distillscope.indist.evaluate import evaluate_indistinguishability
        from distillscope.pipeline.roles import pick_pairwise_judge
        from distillscope.results import IndistSection

        config = run.config
        train, train_missing = student.train
        adversaries = list(config.indist.adversaries)
        pairwise_spec = pick_pairwise_judge(config, student.spec) if "judge" in adversaries else None
        if "judge" in adversaries and pairwise_spec is None:
            adversaries.remove("judge")
            run.ws.log(f"pairwise judge left out for {student.spec}: no model of a third family is available")
        judge = run.ws.model(pairwise_spec) if pairwise_spec else None
        control = None
        if pairwise_spec and judge is not None:  # one control per judge, shared by the students it judges; run first, so a
            # failed one costs no more
            if pairwise_spec not in run.judge_controls:
                run.judge_controls[pairwise_spec] = pairwise_judge_control(
                    run.ws.runner, judge, student.test.prompts, student.test.teacher, config.seed, config.judge_mode
                )
            control = run.judge_controls[pairwise_spec]
            if control.get("status") == "invalid" and not config.force_invalid:  # issue 25: spend nothing on it
                adversaries.remove("judge")
                control = {**control, "calls_saved": 2 * len(student.test.prompts)}  # each pair is judged in both orders
                run.ws.log(f"pairwise judge {pairwise_spec} left out for {student.spec}: it failed its control ({control['reason']})")
        result = evaluate_indistinguishability(
            train,
            student.test,
            adversaries,
            embedder=run.ws.embedder,
            runner=run.ws.runner,
            judge=judge if "judge" in adversaries else None,
            seed=config.seed,
            encoder_options={"epochs": config.indist.encoder_epochs, "seed": config.seed},
            on_stage=run.ws.log,
            mmd_design=config.indist.mmd_design,
            mmd_permutations=config.indist.mmd_permutations,
        )
        return IndistSection(**dict(result), pairwise_judge=pairwise_spec, judge_control=control, train_missing=train_missing)

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        return f"indistinguishability of {student.model.identity}: {', '.join(run.config.indist.adversaries)}"

    def rows(self, student: str, result: "IndistSection", results: "Results") -> list[Row]:
        rows = [estimate_row(student, f"advantage: {name}", adversary.advantage) for name, adversary in result.learned.items()]
        if result.judge:
            rows.append(
                estimate_row(student, "advantage: pairwise judge", result.judge.advantage_all_pairs, coverage=result.judge.coverage.mean)
            )
        if result.mmd:
            test = result.mmd.test
            rows.append(Row(student=student, metric="MMD p-value", mean=test.p_value, n=test.n_x))
        for name, adversary in result.learned.items():
            rows += [estimate_row(student, f"advantage: {name}", e, category) for category, e in adversary.by_category.items()]
        if result.judge:
            rows += [
                estimate_row(student, "advantage: pairwise judge (consistent pairs)", e, category)
                for category, e in result.judge.by_category.items()
            ]
        return [r for r in rows if r]


def q_curve_rows(student: str, result: "IndistSection") -> list[dict]:
    """Advantage against q (answers the adversary sees) per learned adversary."""
    rows = []
    for name, adversary in result.learned.items():
        for q, estimate in adversary.q_curve.items():
            row = estimate_row(student, name, estimate)
            if row:
                rows.append({**row.model_dump(exclude={"category", "too_few", "invalid", "extra"}), "q": int(q)})
    return rows
