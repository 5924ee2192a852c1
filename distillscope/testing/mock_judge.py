"""What `mock/NAME?judge=rse` and `judge=pairwise` answer, for tests and benchmarks.

The code lives with the mock model (distillscope/models/mock_roles.py), which
must not import testing/; these names stay here for the tests that call them.
"""

from distillscope.models.mock_roles import mock_judge_answer, pairwise_choice, rse_scores

__all__ = ["mock_judge_answer", "pairwise_choice", "rse_scores"]
