"""The collaborators a measure is handed, typed by what it calls on them and nothing more.

A measure asks a runner for answers and an embedder for vectors. Typing them
as Protocols (not as the concrete `Runner` or MiniLM class) says exactly what a
measure relies on, lets the tests pass a hashing embedder or a canned runner,
and keeps this module on the foundation floor: it imports only the records.

The runner is generic in the model it accepts: the concrete runner takes a
`models.base.Model` (the judge is one too), which lives a floor above this
module, so a measure writes `AnswerRunner[Model]` with `Model` imported where
it is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from distillscope.types import GenerationRequest, Response

if TYPE_CHECKING:
    import numpy as np

ModelT = TypeVar("ModelT", contravariant=True)


class TextEmbedder(Protocol):
    """Anything that turns texts into unit vectors (MiniLM, e5, the tests' hashing embedder)."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class Answers(Protocol):
    """What a run hands back: one answer per request, in request order, None where it failed."""

    @property
    def responses(self) -> list[Response | None]: ...


class AnswerRunner(Protocol[ModelT]):
    """Gets a model's answers to requests (from the store, or generated where it lacks them)."""

    def run(self, model: ModelT, requests: Sequence[GenerationRequest]) -> Answers: ...
