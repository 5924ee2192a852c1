"""Hand-written templates for the generated categories of the probe suite.

Every generator takes a `random.Random` and returns candidate records in a
deterministic order; the builder de-duplicates them and keeps what it needs.
"""
