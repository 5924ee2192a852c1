"""One audit: every metric for every student against the teacher, through one store.

All answers, judge verdicts, fuzzing calls and embeddings live in the store,
so a re-run of a finished audit recomputes the numbers from it in seconds and
never loads a model (the backends load weights only on a cache miss).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from distillscope.audit.config import AuditConfig
from distillscope.audit.controls import aspect_tokens, conflict_judge_control, pairwise_judge_control, run_ladder_controls
from distillscope.audit.verdict import verdict_for
from distillscope.errors import UserError
from distillscope.indist.evaluate import Paired
from distillscope.models.base import Model
from distillscope.models.builtin import BUILTIN_MODELS
from distillscope.models.spec import ModelSpec
from distillscope.runner.runner import Runner, answer_texts

EXAMPLES = 3


def family_of(spec: str, facts: dict[str, str]) -> str | None:
    """A spec's family id: from the audit's facts map, else from the built-in table; None when unknown."""
    if spec in facts:
        return None if facts[spec].endswith((".yaml", ".yml", ".json")) else facts[spec]
    parsed = ModelSpec.parse(spec)
    if parsed.provider == "builtin" and parsed.name in BUILTIN_MODELS:
        return BUILTIN_MODELS[parsed.name].family
    return None


def pick_pairwise_judge(config: AuditConfig, student: str) -> str | None:
    """The configured judge for this student, else the judge if it is a third family, else a built-in of a third family."""
    if student in config.pairwise_judges:
        return config.pairwise_judges[student]
    taken = {family_of(config.teacher, config.facts), family_of(student, config.facts)}
    if config.judge and family_of(config.judge, config.facts) not in taken | {None}:
        return config.judge
    candidates = sorted(BUILTIN_MODELS.values(), key=lambda m: m.kind != "instruct")  # instruct models first
    for info in candidates:
        if info.family not in taken:
            return f"builtin/{info.name}"
    return None


def _examples(test: Paired, per_pair: list[dict]) -> dict:
    order = sorted(range(len(per_pair)), key=lambda i: per_pair[i]["cosine"])
    pick = lambda indices: [{"prompt": test.prompts[i].text, "category": test.prompts[i].category,  # noqa: E731
                             "teacher": test.teacher[i], "student": test.student[i], "cosine": per_pair[i]["cosine"]}
                            for i in indices]
    return {"most_similar": pick(order[::-1][:EXAMPLES]), "least_similar": pick(order[:EXAMPLES])}


def _ice(runner, config: AuditConfig, student: str, target: Model, judge: Model, helper: Model) -> dict:  # noqa: ANN001
    from distillscope.ice.facts import load_library, resolve_fact_set
    from distillscope.ice.fuzzer import FuzzConfig, Fuzzer
    from distillscope.ice.scoring import score_run
    from distillscope.ice.strict_judge import apply_strict_judge
    from distillscope.ice.templates import identity_questions, load_templates

    facts = config.facts.get(student) or family_of(student, config.facts)
    if facts is None:
        return {"skipped": f"no fact set for {student}: add it under 'facts' in the audit config"}
    fact_set, library = resolve_fact_set(facts, load_library())
    fuzz_config = FuzzConfig(budget=config.ice_budget, questions_per_iteration=config.ice_questions_per_iteration,
                             seed=config.seed, max_tokens=config.max_tokens, strict_families=config.strict_families)
    run = Fuzzer(runner, target, helper, judge, fact_set, library, load_templates(), identity_questions(), fuzz_config).run()
    stage = apply_strict_judge(run, runner, judge, fact_set, library, config.strict_families, config.strict_judge)
    control = conflict_judge_control(runner, judge, target, fact_set, library, config.sampling_params(), config.judge_mode)
    return {"facts": fact_set.family, "helper": helper.identity, "judge": judge.identity, "judge_control": control,
            **score_run(run, judged=True).model_dump(), "strict_families": config.strict_families, "strict_mode": config.strict_judge,
            "strict_judge": stage.model_dump() if stage else None}


class StageLog:
    """Numbers the audit's stages and tells the time spent, so a long audit shows how far it has got."""

    def __init__(self, log: Callable[[str], None], total: int) -> None:
        self.log, self.total, self.done, self.started = log, total, 0, time.perf_counter()

    def __call__(self, message: str) -> None:
        self.done += 1
        self.log(f"[{self.done}/{self.total}, {time.perf_counter() - self.started:.0f} s] {message}")


def run_audit(config: AuditConfig, runner: Runner, embedder, log: Callable[[str], None]) -> dict:  # noqa: ANN001
    """Results per student, each with its sections and verdict."""
    from distillscope.indist.evaluate import evaluate_indistinguishability
    from distillscope.metrics.aspects import evaluate_aspects
    from distillscope.metrics.embeddings import EmbeddingCache
    from distillscope.metrics.rse import evaluate_rse
    from distillscope.metrics.similarity import evaluate_similarity
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_default_suite

    if ("rse" in config.metrics or "ice" in config.metrics) and not config.judge:
        raise UserError("RSE and ICE need a judge model", "pass --judge SPEC, or leave rse and ice out of 'metrics'")
    if "ice" in config.metrics:  # an unknown strict family would silently count nothing: refuse it before any query
        from distillscope.ice.facts import load_library
        from distillscope.ice.strict_judge import check_strict_options

        check_strict_options(config.strict_families, config.strict_judge, config.judge, load_library())
    suite = load_default_suite()
    test_prompts = suite.sample(config.n, split="test", seed=config.seed)
    train_prompts = suite.sample(config.n_train, split="train", seed=config.seed)
    sampling = config.sampling_params()  # the config's `sampling:` (temperature, max_tokens, seed)
    teacher = load_model(config.teacher)
    judge = load_model(config.judge) if config.judge else None
    helper = load_model(config.helper) if config.helper else judge
    needs_train = "indist" in config.metrics
    ladder_stage = config.ladder_n > 0 and ("similarity" in config.metrics or ("rse" in config.metrics and judge is not None))
    log = StageLog(log, 1 + ladder_stage + len(config.students) * (1 + sum(m in config.metrics for m in ("similarity", "rse", "ice", "indist"))
                                                    + (config.sequential is not None)))
    log(f"teacher {teacher.identity}: {len(test_prompts)} test" + (f" + {len(train_prompts)} train prompts" if needs_train else " prompts"))
    teacher_test = answer_texts(runner, teacher, test_prompts, sampling)
    teacher_train = answer_texts(runner, teacher, train_prompts, sampling) if needs_train else []
    # token-alignment scores are cached beside the sentence vectors: the embedder's cache, else one on the store's file
    aspect_cache = getattr(embedder, "cache", None) or EmbeddingCache(runner.store.path)
    controls = run_ladder_controls(runner, teacher, judge, test_prompts, teacher_test, sampling, embedder, config.metrics,
                                   config.ladder_n, config.seed, log, config.judge_mode, aspect_cache)
    students: dict[str, dict] = {}
    judge_controls: dict[str, dict] = {}  # pairwise judge spec -> its on-topic control (one per judge, shared by students)
    spending: dict[str, dict] = {}  # student -> metric -> queries, tokens, cost (kept out of the results: a re-run is free)
    for spec in config.students:
        student = load_model(spec)
        log(f"student {student.identity}")
        costs = runner.cost.stages()  # queries, tokens and money per metric
        test, missing = Paired.from_answers(test_prompts, teacher_test, answer_texts(runner, student, test_prompts, sampling))
        section: dict = {"missing_responses": missing, "n_test": len(test.prompts)}
        costs.done("answers")
        if "similarity" in config.metrics:
            log(f"similarity of {student.identity}")
            similarity = evaluate_similarity(embedder, test.prompts, test.teacher, test.student, seed=config.seed)
            section["similarity"] = similarity.model_dump(exclude={"per_pair"})
            section["examples"] = _examples(test, similarity.per_pair)
            section["aspects"] = evaluate_aspects(test.prompts, test.teacher, test.student, aspect_tokens(embedder), seed=config.seed,
                                                  cache=aspect_cache).model_dump(exclude={"per_pair"})
            costs.done("similarity")
        if "rse" in config.metrics:
            log(f"RSE of {student.identity} (judge {judge.identity})")
            rse = evaluate_rse(runner, judge, test.prompts, test.teacher, test.student, swap_n=config.swap_n, seed=config.seed,
                               mode=config.judge_mode)
            section["rse"] = rse.model_dump(exclude={"pairs"})
            section["rse"]["pair_scores"] = [p.scores for p in rse.pairs]
            costs.done("rse")
        if "ice" in config.metrics:
            log(f"ICE of {student.identity} (budget {config.ice_budget})")
            section["ice"] = _ice(runner, config, spec, student, judge, helper)
            costs.done("ice")
        if needs_train:
            train, _ = Paired.from_answers(train_prompts, teacher_train, answer_texts(runner, student, train_prompts, sampling))
            adversaries = list(config.adversaries)
            pairwise_spec = pick_pairwise_judge(config, spec) if "judge" in adversaries else None
            if "judge" in adversaries and pairwise_spec is None:
                adversaries.remove("judge")
            log(f"indistinguishability of {student.identity}: {', '.join(adversaries)}")
            result = evaluate_indistinguishability(
                train, test, adversaries, embedder=embedder, runner=runner,
                judge=load_model(pairwise_spec) if pairwise_spec else None, seed=config.seed)
            section["indist"] = {"pairwise_judge": pairwise_spec, **result.model_dump()}
            if pairwise_spec:
                if pairwise_spec not in judge_controls:
                    judge_controls[pairwise_spec] = pairwise_judge_control(runner, load_model(pairwise_spec), test.prompts,
                                                                          test.teacher, config.seed, config.judge_mode)
                section["indist"]["judge_control"] = judge_controls[pairwise_spec]
            costs.done("indist")
        if config.sequential is not None:
            from distillscope.indist.sequential import audit_sequential

            log(f"sequential test of {student.identity} (alpha {config.sequential.alpha:g}, at most {config.sequential.max_queries} queries)")
            section["sequential"] = audit_sequential(runner, teacher, student, suite, sampling, config.sequential, embedder, config.seed)
            costs.done("sequential")
        spending[student.identity] = costs.costs
        section["verdict"] = verdict_for(section, controls)
        students[student.identity] = section
    return {"teacher": teacher.identity, "students": students, "prompts": {
        "test_ids": [p.id for p in test_prompts], "train_ids": [p.id for p in train_prompts] if needs_train else []},
        "suite": suite, "cost_per_metric": spending, "controls": controls}
