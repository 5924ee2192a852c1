"""The one interface every backend implements, and the store key built on it.

Backends only turn requests into completions. Scheduling, retries, rate
limits, caching and progress belong to the runner, so a new backend is a
small class and every backend gets resumability for free.
"""

from __future__ import annotations

import asyncio
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

from distillscope.errors import TransientError
from distillscope.models.prompt_format import render_qa_frame
from distillscope.models.spec import ModelSpec
from distillscope.types import Completion, GenerationRequest, canonical_json, sha256_hex

T = TypeVar("T")

#: options every backend takes; they change how we ask, never what comes back (never in the store key)
COMMON_OPERATIONAL_OPTIONS = frozenset({"concurrency", "rpm", "tpm", "max_retries", "circuit_breaker"})
#: consecutive connection failures after which the runner gives an endpoint up (`circuit_breaker=N`; 0: never)
DEFAULT_CIRCUIT_BREAKER = 8


class ConnectionFailure(TransientError):
    """The endpoint could not be reached (refused, reset, DNS, timed out): retried, and counted by the circuit breaker.

    A server that answers, even with a 5xx, is not a connection failure: it is
    alive and may recover; a port nobody listens on will not.
    """


class SharedResources:
    """What backends keep between runs (HTTP clients, replica health), by key.

    A `Runner` owns one and attaches it to every model it runs, so two specs on
    one server share a client and everything lives as long as the runner, on
    its event loop. A model used on its own gets a private one.
    """

    def __init__(self) -> None:
        self._items: dict[Any, Any] = {}

    def get(self, key: Any, factory: Callable[[], T]) -> T:
        if key not in self._items:
            self._items[key] = factory()
        return self._items[key]

    async def aclose(self) -> None:
        items, self._items = list(self._items.values()), {}
        for item in items:
            close = getattr(item, "aclose", None) or getattr(item, "close", None)
            if close is not None:
                result = close()
                if inspect.isawaitable(result):
                    await result


class Model(ABC):
    """A source of completions. Construction must be cheap: no weights, no network.

    Loading happens on the first `generate`, so a run whose answers are all
    stored never loads a model.
    """

    provider: ClassVar[str] = ""
    #: requests one `generate` call may take (batching backends raise this)
    default_batch_size: ClassVar[int] = 1
    #: calls in flight at once for one endpoint
    default_concurrency: ClassVar[int] = 1
    #: backend options that change answers (part of the store key); with `operational_options` and the
    #: common ones, the only options a spec for this backend may carry (others are refused by name)
    identity_options: ClassVar[frozenset[str]] = frozenset()
    #: backend options that do not change answers (kept out of the store key)
    operational_options: ClassVar[frozenset[str]] = frozenset()
    #: numeric options checked when a spec is parsed: name -> (type, smallest value, whether that value is allowed)
    option_ranges: ClassVar[dict[str, tuple[type, float, bool]]] = {}
    #: whether a request with `sampling.top_logprobs` gets token log-probabilities back (logprob judging);
    #: a backend that says yes may still answer without them (a server that ignores the field), and judging then reads the text;
    #: an instance attribute with a class default, since the mock backend decides it per spec (`logprobs=1`)
    supports_logprobs: bool = False
    #: whether several samples of one prompt come from the backend itself (a replay file's epochs), so that asking
    #: for them at temperature 0 is not paying again for one greedy answer (the runner refuses that otherwise)
    replays_samples: ClassVar[bool] = False
    # Capabilities callers read off the class (`models.registry.backend_of`), never by switching on provider names:
    #: no per-token price: it runs on this machine or replays saved answers, so its answers cost 0 (`runner.cost`)
    local: ClassVar[bool] = False
    #: the transformers backend itself: distill fine-tunes its specs and attribution scores text under them as they
    #: are, and bulk answering widens its batch (`zoo build`)
    trainable: ClassVar[bool] = False

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.batch_size = max(1, spec.opt_int("batch_size", self.default_batch_size) or 1)
        self.concurrency = max(1, spec.opt_int("concurrency", self.default_concurrency) or 1)
        self.rpm = spec.opt_float("rpm")
        self.tpm = spec.opt_float("tpm")
        #: retries after the first attempt (None: the runner's policy)
        self.max_retries = spec.opt_int("max_retries")
        self.circuit_breaker = spec.opt_int("circuit_breaker", DEFAULT_CIRCUIT_BREAKER) or 0
        self._resources: SharedResources | None = None
        self._owns_resources = False

    def attach(self, resources: SharedResources) -> None:
        """Use a runner's shared clients and state instead of private ones."""
        self._resources, self._owns_resources = resources, False

    @property
    def resources(self) -> SharedResources:
        if self._resources is None:
            self._resources, self._owns_resources = SharedResources(), True
        return self._resources

    @classmethod
    def known_options(cls) -> frozenset[str]:
        """Every option a spec for this backend may carry."""
        return COMMON_OPERATIONAL_OPTIONS | cls.identity_options | cls.operational_options

    @classmethod
    def transformers_name(cls, spec: ModelSpec) -> str | None:
        """The NAME under which the transformers backend (`hf/NAME`) loads this spec's weights, so that they can be
        fine-tuned and score other models' text; None when its weights are not local files transformers reads."""
        return None

    @classmethod
    def family(cls, spec: ModelSpec) -> str | None:
        """The model family the spec is known to be without asking the model (built-ins know theirs); None: unknown."""
        return None

    @property
    def identity(self) -> str:
        return self.spec.identity(COMMON_OPERATIONAL_OPTIONS | self.operational_options)

    @property
    def endpoint(self) -> str:
        """Requests to the same endpoint share one concurrency and rate limit."""
        return self.identity

    @property
    def preflight_key(self) -> str:
        """Models with the same preflight key need the set-up check only once per runner."""
        return f"{self.provider}:{self.endpoint}"

    @property
    def mode(self) -> str:
        """'chat' (messages through a chat template) or 'completion' (base models, question/answer frame)."""
        return "chat"

    def fingerprint(self) -> str | None:
        """What the spec cannot say about the weights: a cheap hash of local model files, else None.

        It is part of the store key, so a replaced file never gets the old file's answers.
        Must not load weights.
        """
        return None

    def rendered_input(self, request: GenerationRequest) -> str:
        """Exactly what is sent: the messages for chat, the framed prompt for completion."""
        if self.mode == "completion":
            return render_qa_frame(request.messages)
        return canonical_json([m.model_dump() for m in request.messages])

    def request_key(self, request: GenerationRequest) -> str:
        """Store key: sha256 of (model identity, weights fingerprint, rendered input, sampling, sample index)."""
        return self.request_keys([request])[0]

    def request_keys(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """`request_key` for many requests, reading the fingerprint once."""
        head: dict[str, Any] = {"model": self.identity}
        fingerprint = self.fingerprint()
        if fingerprint is not None:  # absent for remote models, so their keys never changed
            head["weights"] = fingerprint
        return [
            sha256_hex(
                canonical_json(
                    {
                        **head,
                        "input": self.rendered_input(request),
                        "sampling": request.sampling.key_fields(),
                        "sample_index": request.sample_index,
                    }
                )
            )
            for request in requests
        ]

    async def preflight(self) -> None:
        """Fail fast with a `UserError` for a setup problem (no key, no server, no file).

        Called once before the first request is sent, never when all answers are stored.
        """

    @abstractmethod
    async def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        """Answer a batch. Raise `TransientError` to have the runner retry it."""

    async def aclose(self) -> None:
        """Release private clients (a runner closes the shared ones when it closes).

        Local weights stay loaded, so a judge asked in several runs (first
        pass, re-asks, swap control) loads once.
        """
        if self._owns_resources and self._resources is not None:
            resources, self._resources, self._owns_resources = self._resources, None, False
            await resources.aclose()


_local_compute: ThreadPoolExecutor | None = None


def local_compute_executor() -> ThreadPoolExecutor:
    """The one thread that runs every local model in this process.

    Local models already use every core, so running two at once only makes
    both slower. One long-lived thread also keeps llama.cpp's OpenMP thread
    team alive between calls instead of building a new one per worker thread
    (several teams spinning side by side cost a third of the throughput).
    """
    global _local_compute
    if _local_compute is None:
        _local_compute = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distillscope-local")
    return _local_compute


class BlockingModel(Model):
    """A backend whose library blocks (llama.cpp, transformers).

    It runs on the local-compute thread so the event loop keeps the progress
    bar and remote endpoints moving while it works.
    """

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.concurrency = 1

    async def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(local_compute_executor(), self.generate_blocking, requests)

    @abstractmethod
    def generate_blocking(self, requests: list[GenerationRequest]) -> list[Completion]: ...
