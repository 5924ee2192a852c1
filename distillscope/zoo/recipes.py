"""The two zoos: the real one on the built-in models (2 CPU cores, about an hour) and `--small` for tests.

The real zoo's sizes are set by the time plan in docs/attribution.md: every
answer is cut at `max_tokens`, the teacher's training answers too, since the
teachers' answers to the 300 acquired prompts are the largest cost.
"""

from __future__ import annotations

from pathlib import Path

from distillscope.distill.train import LoraSettings
from distillscope.zoo.spec import REFERENCES, Kind, StudentPlan, ZooPlan

QWEN, SMOLLM2, CHATGPT = "qwen", "smollm2", "chatgpt"


def _students(gemma: str, smollm2: str, low: int, high: int, seeds: int) -> list[StudentPlan]:
    """Every recipe at the high budget `seeds` times (seed k > 0: another acquisition, ShareGPT slice or reference
    sample, and LoRA seed), so that the calibration fitted without one student still has its recipe; a control
    on each base."""

    def student(name: str, base: str, teacher: str | None, budget: int | None, kind: Kind = "distilled", seed: int = 0) -> StudentPlan:
        return StudentPlan(name=name + (f"-s{seed}" if seed else ""), base=base, teacher=teacher, budget=budget, kind=kind, seed=seed)

    out = [
        student("gemma-base", gemma, None, None, "base"),
        student("smollm2-base", smollm2, None, None, "base"),
        student(f"gemma-qwen-{low}", gemma, QWEN, low),
    ]
    for seed in range(seeds):
        out += [
            student(f"gemma-qwen-{high}", gemma, QWEN, high, seed=seed),
            student(f"gemma-smollm2-{high}", gemma, SMOLLM2, high, seed=seed),
            student(f"gemma-chatgpt-{high}", gemma, CHATGPT, high, seed=seed),
            student(f"smollm2-qwen-{high}", smollm2, QWEN, high, seed=seed),
            student(f"gemma-references-{high}", gemma, REFERENCES, high, "control", seed=seed),
        ]
    out += [
        student(f"smollm2-chatgpt-{high}", smollm2, CHATGPT, high),
        student(f"smollm2-references-{high}", smollm2, REFERENCES, high, "control"),
    ]
    return out


#: how the trained students and their bases answer: `llamacpp` (the built-in GGUF, a student as that GGUF plus its LoRA
#: adapter, batched: 2.8x transformers' rate on a zoo's test set, docs/local-models.md) or `hf` (the merged model in
#: transformers, as every zoo measured before 2026-12-06 was served)
SERVE_BACKENDS = ("llamacpp", "hf")
SERVED_PROVIDER = {"llamacpp": "builtin", "hf": "hf"}


def base_spec(name: str, serve: str) -> str:
    """The spec of built-in base `name` served by `serve`: students are trained from the same GGUF either way."""
    return f"{SERVED_PROVIDER[serve]}/{name}"


def real_plan(max_tokens: int = 40, threads: int | None = None, seeds: int = 1, serve: str = "llamacpp") -> ZooPlan:
    """The 44 test prompts of the first build (32 ShareGPT, 12 identity), grown to 100 in a second round.

    One seed (10 students) fits the issue's 90 minutes on 2 cores; two seeds (15 students, the zoo measured in
    docs/attribution.md) take about twice the teachers' answers and training."""
    return ZooPlan(
        candidates={QWEN: "builtin/qwen2.5-coder-0.5b-instruct", SMOLLM2: "builtin/smollm2-135m-instruct"},
        replay_candidate=CHATGPT,
        students=_students(base_spec("gemma-3-270m", serve), base_spec("smollm2-135m-instruct", serve), 100, 300, seeds),
        max_tokens=max_tokens,
        n_sharegpt_test=[32, 40],
        n_identity_test=[12, 16],
        lora=LoraSettings(epochs=1, batch_size=4, max_length=160),
        threads=threads,
    )


def small_plan(zoo_dir: Path, seeds: int = 2) -> ZooPlan:
    """Tiny random transformers models as bases, mock models as local teachers: builds in seconds."""
    from distillscope.models.tiny_hf import make_tiny_causal_lm

    bases = {}
    for name, chat in (("tiny-base", False), ("tiny-chat", True)):
        path = zoo_dir / "tiny" / name
        if not (path / "config.json").exists():  # made once: a remade model would be another model in the store
            make_tiny_causal_lm(path, chat=chat, initializer_range=1.0)
        bases[name] = f"hf/{path}"
    return ZooPlan(
        candidates={QWEN: "mock/qwen?words=tiny", SMOLLM2: "mock/smollm2?words=tiny"},
        replay_candidate=CHATGPT,
        students=_students(bases["tiny-base"], bases["tiny-chat"], 8, 16, seeds),
        max_tokens=12,
        n_sharegpt_test=[6],
        n_identity_test=[4],
        lora=LoraSettings(epochs=6, batch_size=4, max_length=96, learning_rate=3e-2, save_every=2),
        small=True,
    )


def grow_test_set(plan: ZooPlan, total: int, available: tuple[int, int]) -> ZooPlan:
    """The plan with `total` test prompts: one more nested round of ShareGPT test prompts, then of identity prompts
    once the ShareGPT ones (`available`: how many of each the suite's test split holds) run out. The earlier rounds'
    prompts stay where they were and every answer to them is reused (the attribution test's power grows with the
    prompts, docs/attribution.md). Training data never comes from the test pool, so no student retrains."""
    from distillscope.errors import UserError

    sharegpt, identity = sum(plan.n_sharegpt_test), sum(plan.n_identity_test)
    if total < sharegpt + identity:
        raise UserError(
            f"--test-prompts {total}: this zoo's test set already has {sharegpt + identity} prompts",
            f"give {sharegpt + identity} or more (a smaller test set is another zoo: build it in another --dir)",
        )
    most = max(available[0], sharegpt) + max(available[1], identity)
    if total > most:
        raise UserError(
            f"--test-prompts {total}: the suite's test split holds {most} usable prompts "
            f"({available[0]} ShareGPT with a ChatGPT answer, {available[1]} identity)",
            f"give at most {most}",
        )
    more_sharegpt = min(total - sharegpt - identity, max(0, available[0] - sharegpt))
    more_identity = total - sharegpt - identity - more_sharegpt
    update = {}
    if more_sharegpt:
        update["n_sharegpt_test"] = [*plan.n_sharegpt_test, more_sharegpt]
    if more_identity:
        update["n_identity_test"] = [*plan.n_identity_test, more_identity]
    return plan.model_copy(update=update)
