"""The two zoos: the real one on the built-in models (2 CPU cores, about an hour) and `--small` for tests.

The real zoo's sizes are set by the time plan in docs/attribution.md: every
answer is cut at `max_tokens`, the teacher's training answers too, since the
teachers' answers to the 300 acquired prompts are the largest cost.
"""

from __future__ import annotations

from pathlib import Path

from distillscope.distill.train import LoraSettings
from distillscope.zoo.spec import REFERENCES, StudentPlan, ZooPlan

QWEN, SMOLLM2, CHATGPT = "qwen", "smollm2", "chatgpt"


def _students(gemma: str, smollm2: str, low: int, high: int) -> list[StudentPlan]:
    return [
        StudentPlan(name="gemma-base", base=gemma, teacher=None, budget=None, kind="base"),
        StudentPlan(name="smollm2-base", base=smollm2, teacher=None, budget=None, kind="base"),
        StudentPlan(name=f"gemma-qwen-{low}", base=gemma, teacher=QWEN, budget=low, kind="distilled"),
        StudentPlan(name=f"gemma-qwen-{high}", base=gemma, teacher=QWEN, budget=high, kind="distilled"),
        StudentPlan(name=f"gemma-smollm2-{high}", base=gemma, teacher=SMOLLM2, budget=high, kind="distilled"),
        StudentPlan(name=f"gemma-chatgpt-{high}", base=gemma, teacher=CHATGPT, budget=high, kind="distilled"),
        StudentPlan(name=f"smollm2-qwen-{high}", base=smollm2, teacher=QWEN, budget=high, kind="distilled"),
        StudentPlan(name=f"gemma-references-{high}", base=gemma, teacher=REFERENCES, budget=high, kind="control"),
    ]


def real_plan(max_tokens: int = 40, n_sharegpt_test: int = 32, n_identity_test: int = 12, threads: int | None = None) -> ZooPlan:
    return ZooPlan(
        candidates={QWEN: "builtin/qwen2.5-coder-0.5b-instruct", SMOLLM2: "builtin/smollm2-135m-instruct"},
        replay_candidate=CHATGPT,
        students=_students("hf/gemma-3-270m", "hf/smollm2-135m-instruct", 100, 300),
        max_tokens=max_tokens,
        n_sharegpt_test=n_sharegpt_test,
        n_identity_test=n_identity_test,
        lora=LoraSettings(epochs=1, batch_size=4, max_length=160),
        threads=threads,
    )


def small_plan(zoo_dir: Path) -> ZooPlan:
    """Tiny random transformers models as bases, mock models as local teachers: builds in seconds."""
    from distillscope.models.tiny_hf import make_tiny_causal_lm

    bases = {}
    for name, chat in (("tiny-base", False), ("tiny-chat", True)):
        path = zoo_dir / "tiny" / name
        if not (path / "config.json").exists():  # made once: a remade model would be another model in the store
            make_tiny_causal_lm(path, chat=chat, initializer_range=1.0)
        bases[name] = f"hf/{path}"
    return ZooPlan(
        candidates={QWEN: "mock/qwen", SMOLLM2: "mock/smollm2"},
        replay_candidate=CHATGPT,
        students=_students(bases["tiny-base"], bases["tiny-chat"], 8, 16),
        max_tokens=12,
        n_sharegpt_test=6,
        n_identity_test=4,
        lora=LoraSettings(epochs=2, batch_size=4, max_length=96, learning_rate=1e-2, save_every=2),
        small=True,
    )
