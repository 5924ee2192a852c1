"""Black-box distillation end to end: acquire, ask the teacher, fine-tune, measure before and after.

"Before" and "after" are both served by the transformers backend (the
student's own weights, then the merged LoRA model), so a change in the
numbers comes from training, not from a backend or quantisation switch. The
adversaries train on `n_train` train-split prompts that no run can acquire
(the local student answers them before and after), and are scored on the test
prompts; with n_train = 0 they are cross-fitted on the test answers (2 folds
by prompt). Every measurement uses `test_seed` for its folds and bootstraps,
so "before" and every "after" of a sweep share folds and resamples, and each
change is reported as a paired difference Δ = after − before over the same
test prompts with its bootstrap CI (METHODS.md section 7).

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
from distillscope.indist.evaluate import Paired, evaluate_indistinguishability, run_cross_fitted
from distillscope.indist.mmd import mmd_power, mmd_test
from distillscope.metrics.stats import paired_difference
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
    #: train prompts the adversaries learn from (never acquired; answered by the local student); 0 = cross-fit on test
    n_train: int = 100
    #: adversaries measured before and after (style, embed, encoder; judge when `judge` is set)
    adversaries: list[str] = ["style", "embed"]
    judge: str | None = None
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


def measure(runner: Runner, embedder, teacher, student, prompts: list[Prompt], max_tokens: int, seed: int,  # noqa: ANN001
            train_prompts: list[Prompt] | None = None, adversaries: tuple[str, ...] = ("style", "embed"), judge=None) -> dict:  # noqa: ANN001
    """Similarity, adversaries (per category and q), the paired MMD test and its power, for one student against the teacher.

    With `train_prompts` the adversaries train there and are scored on the
    test prompts; without, they are cross-fitted on the test answers. Per-prompt
    scores are kept so a later measurement can be differenced against this one.
    """
    from distillscope.metrics.similarity import evaluate_similarity

    paired, _ = Paired.from_answers(prompts, answers(runner, teacher, prompts, max_tokens),
                                    answers(runner, student, prompts, max_tokens))
    similarity = evaluate_similarity(embedder, paired.prompts, paired.teacher, paired.student, seed=seed)
    x, y = embedder.embed(paired.teacher), embedder.embed(paired.student)
    mmd = {**mmd_test(x, y, seed=seed, clusters=paired.clusters).model_dump(),
           "power": {m: e.model_dump() for m, e in mmd_power(x, y, repeats=20, seed=seed, clusters=paired.clusters).items()}}
    out = {"model": student.identity, "n": len(paired.prompts), "empty_answers": sum(not t.strip() for t in paired.student),
           "similarity": similarity.model_dump(exclude={"per_pair"}),
           "per_prompt_cosine": {pair["prompt_id"]: pair["cosine"] for pair in similarity.per_pair}, "mmd": mmd}
    names = [a for a in adversaries if a != "judge"] + (["judge"] if judge is not None else [])
    if train_prompts:
        train, _ = Paired.from_answers(train_prompts, answers(runner, teacher, train_prompts, max_tokens),
                                       answers(runner, student, train_prompts, max_tokens))
        result = evaluate_indistinguishability(train, paired, names, embedder=embedder, runner=runner, judge=judge, seed=seed)
        out["adversaries"] = {name: r.model_dump() for name, r in result.learned.items()}
        out["judge"] = result.judge.model_dump() if result.judge else None
        if result.judge and len(result.judge.scores) == len(paired.prompts):
            out["judge_per_prompt_scores"] = dict(zip(paired.clusters, result.judge.scores))
        out["epsilon_table"] = [row.model_dump() for row in result.epsilon_table]
        out["adversaries_trained_on"] = {"train_prompts": train.n_prompts}
    else:
        out["adversaries"] = {name: run_cross_fitted(name, paired, embedder, seed=seed).model_dump() for name in names
                              if name != "judge"}
        out["adversaries_trained_on"] = "cross-fitted on the test answers (2 folds by prompt)"
    return out


def differences(before: dict, after: dict, seed: int) -> dict:
    """Δ = after − before per metric, paired over the test prompts both measured (bootstrap over those prompts)."""
    out = {"cosine": paired_difference(before.get("per_prompt_cosine", {}), after.get("per_prompt_cosine", {}), seed).model_dump()}
    for name, result in after.get("adversaries", {}).items():
        earlier = before.get("adversaries", {}).get(name, {}).get("per_prompt_scores", {})
        out[f"advantage: {name}"] = paired_difference(earlier, result.get("per_prompt_scores", {}), seed).model_dump()
    if after.get("judge_per_prompt_scores") and before.get("judge_per_prompt_scores"):
        out["advantage: judge"] = paired_difference(before["judge_per_prompt_scores"], after["judge_per_prompt_scores"],
                                                    seed).model_dump()
    return out


def measurement_prompts(suite, config: DistillConfig) -> tuple[list[Prompt], list[Prompt], list[Prompt]]:  # noqa: ANN001
    """(candidate pool, adversaries' train prompts, test prompts): the train prompts are never in the pool."""
    train_split = suite.split("train")
    test_prompts = suite.sample(config.n_test, split="test", seed=config.test_seed)
    pool = suite.sample(config.pool_size, split="train", seed=0) if config.pool_size else train_split
    if not config.n_train:
        return pool, [], test_prompts
    from distillscope.probes.suite import stratified_sample

    pool_ids = {p.id for p in pool} if config.pool_size else set()
    outside = [p for p in train_split if p.id not in pool_ids]
    adversary_train = stratified_sample(outside, min(config.n_train, len(outside)), config.test_seed + 1)
    taken = {p.id for p in adversary_train}
    return [p for p in pool if p.id not in taken], adversary_train, test_prompts


def run_distillation(config: DistillConfig, runner: Runner, embedder, out_dir: Path,  # noqa: ANN001
                     log: Callable[[str], None], on_step: Callable[[int, int, float], None] | None = None,
                     before: dict | None = None) -> dict:
    from distillscope.models.hf import resolve_hf_source
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_default_suite

    suite = load_default_suite()
    pool, adversary_train, test_prompts = measurement_prompts(suite, config)
    teacher, student = load_model(config.teacher), load_model(config.student)
    judge = load_model(config.judge) if config.judge else None
    seed = config.test_seed  # the measurement's folds and bootstraps: the same for before and every after

    def measure_model(model) -> dict:  # noqa: ANN001
        return measure(runner, embedder, teacher, model, test_prompts, config.max_tokens, seed, adversary_train,
                       tuple(config.adversaries), judge)
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
        before = measure_model(before_model)
    log("measuring the student after distillation")
    after = measure_model(after_model)
    return {"config": config.model_dump(), "acquired": {"n": len(acquired), "ids": [p.id for p in acquired],
            "per_category": dict(sorted(Counter(p.category for p in acquired).items())),
            "teacher_answers_cut_at_max_tokens": cut,
            # mean measured disagreement per round: later rounds above the pilot means the ridge found where the student differs
            "disagreement_by_round": measured},
            "training": report.model_dump(), "student_after": after_model.identity, "before": before, "after": after,
            "differences": differences(before, after, seed)}
