"""Model backends behind one interface, resolved from `provider/name` specs."""

from distillscope.models.base import Model
from distillscope.models.registry import PROVIDERS, load_model
from distillscope.models.spec import ModelSpec

__all__ = ["Model", "ModelSpec", "PROVIDERS", "load_model"]
