"""Prompt suites: loading user files now; building the default suite later."""

from distillscope.probes.loader import load_prompts, read_records

__all__ = ["load_prompts", "read_records"]
