"""The dose zoo (`zoo build --dose`): students of one base at known amounts of one teacher, the ground truth for
`distillscope degree` and for each measure's dose curve (docs/dose.md).

Three series on one base, each recipe at `seeds` seeds (seed k: its own nested acquisition and LoRA seed):

- budget: the base (0 teacher answers) and base <- teacher at each of `budgets`;
- mixture: at `mix_budget` training answers, a share f of them (a stratified subset of the prompts) answered by
  the teacher, the rest answered by the second teacher for the same prompts. f = 1 is the budget series' student
  at that budget and f = 0 the second teacher's, so the series costs only the f < 1 trainings: every answer it
  uses is one the two teachers give anyway;
- a second teacher at `second_budgets`; and a control trained on reference answers at `mix_budget`.
"""

from __future__ import annotations

from pathlib import Path

from distillscope.distill.train import LoraSettings
from distillscope.zoo.recipes import CHATGPT, QWEN, SMOLLM2, base_spec
from distillscope.zoo.spec import REFERENCES, Kind, StudentPlan, ZooPlan

BUDGETS = (30, 100, 300, 1000)
FRACTIONS = (0.25, 0.5)  # f = 1 and f = 0 are students of the budget and second-teacher series
MIX_BUDGET = 300
SECOND_BUDGETS = (100, 300)


def dose_students(
    base: str,
    base_name: str,
    teacher: str,
    second: str,
    budgets: tuple[int, ...],
    fractions: tuple[float, ...],
    mix_budget: int,
    second_budgets: tuple[int, ...],
    seeds: int,
) -> list[StudentPlan]:
    def student(
        name: str,
        teacher_: str | None,
        budget: int | None,
        kind: Kind = "distilled",
        seed: int = 0,
        fraction: float = 1.0,
        rest_from: str | None = None,
    ) -> StudentPlan:
        return StudentPlan(
            name=name + (f"-s{seed}" if seed else ""),
            base=base,
            teacher=teacher_,
            budget=budget,
            kind=kind,
            seed=seed,
            fraction=fraction,
            rest_from=rest_from,
        )

    out = [student(f"{base_name}-base", None, None, "base")]
    for seed in range(seeds):
        out += [student(f"{base_name}-{teacher}-{b}", teacher, b, seed=seed) for b in budgets]
        out += [
            student(f"{base_name}-{teacher}-{mix_budget}-f{f:g}", teacher, mix_budget, seed=seed, fraction=f, rest_from=second)
            for f in fractions
        ]
        out += [student(f"{base_name}-{second}-{b}", second, b, seed=seed) for b in second_budgets]
        out.append(student(f"{base_name}-references-{mix_budget}", REFERENCES, mix_budget, "control", seed=seed))
    return out


def dose_plan(max_tokens: int = 96, threads: int | None = None, seeds: int = 2, serve: str = "llamacpp") -> ZooPlan:
    """gemma-3-270m <- qwen on the built-in models: 160 test prompts (the attribution zoo's 100, grown by a third
    round, so its test answers at the same length are reused), 96-token answers."""
    return ZooPlan(
        candidates={QWEN: "builtin/qwen2.5-coder-0.5b-instruct", SMOLLM2: "builtin/smollm2-135m-instruct"},
        replay_candidate=CHATGPT,
        students=dose_students(
            base_spec("gemma-3-270m", serve), "gemma", QWEN, SMOLLM2, BUDGETS, FRACTIONS, MIX_BUDGET, SECOND_BUDGETS, seeds
        ),
        max_tokens=max_tokens,
        n_sharegpt_test=[32, 40, 38],
        n_identity_test=[12, 16, 22],
        lora=LoraSettings(epochs=1, batch_size=4, max_length=160),
        threads=threads,
    )


#: the quick dose zoo's rungs: the attribution zoo's answer length, test set and largest budget, so each of its
#: students that fits the ladder (base, qwen 100 and 300, smollm2 300, references 300) is reused, not retrained
QUICK_BUDGETS = (30, 100, 300)
QUICK_SECOND_BUDGETS = (300,)


def quick_dose_plan(max_tokens: int = 40, threads: int | None = None, seeds: int = 2, serve: str = "llamacpp") -> ZooPlan:
    """The dose ladder at the attribution zoo's scale (40-token answers, its 100 test prompts, budgets up to 300):
    built beside an attribution zoo with `zoo build --dose --quick --reuse ATTRIBUTION_ZOO --store ITS_STORE`, it
    costs the new rungs only (qwen at 30, the mixtures, the second seed's 100). The issue's full ladder (`dose_plan`)
    needs about 14 h on 2 cores (docs/dose.md); this one is what fits in about an hour and a half."""
    from distillscope.zoo.recipes import real_plan

    attribution = real_plan(max_tokens, threads, seeds, serve)
    students = dose_students(
        base_spec("gemma-3-270m", serve), "gemma", QWEN, SMOLLM2, QUICK_BUDGETS, FRACTIONS, MIX_BUDGET, QUICK_SECOND_BUDGETS, seeds
    )
    return attribution.model_copy(update={"students": students})


def small_dose_plan(zoo_dir: Path, seeds: int = 2) -> ZooPlan:
    """The same design on a tiny random model with mock teachers, budgets scaled down: builds in well under a minute."""
    from distillscope.zoo.recipes import small_plan

    tiny = small_plan(zoo_dir, seeds)
    base = next(s.base for s in tiny.students if s.kind == "base")
    students = dose_students(base, "tiny", QWEN, SMOLLM2, (2, 4, 8), (0.5,), 8, (4,), seeds)
    return tiny.model_copy(update={"students": students, "lora": tiny.lora.model_copy(update={"epochs": 2})})
