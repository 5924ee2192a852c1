"""Helpers for tests and benchmarks (stdlib only, safe to import anywhere)."""
