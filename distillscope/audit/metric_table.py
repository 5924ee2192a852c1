"""The metrics an audit can run, by name: the built-ins as "module:Class" strings (`plugins.Registry`),
then those of installed packages (entry points in group `distillscope.metrics`).

On the audit floor, below the pipeline whose adapters it names: the config checks a metric's name here
and reads each metric's options model from the object `load_metric` gives, importing an adapter by its
string only then, as it imports a plugin's. So the config never imports the pipeline, and the
pipeline's typed registry (`pipeline/registry.py`) is built on this table.
"""

from __future__ import annotations

from typing import Any

from distillscope.plugins import Registry

#: every metric: the built-ins in the order an audit runs them, then those of installed packages (entry points in
#: group `distillscope.metrics` naming a Metric class or object); a plugin named like a built-in is ignored
METRICS: Registry[Any] = Registry(
    "metrics",
    "metric",
    {
        "similarity": "distillscope.pipeline.similarity:SimilarityMetric",
        "rse": "distillscope.pipeline.rse:RSEMetric",
        "ice": "distillscope.pipeline.ice:ICEMetric",
        "indist": "distillscope.pipeline.indist:IndistMetric",
        "sequential": "distillscope.pipeline.sequential:SequentialMetric",
        "attribution": "distillscope.pipeline.attribution:AttributionMetric",
        "degree": "distillscope.pipeline.degree:DegreeMetric",
    },
    where="`distillscope audit --help`",
)


def load_metric(name: str) -> Any:
    """One metric; a plugin's entry that names no Metric of that name is refused with its package named."""
    made = METRICS.load(name)
    found = made() if isinstance(made, type) else made
    if getattr(found, "name", None) != name or not callable(getattr(found, "evaluate", None)):
        raise METRICS.load_error(METRICS.entry(name), f"it is no Metric named '{name}' (see distillscope.pipeline.metric.MetricBase)")
    return found
