"""One zoo student: trained (or resumed, or reused from another zoo), and the spec it answers as.

A student served by llama.cpp (the default) is its base's GGUF plus its LoRA adapter written as a GGUF; one served
by transformers is the merged model. Either spec carries the training's fingerprint, so a retrained student never
meets the answers of an earlier one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from distillscope.distill.train import TrainingReport, train_lora
from distillscope.zoo.reuse import copy_finished_training, exported_student
from distillscope.zoo.spec import StudentPlan, ZooPlan

if TYPE_CHECKING:
    from distillscope.models.base import Model


def with_options(spec: str, options: str) -> str:
    """`spec` with `options` ("k=v&...") appended after its own."""
    return f"{spec}{'&' if '?' in spec else '?'}{options}"


def train_student(
    plan: ZooPlan,
    student: StudentPlan,
    zoo_dir: Path,
    examples: list,
    clock: Callable[[int, str], None],
    test: tuple[str, int],
) -> tuple[str, Path | None]:
    """The trained student's spec (trained here, resumed, or reused from a finished training), and its answers file
    where an exported zoo in `plan.reuse` had this very training (`test`: the test prompts' file name, answer length)."""
    from distillscope.distill.train import training_fingerprint
    from distillscope.models.hf import resolve_hf_source
    from distillscope.models.llamacpp import LlamaCppModel
    from distillscope.models.registry import load_model

    steps: list[float] = []  # when each step of this run ended

    def on_step(step: int, total: int, loss: float) -> None:
        steps.append(time.perf_counter())
        if step % 10 == 0 or step == total:
            # between steps only: the model's loading before the first step is not a step's cost
            rate = f", {(steps[-1] - steps[0]) / (len(steps) - 1):.1f} s/step" if len(steps) > 1 else ""
            clock(3, f"{student.name}: step {step}/{total}, loss {loss:.3f}{rate}")

    base = load_model(student.base)
    source, gguf_file = resolve_hf_source(type(base).transformers_name(base.spec) or base.spec.name)
    settings = plan.lora.model_copy(update={"seed": plan.lora.seed + student.seed})
    fingerprint = training_fingerprint(source, gguf_file, base.mode, examples, settings)
    exported = exported_student(plan.reuse, student.name, fingerprint, zoo_dir, *test)
    if exported:
        clock(3, f"{student.name} ← {student.teacher}: answers of this training ({fingerprint}) taken from an exported zoo")
        return exported
    copy_finished_training(plan.reuse, zoo_dir / "students" / student.name)
    report = train_lora(
        source,
        gguf_file,
        base.mode,
        examples,
        zoo_dir / "students" / student.name,
        settings,
        on_step=on_step,
        merge=not isinstance(base, LlamaCppModel),  # llama.cpp serves the base's GGUF plus the adapter
    )
    if not steps:
        how = f"reused its finished training (fingerprint {report.fingerprint})"
    elif report.resumed_from_step:
        how = f"resumed at step {report.resumed_from_step}, trained to step {report.steps}"
    else:
        how = f"trained {report.steps} steps"
    clock(3, f"{student.name} ← {student.teacher} ({len(examples)} examples): {how}")
    return served_student(student.base, base, report), None


def served_student(base_spec: str, base: Model, report: TrainingReport) -> str:
    """The trained student's spec, served by its base's backend: a llama.cpp base gets the adapter written as a GGUF
    LoRA beside the training (once per training fingerprint), any other the merged transformers model."""
    from distillscope.distill.gguf_lora import export_gguf_lora
    from distillscope.models.llamacpp import LlamaCppModel

    if not isinstance(base, LlamaCppModel):
        return f"hf/{report.merged_dir}?weights={report.fingerprint}"
    adapter = Path(report.adapter_dir).parent / f"adapter-{report.fingerprint}.gguf"
    if not adapter.exists():
        export_gguf_lora(Path(report.adapter_dir), base.model_path(), adapter)
    return with_options(base_spec, f"lora={adapter}")
