"""What `mock/NAME?ice=target|helper|judge` answers: a toy identity-fuzzing world, for tests and benchmarks.

The code lives with the mock model (distillscope/models/mock_roles.py), which
must not import testing/; this name stays here for the tests that call it.
"""

from distillscope.models.mock_roles import mock_ice_answer

__all__ = ["mock_ice_answer"]
