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
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from distillscope.distill.acquisition import acquire
from distillscope.distill.results import (
    CROSS_FITTED,
    Acquired,
    DistillationResult,
    DistillConfig,
    Measurement,
    MMDWithPower,
    SimilaritySummary,
)
from distillscope.distill.train import train_lora
from distillscope.indist.evaluate import evaluate_indistinguishability, run_cross_fitted
from distillscope.indist.mmd import mmd_power, mmd_test
from distillscope.models.base import Model
from distillscope.models.spec import ModelSpec
from distillscope.probes.suite import ProbeSuite
from distillscope.runner.answers import requests_for
from distillscope.stats import Estimate, paired_difference
from distillscope.types import Prompt, SamplingParams
from distillscope.workspace import TextEmbedder, Workspace

__all__ = ["DistillConfig", "differences", "hf_spec_of", "measure", "measurement_prompts", "run_distillation"]


def hf_spec_of(student: str) -> str:
    """The transformers spec serving the same weights as the student spec."""
    from distillscope.models.registry import backend_of

    spec = ModelSpec.parse(student)
    backend = backend_of(spec.provider)
    if backend is not None and backend.trainable:
        return student
    name = backend.transformers_name(spec) if backend is not None else None
    if name is not None:
        return f"hf/{name}"
    from distillscope.errors import UserError

    if spec.opt_str("lora"):
        raise UserError(f"cannot fine-tune {student}: a llama.cpp LoRA adapter is not weights transformers loads", "give its base")
    raise UserError(f"cannot fine-tune {student}: its weights are not local", "give a builtin/, llamacpp/ or hf/ student")


def measure(
    workspace: Workspace,
    embedder: TextEmbedder,
    teacher: Model,
    student: Model,
    prompts: Sequence[Prompt],
    max_tokens: int,
    seed: int,
    train_prompts: Sequence[Prompt] | None = None,
    adversaries: Sequence[str] = ("style", "embed"),
    judge: Model | None = None,
) -> Measurement:
    """Similarity, adversaries (per category and q), the paired MMD test and its power, for one student against the teacher.

    With `train_prompts` the adversaries train there and are scored on the
    test prompts; without, they are cross-fitted on the test answers. Per-prompt
    scores are kept so a later measurement can be differenced against this one.
    """
    from distillscope.metrics.similarity import evaluate_similarity

    sampling = SamplingParams(max_tokens=max_tokens)
    paired, _ = workspace.paired(teacher, student, prompts, sampling)
    similarity = evaluate_similarity(embedder, paired.prompts, paired.teacher, paired.student, seed=seed)
    x, y = embedder.embed(paired.teacher), embedder.embed(paired.student)
    mmd = MMDWithPower(
        **mmd_test(x, y, seed=seed, clusters=paired.clusters).model_dump(),
        power=mmd_power(x, y, repeats=20, seed=seed, clusters=paired.clusters),
    )
    out = Measurement(
        model=student.identity,
        n=len(paired.prompts),
        empty_answers=sum(not t.strip() for t in paired.student),
        similarity=SimilaritySummary(**similarity.model_dump(exclude={"per_pair"})),
        per_prompt_cosine={pair["prompt_id"]: pair["cosine"] for pair in similarity.per_pair},
        mmd=mmd,
    )
    names = [a for a in adversaries if a != "judge"] + (["judge"] if judge is not None else [])
    if not train_prompts:
        out.adversaries = {name: run_cross_fitted(name, paired, embedder, seed=seed) for name in names if name != "judge"}
        out.adversaries_trained_on = CROSS_FITTED
        return out
    train, _ = workspace.paired(teacher, student, train_prompts, sampling)
    result = evaluate_indistinguishability(train, paired, names, embedder=embedder, runner=workspace.runner, judge=judge, seed=seed)
    out.adversaries, out.judge, out.epsilon_table = dict(result.learned), result.judge, result.epsilon_table
    if result.judge and len(result.judge.scores) == len(paired.prompts):
        out.judge_per_prompt_scores = dict(zip(paired.clusters, result.judge.scores))
    out.adversaries_trained_on = {"train_prompts": train.n_prompts}
    return out


def differences(before: Measurement, after: Measurement, seed: int) -> dict[str, Estimate]:
    """Δ = after − before per metric, paired over the test prompts both measured (bootstrap over those prompts)."""
    out = {"cosine": paired_difference(before.per_prompt_cosine, after.per_prompt_cosine, seed)}
    for name, result in after.adversaries.items():
        earlier = before.adversaries[name].per_prompt_scores if name in before.adversaries else {}
        out[f"advantage: {name}"] = paired_difference(earlier, result.per_prompt_scores, seed)
    if after.judge_per_prompt_scores and before.judge_per_prompt_scores:
        out["advantage: judge"] = paired_difference(before.judge_per_prompt_scores, after.judge_per_prompt_scores, seed)
    return out


def measurement_prompts(suite: ProbeSuite, config: DistillConfig) -> tuple[list[Prompt], list[Prompt], list[Prompt]]:
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


def run_distillation(
    config: DistillConfig,
    workspace: Workspace,
    out_dir: Path,
    on_step: Callable[[int, int, float], None] | None = None,
    before: Measurement | None = None,
    suite: ProbeSuite | None = None,
) -> DistillationResult:
    """Acquire, ask the teacher, fine-tune, and measure the student before (unless given) and after."""
    from distillscope.models.hf import resolve_hf_source
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_suite

    suite = suite or load_suite(config.suite)
    pool, adversary_train, test_prompts = measurement_prompts(suite, config)
    teacher, student = workspace.model(config.teacher), workspace.model(config.student)
    judge = workspace.model(config.judge) if config.judge else None
    embedder = workspace.embedder
    seed = config.test_seed  # the measurement's folds and bootstraps: the same for before and every after
    sampling = SamplingParams(max_tokens=config.max_tokens)

    def measure_model(model: Model) -> Measurement:
        return measure(
            workspace, embedder, teacher, model, test_prompts, config.max_tokens, seed, adversary_train, config.adversaries, judge
        )

    before_model = workspace.model(hf_spec_of(config.student))
    workspace.log(f"acquiring {config.budget} train prompts ({config.acquisition})")
    measured: list[float] = []
    by_disagreement = embed_prompts = None
    if config.acquisition == "disagreement":

        def disagreement(prompts: list[Prompt]) -> np.ndarray:
            t, s = (workspace.answers(model, prompts, sampling) for model in (teacher, student))
            vt, vs = embedder.embed([a[0] or "" for a in t]), embedder.embed([a[0] or "" for a in s])
            scores = 1.0 - np.sum(vt * vs, axis=1)
            measured.append(float(np.mean(scores)))
            return scores

        by_disagreement, embed_prompts = disagreement, embedder.embed
    acquired = acquire(config.acquisition, pool, config.budget, config.seed, by_disagreement, embed_prompts, config.rounds)
    targets = workspace.runner.run(teacher, requests_for(acquired, sampling)).responses
    # (prompt, answer, finished): an answer cut at max_tokens is not taught as a place to stop
    examples = [(p.text, r.text, r.finish_reason != "length") for p, r in zip(acquired, targets) if r and r.text.strip()]
    cut = sum(not finished for _, _, finished in examples)
    workspace.log(f"{len(examples)} teacher answers ({cut} cut at max_tokens); fine-tuning {before_model.identity} with LoRA")
    source, gguf_file = resolve_hf_source(ModelSpec.parse(before_model.identity).name)
    report = train_lora(source, gguf_file, before_model.mode, examples, out_dir, config.lora, on_step=on_step)
    # not kept in the workspace: a sweep's merged models are each measured once, and their weights must be freed
    after_model = load_model(f"hf/{report.merged_dir}?weights={report.fingerprint}")
    if before is None:
        workspace.log("measuring the student before distillation")
        before = measure_model(before_model)
    workspace.log("measuring the student after distillation")
    after = measure_model(after_model)
    bought = Acquired(
        n=len(acquired),
        ids=[p.id for p in acquired],
        teacher_answers_cut_at_max_tokens=cut,
        per_category=dict(sorted(Counter(p.category for p in acquired).items())),
        disagreement_by_round=measured,
    )
    return DistillationResult(
        config=config,
        acquired=bought,
        training=report,
        student_after=after_model.identity,
        before=before,
        after=after,
        differences=differences(before, after, seed),
    )
