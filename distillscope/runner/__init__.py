"""Scheduling, the response store and progress reporting."""

from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Job, JobResult, RetryPolicy, Runner
from distillscope.runner.store import ResponseStore, default_store_path

__all__ = ["Job", "JobResult", "ResponseStore", "RetryPolicy", "Runner", "default_store_path", "requests_for"]
