"""`distillscope attribute`: the command's two forms, one student (`run_student`) or a zoo (`run_zoo`).

Each opens a runner over the store and calls the attribution library (`attribution/run.py` for one
student, `attribution/zoo_eval.py` for a zoo). Every answer comes through the runner, so it is stored
and a second run (or the zoo evaluation after it) generates nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from distillscope.attribution.result import AttributionResult, ZooAttribution
from distillscope.attribution.run import attribute_student
from distillscope.attribution.zoo_eval import evaluate_zoo
from distillscope.errors import UserError
from distillscope.types import SamplingParams

DEFAULT_MAX_TOKENS: int = SamplingParams.model_fields["max_tokens"].default


def run_student(
    student: str | None,
    candidates: Sequence[str],
    base: str | None,
    prompts_path: Path | None,
    n: int,
    max_tokens: int | None,
    seed: int,
    families: dict[str, str],
    signals: Sequence[str],
    calibration: Path | None,
    store: Path | None,
    progress: bool,
    alpha: float = 0.05,
    looks: int = 1,
) -> AttributionResult:
    """The command's single-student form: the test prompts, a runner over the store, the attribution.

    With `looks` > 1 the test is group-sequential: the prompts are asked in `looks` growing prefixes, each look tested
    at alpha / looks (Bonferroni over the looks, valid whichever look stops), and the run stops at the first look whose
    test names a candidate; only the new prompts of a look are generated (the rest come from the store)."""
    from distillscope.probes.loader import load_prompts
    from distillscope.probes.suite import load_suite
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    if not student:
        raise UserError("no --student given", "pass --student SPEC (or --zoo DIR to evaluate a zoo)")
    prompts = load_prompts(prompts_path) if prompts_path else load_suite(None).sample(n, split="test", seed=seed)
    sampling = SamplingParams(max_tokens=answer_length(max_tokens, calibration), seed=seed)
    sizes = sequential_sizes(len(prompts), looks)
    with Runner(ResponseStore(store), show_progress=progress) as runner:
        for k, size in enumerate(sizes, start=1):
            result = attribute_student(
                student, candidates, base, prompts[:size], sampling, runner, families, signals, calibration, seed, alpha, len(sizes)
            )
            if len(sizes) > 1:
                stop = result.outcome == "candidate" or k == len(sizes)
                result.notes.append(
                    f"sequential: look {k} of {len(sizes)} at {size} prompts, each look at alpha/{len(sizes)}"
                    + ("; stopped" if stop and k < len(sizes) else "")
                )
                if stop:
                    break
        return result


def answer_length(max_tokens: int | None, calibration: Path | None) -> int:
    """--max-tokens as given; else the calibration zoo's answer length (its null was measured there); else the default
    sampling's."""
    if max_tokens is not None:
        return max_tokens
    if calibration is not None:
        from distillscope.attribution.null_population import load
        from distillscope.errors import InputFileError

        try:
            recorded = load(calibration).max_tokens
        except InputFileError:  # said where the calibration is used, after the checks that come before it
            recorded = None
        if recorded is not None:
            return recorded
    return DEFAULT_MAX_TOKENS


def sequential_sizes(n: int, looks: int) -> list[int]:
    """The prompt counts of the looks: `looks` evenly growing prefixes of the n prompts (the last is all of them)."""
    if looks < 1:
        raise UserError(f"--looks {looks}", "pass --looks 1 (one test) or more")
    sizes = sorted({max(1, round(n * k / looks)) for k in range(1, looks + 1)})
    return sizes


def run_zoo(
    zoo: Path,
    signals: list[str],
    families: dict[str, str],
    store: Path | None,
    progress: bool,
    seed: int,
    single_student_options: Sequence[object] = (),
    alpha: float = 0.05,
) -> ZooAttribution:
    """The command's --zoo form: the zoo's own students and candidates, through the zoo's store (or --store)."""
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    if any(single_student_options):
        raise UserError(
            "--zoo evaluates the zoo's own students and candidates", "leave out --student, --candidate, --base and --calibration with --zoo"
        )
    return evaluate_zoo(
        zoo,
        signals,
        lambda path: Runner(ResponseStore(store or path), show_progress=progress),
        seed,
        family_overrides=families,
        alpha=alpha,
    )
