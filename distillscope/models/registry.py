"""Provider name -> backend class, resolved lazily; third-party backends through entry points.

The table (`providers.py`) names modules as strings so that importing the registry imports no
SDK; a backend module is imported only when its provider is used. A package
adds a provider with an entry point in group `distillscope.providers` naming
its `Model` subclass. What a backend can do (local or paid, log-probabilities,
trainable, threads) is data on its class (`Model.local`, `Model.trainable`,
...), read through `backend_of`, never a switch on provider names elsewhere.
"""

from __future__ import annotations

from distillscope.models.base import Model
from distillscope.models.providers import PROVIDERS, REGISTRY, ProviderInfo
from distillscope.models.spec import ModelSpec
from distillscope.plugins import PluginLoadError


def provider_class(provider: str) -> type[Model]:
    backend = REGISTRY.load(provider)
    if not (isinstance(backend, type) and issubclass(backend, Model)):
        raise REGISTRY.load_error(REGISTRY.entry(provider), "its entry point names no subclass of distillscope.models.base.Model")
    return backend


def backend_of(provider: str) -> type[Model] | None:
    """The backend class whose capability flags a caller reads; None for a provider nothing provides."""
    return provider_class(provider) if provider in REGISTRY else None


def provider_infos() -> dict[str, ProviderInfo]:
    """Every provider's listing (`distillscope models`): the built-ins', then each plugin's, read off its class."""
    infos = dict(PROVIDERS)
    for name, entry in REGISTRY.entries().items():
        if name in infos:
            continue
        try:
            backend = provider_class(name)
            doc = (backend.__doc__ or "").strip().splitlines()
            description = str(getattr(backend, "description", "") or (doc[0] if doc else ""))
            example = str(getattr(backend, "example", "") or f"{name}/NAME")
        except PluginLoadError as exc:  # listed, with why it cannot be used, rather than hiding the others
            description, example = exc.one_line(), f"{name}/NAME"
        infos[name] = ProviderInfo(name, entry.target, None, description, example, entry.distribution)
    return infos


def load_model(spec: ModelSpec | str) -> Model:
    """Build the backend for a spec. Cheap: weights load on first use."""
    if isinstance(spec, str):
        spec = ModelSpec.parse(spec)
    return provider_class(spec.provider)(spec)
