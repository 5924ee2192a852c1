"""Black-box distillation end to end: acquire, ask the teacher, fine-tune, measure before and after.

"Before" and "after" are both served by the transformers backend (the
student's own weights, then the merged LoRA model), so a change in the
numbers comes from training, not from a backend or quantisation switch. The
adversaries here are cross-fitted on the test answers (2 folds), because a
freshly distilled student has no train-split answers to learn from.

The test prompts depend on `test_seed` alone and the candidate pool on
`pool_size` alone, so every run of a sweep (any strategy, budget or seed) is
measured on the same test prompts and buys from the same pool: the seeds
vary the acquisition and the LoRA initialisation and data order, nothing else.
The merged model's spec carries the training fingerprint (`weights=`), so a
directory retrained on other data never reuses the old model's stored answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from distillscope.distill.acquisition import acquire
from distillscope.distill.train import LoraSettings, train_lora
from distillscope.indist.evaluate import Paired, run_cross_fitted
from distillscope.indist.mmd import mmd_test
from distillscope.models.spec import ModelSpec
from distillscope.runner.runner import Runner, answer_texts, requests_for
from distillscope.types import Prompt, SamplingParams


class DistillConfig(BaseModel):
    teacher: str
    student: str
    budget: int = 500
    acquisition: str = "stratified"
    rounds: int = 3
    n_test: int = 100
    max_tokens: int = 128
    seed: int = 0
    #: seed of the test-prompt sample; fixed across a sweep so every run is measured on the same prompts
    test_seed: int = 0
    #: candidate pool: a stratified sample of this many train prompts (seed 0), or the whole train split
    pool_size: int | None = None
    lora: LoraSettings = LoraSettings()


def hf_spec_of(student: str) -> str:
    """The transformers spec serving the same weights as the student spec."""
    spec = ModelSpec.parse(student)
    if spec.provider == "hf":
        return student
    if spec.provider in ("builtin", "llamacpp"):
        return f"hf/{spec.name}"
    from distillscope.errors import UserError

    raise UserError(f"cannot fine-tune {student}: its weights are not local", "give a builtin/, llamacpp/ or hf/ student")


def answers(runner: Runner, model, prompts: list[Prompt], max_tokens: int) -> list[str | None]:  # noqa: ANN001
    return answer_texts(runner, model, prompts, SamplingParams(max_tokens=max_tokens))


def measure(runner: Runner, embedder, teacher, student, prompts: list[Prompt], max_tokens: int, seed: int) -> dict:  # noqa: ANN001
    """Similarity and cross-fitted adversaries of one student against the teacher on the test prompts."""
    from distillscope.metrics.similarity import evaluate_similarity

    paired, _ = Paired.from_answers(prompts, answers(runner, teacher, prompts, max_tokens), answers(runner, student, prompts, max_tokens))
    similarity = evaluate_similarity(embedder, paired.prompts, paired.teacher, paired.student, seed=seed)
    adversaries = {name: run_cross_fitted(name, paired, embedder, seed=seed).model_dump() for name in ("style", "embed")}
    mmd = mmd_test(embedder.embed(paired.teacher), embedder.embed(paired.student), seed=seed)
    return {"model": student.identity, "n": len(paired.prompts), "empty_answers": sum(not t.strip() for t in paired.student),
            "similarity": similarity.model_dump(exclude={"per_pair"}),
            "adversaries": adversaries, "mmd": mmd.model_dump()}


def run_distillation(config: DistillConfig, runner: Runner, embedder, out_dir: Path,  # noqa: ANN001
                     log: Callable[[str], None], on_step: Callable[[int, int, float], None] | None = None,
                     before: dict | None = None) -> dict:
    from distillscope.models.hf import resolve_hf_source
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_default_suite

    suite = load_default_suite()
    pool = suite.sample(config.pool_size, split="train", seed=0) if config.pool_size else suite.split("train")
    test_prompts = suite.sample(config.n_test, split="test", seed=config.test_seed)
    teacher, student = load_model(config.teacher), load_model(config.student)
    before_model = load_model(hf_spec_of(config.student))
    log(f"acquiring {config.budget} train prompts ({config.acquisition})")
    extra, measured = {}, []
    if config.acquisition == "disagreement":
        def disagreement(prompts: list[Prompt]) -> np.ndarray:
            t, s = answers(runner, teacher, prompts, config.max_tokens), answers(runner, student, prompts, config.max_tokens)
            vt, vs = embedder.embed([x or "" for x in t]), embedder.embed([x or "" for x in s])
            scores = 1.0 - np.sum(vt * vs, axis=1)
            measured.append(float(np.mean(scores)))
            return scores

        extra = {"measure": disagreement, "embed_prompts": embedder.embed, "rounds": config.rounds}
    acquired = acquire(config.acquisition, pool, config.budget, config.seed, **extra)
    targets = runner.run(teacher, requests_for(acquired, SamplingParams(max_tokens=config.max_tokens))).responses
    # (prompt, answer, finished): an answer cut at max_tokens is not taught as a place to stop
    examples = [(p.text, r.text, r.finish_reason != "length") for p, r in zip(acquired, targets) if r and r.text.strip()]
    cut = sum(not finished for _, _, finished in examples)
    log(f"{len(examples)} teacher answers ({cut} cut at max_tokens); "
        f"fine-tuning {before_model.identity} with LoRA")
    source, gguf_file = resolve_hf_source(ModelSpec.parse(before_model.identity).name)
    report = train_lora(source, gguf_file, before_model.mode, examples, out_dir, config.lora, on_step=on_step)
    after_model = load_model(f"hf/{report.merged_dir}?weights={report.fingerprint}")
    if before is None:
        log("measuring the student before distillation")
        before = measure(runner, embedder, teacher, before_model, test_prompts, config.max_tokens, config.seed)
    log("measuring the student after distillation")
    after = measure(runner, embedder, teacher, after_model, test_prompts, config.max_tokens, config.seed)
    return {"config": config.model_dump(), "acquired": {"n": len(acquired), "ids": [p.id for p in acquired],
            "per_category": dict(sorted(Counter(p.category for p in acquired).items())),
            "teacher_answers_cut_at_max_tokens": cut,
            # mean measured disagreement per round: later rounds above the pilot means the ridge found where the student differs
            "disagreement_by_round": measured},
            "training": report.model_dump(), "student_after": after_model.identity, "before": before, "after": after}
