"""ICE as a metric: fuzz identity questions through jailbreak-style templates, score loose / strict / hard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from distillscope.pipeline.metric import MetricBase, Row, estimate_row

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import ICESection, Results


def facts_of(config: "AuditConfig", spec: str) -> str | None:
    from distillscope.pipeline.roles import family_of

    return config.facts.get(spec) or family_of(spec, config.facts)


class ICEOptions(BaseModel):
    """The audit config's `ice:` section (the flat `ice_budget`, `strict_families`, ... still read)."""

    model_config = ConfigDict(extra="forbid")
    budget: int = Field(default=100, ge=1, description="target queries per student")
    questions_per_iteration: int = Field(default=5, ge=1)
    reward: Literal["loose", "strict"] = "loose"
    templates: list[Path] = Field(default_factory=list)  # seed templates (YAML or GPTFuzz CSV); default: the packaged 32
    library: list[Path] = Field(default_factory=list)  # extra fact-set YAML files for the claim extractor
    # strict: families whose claims count (the paper: GPT/OpenAI and Claude/Anthropic; null: any other family),
    # and who decides: the claim extractor, the LLM strict judge (over loose positives), or both (judge as cross-check)
    strict_families: list[str] | None = Field(default_factory=lambda: ["openai", "anthropic"])
    strict_judge: Literal["extractor", "judge", "both"] = "extractor"

    @field_validator("strict_families", mode="before")
    @classmethod
    def _families(cls, value: Any) -> Any:
        """`openai,anthropic` as a list; `any` (or all, or empty) as None: any family but the target's own."""
        if isinstance(value, str):
            return None if value.strip().lower() in ("any", "all", "") else [f.strip().lower() for f in value.split(",") if f.strip()]
        return value


class ICEMetric(MetricBase):
    name = "ice"
    options_model = ICEOptions
    needs_teacher = False
    needs_prompts = False
    needs_train = False

    def check(self, config: "AuditConfig") -> None:
        from distillscope.errors import UserError
        from distillscope.ice.facts import load_library
        from distillscope.ice.strict_judge import check_strict_options
        from distillscope.ice.templates import load_templates

        if not (config.helper or config.judge):
            raise UserError("ICE needs a helper model to mutate templates", "pass --helper SPEC (or a --judge, which then helps)")
        # an unknown strict family would silently count nothing: refuse it before any query
        check_strict_options(config.ice.strict_families, config.ice.strict_judge, config.judge, load_library(config.ice.library))
        load_templates(config.ice.templates)  # templates without the placeholder are refused now, not after a paid query
        if config.metrics == ["ice"]:  # the ice command: a target without a family cannot be scored at all
            for spec in config.students:
                if facts_of(config, spec) is None:
                    raise UserError(f"no --facts given for {spec}", "name its family (e.g. --facts qwen) or a YAML fact file")

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> "ICESection | None":
        from distillscope.controls.judge_calls import conflict_judge_control
        from distillscope.controls.judges import JudgeControl
        from distillscope.ice.facts import load_library, resolve_fact_set
        from distillscope.ice.fuzzer import FuzzConfig, Fuzzer
        from distillscope.ice.scoring import score_run
        from distillscope.ice.strict_judge import apply_strict_judge, check_strict_options
        from distillscope.ice.templates import identity_questions, load_templates
        from distillscope.results import ICESection

        config = run.config
        facts = facts_of(config, student.spec)
        if facts is None:
            return None
        fact_set, library = resolve_fact_set(facts, load_library(config.ice.library))
        families = check_strict_options(config.ice.strict_families, config.ice.strict_judge, config.judge, library)
        fuzz_config = FuzzConfig(
            budget=config.ice.budget,
            questions_per_iteration=config.ice.questions_per_iteration,
            seed=config.seed,
            max_tokens=config.max_tokens,
            reward=config.ice.reward,
            strict_families=families,
        )
        helper = run.needed("helper")
        judge, control = run.judge, None
        if run.judge is not None:  # the conflict judge is shown to separate known cases before it judges any fuzzed answer
            control = conflict_judge_control(run.ws.runner, run.judge, student.model, fact_set, library, run.sampling, config.judge_mode)
            if control.get("status") == "invalid" and not config.force_invalid:  # issue 25: spend nothing on a failed judge
                judge, control = None, {**control, "calls_saved": config.ice.budget}  # one conflict verdict per fuzzed answer
                run.ws.log(f"ICE loose of {student.spec} not judged: the conflict judge failed its control ({control['reason']})")
        with fuzz_progress(run.ws.progress, config.ice.budget) as advance:
            fuzzed = Fuzzer(
                run.ws.runner,
                student.model,
                helper,
                judge,
                fact_set,
                library,
                load_templates(config.ice.templates),
                identity_questions(),
                fuzz_config,
                on_progress=advance,
            ).run()
        stage = apply_strict_judge(fuzzed, run.ws.runner, run.judge, fact_set, library, families, config.ice.strict_judge)
        scores = score_run(fuzzed, judged=judge is not None)
        return ICESection(
            **dict(scores),
            facts=fact_set.family,
            developer=fact_set.developer,
            helper=helper.identity,
            judge=run.judge.identity if run.judge else None,
            judge_control=JudgeControl.model_validate(control) if control else None,
            strict_families=families,
            strict_mode=config.ice.strict_judge,
            strict_judge=stage,
            records=[r.model_dump() for r in fuzzed.records],
        )

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        return f"ICE of {student.model.identity} (budget {run.config.ice.budget})"

    def rows(self, student: str, result: "ICESection", results: "Results") -> list[Row]:
        rows = [estimate_row(student, f"ICE {k}", getattr(result.overall, k)) for k in ("loose", "strict", "hard")]
        for category, scores in result.by_category.items():
            rows += [estimate_row(student, f"ICE {k}", getattr(scores, k), category) for k in ("loose", "strict", "hard")]
        return [r for r in rows if r]


@contextmanager
def fuzz_progress(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """A rich bar over target queries; yields the callback the fuzzer advances."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("ICE fuzzing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as progress:
        task = progress.add_task("queries", total=total)
        yield lambda n: progress.advance(task, n)
