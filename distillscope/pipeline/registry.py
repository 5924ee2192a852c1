"""Every metric by name, in the order an audit runs them.

Apart from `metric.py` (the protocol every adapter imports), so the adapters and the protocol form
no circle. The table of names is `audit/metric_table.py` ("module:Class" strings, `plugins.Registry`),
on the audit floor so the config reads it without importing the pipeline; listing the names (CLI help,
the config's check) imports no adapter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from distillscope.audit.metric_table import METRICS, load_metric

if TYPE_CHECKING:
    from distillscope.pipeline.metric import Metric


def registry() -> dict[str, Metric]:
    """Every metric by name, in the order an audit runs them (each adapter imported when asked for)."""
    return {name: metric(name) for name in METRICS.names()}


def metric(name: str) -> Metric:
    """One metric; a plugin's entry that names no Metric of that name is refused with its package named."""
    return load_metric(name)


metric_registry = registry  # the public name (distillscope.metric_registry)
