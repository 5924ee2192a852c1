"""distillscope: measure how much a language model was distilled from another.

The public API is re-exported here lazily (PEP 562), so `import distillscope`
and `distillscope --help` import nothing heavy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from distillscope.version import __version__

_EXPORTS = {
    "ModelSpec": "distillscope.models.spec",
    "Model": "distillscope.models.base",
    "load_model": "distillscope.models.registry",
    "PROVIDERS": "distillscope.models.registry",
    "BUILTIN_MODELS": "distillscope.models.builtin",
    "ensure_builtin": "distillscope.models.builtin",
    "ResponseStore": "distillscope.runner.store",
    "Runner": "distillscope.runner.runner",
    "Job": "distillscope.runner.runner",
    "JobResult": "distillscope.runner.runner",
    "RetryPolicy": "distillscope.runner.runner",
    "requests_for": "distillscope.runner.answers",
    "export_responses": "distillscope.runner.store.export",
    "read_log": "distillscope.imports.detect",
    "ImportedLog": "distillscope.imports.records",
    "pair_logs": "distillscope.imports.pairing",
    "Prompt": "distillscope.types",
    "Message": "distillscope.types",
    "SamplingParams": "distillscope.types",
    "GenerationRequest": "distillscope.types",
    "Completion": "distillscope.types",
    "Response": "distillscope.types",
    "Failure": "distillscope.types",
    "load_prompts": "distillscope.probes.loader",
    "load_config": "distillscope.audit.config",
    "UserError": "distillscope.errors",
    "ProbeSuite": "distillscope.probes.suite",
    "load_default_suite": "distillscope.probes.suite",
    "evaluate_rse": "distillscope.metrics.rse",
    "evaluate_similarity": "distillscope.metrics.similarity",
    "Embedder": "distillscope.metrics.embeddings",
    "evaluate_aspects": "distillscope.metrics.aspects",
    "ladder_answers": "distillscope.controls.ladder_texts",
    "run_ladder": "distillscope.controls.ladder",
    "LadderSet": "distillscope.controls.ladder_texts",
    "LadderResult": "distillscope.controls.ladder_result",
    "pairwise_control": "distillscope.controls.judges",
    "conflict_control": "distillscope.controls.judges",
    "extract_claims": "distillscope.ice.claims",
    "load_library": "distillscope.ice.facts",
    "Fuzzer": "distillscope.ice.fuzzer",
    "FuzzConfig": "distillscope.ice.fuzzer",
    "score_run": "distillscope.ice.scoring",
    "evaluate_indistinguishability": "distillscope.indist.evaluate",
    "Paired": "distillscope.records",
    "mmd_test": "distillscope.indist.mmd",
    "run_sequential": "distillscope.indist.sequential",
    "SequentialSettings": "distillscope.indist.betting",
    "BettingTest": "distillscope.indist.betting",
    "ConfidenceSequence": "distillscope.indist.confseq",
    "CostMeter": "distillscope.runner.cost",
    "PriceTable": "distillscope.runner.cost",
    "AuditConfig": "distillscope.audit.config",
    "run_audit": "distillscope.pipeline.audit",
    "arun_audit": "distillscope.pipeline.audit",
    "Workspace": "distillscope.workspace",
    "DistillConfig": "distillscope.distill.results",
    "DistillationResult": "distillscope.distill.results",
    "run_distillation": "distillscope.distill.run",
    "Metric": "distillscope.pipeline.metric",
    "metric_registry": "distillscope.pipeline.registry",
    "Results": "distillscope.results",
    "StudentResults": "distillscope.results",
    "read_results": "distillscope.results",
    "write_results": "distillscope.results",
    "results_frames": "distillscope.report.tables",
    "AttributionResult": "distillscope.attribution.result",
    "ZooManifest": "distillscope.zoo.spec",
    "DegreeResult": "distillscope.degree.result",
    "estimate_degree": "distillscope.degree.estimator",
    "read_manifest": "distillscope.zoo.spec",
    "render_report": "distillscope.report.render",
    "load_results": "distillscope.report.tables",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'distillscope' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
