"""A deterministic fake model for tests and dry runs.

Answers depend only on (model name, prompt, sampling seed), so two mock
models differ from each other, greedy decoding repeats itself exactly, and
sampling at temperature > 0 perturbs a share of the words proportional to
the temperature: enough structure for metric tests to mean something.

Options: `latency` (seconds per call), `transient_failures` (that many
`TransientError`s per request before it succeeds), `unreachable=1` (every
call fails as a dead server's would: a `ConnectionFailure`), `fail_prompts`
(comma-separated prompt ids that always fail permanently), `judge=rse`
(answer as a deterministic RSE judge, see `mock_roles`), `judge=pairwise` (the indistinguishability judge), `judge=auto` (whichever judge or
helper the prompt calls for), `ice=target|helper|judge`
(a toy identity-fuzzing world, see `mock_roles`), `logprobs=1` (answer
a request that sets `sampling.top_logprobs` with fake token log-probabilities:
the answer's own tokens at probability 1, so logprob judging reads the same
scores as the text) or `logprobs=soft` (the chosen score, choice or verdict
token gets 0.6 and its neighbours the rest, so expected scores differ from the
text's). With logprobs the answer stops at `max_tokens` tokens, as a real
backend's would; without, nothing changes. `words=tiny`: answer in a
vocabulary of 24 words of the tiny test models' (`tiny_hf.WORDS`), chosen by
the model's name, so a tiny student can learn which teacher it imitates (the
`--small` zoo's teachers).
"""

from __future__ import annotations

import asyncio
import math
import random
import re

from distillscope.errors import GenerationError, TransientError
from distillscope.models.base import ConnectionFailure, Model
from distillscope.models.spec import ModelSpec
from distillscope.types import Completion, GenerationRequest, sha256_hex

_VOCABULARY = (
    "the answer depends on context and careful reasoning about each step "
    "first consider the main idea then check the details before concluding "
    "in short there are several options worth comparing with examples "
    "overall this approach is simple clear and easy to verify in practice"
).split()


def _tiny_vocabulary(name: str) -> list[str]:
    from distillscope.models.tiny_hf import WORDS

    return random.Random(sha256_hex(f"tiny words\n{name}")).sample(list(WORDS), 24)


_TOKEN = re.compile(r"</|<|>|\w+|\s+|[^\w\s]")
_NEIGHBOURS = {"A": "B", "B": "A"}


def mock_tokens(text: str) -> list[str]:
    """How the mock splits text into tokens ("<style>4</style>" is 7), like a BPE tokenizer splits markup."""
    return _TOKEN.findall(text)


def _alternatives(token: str, soft: bool) -> dict[str, float]:
    """Fake top log-probabilities at one position: certainty, or (soft) a spread over the neighbouring labels."""
    if not soft:
        return {token: 0.0}
    if token in ("0", "1", "2", "3", "4", "5"):  # scores 1-5 and 0/1 verdicts
        score = int(token)
        neighbours = [str(n) for n in (score - 1, score + 1) if 0 <= n <= 5]
        return {token: math.log(0.6), **{n: math.log(0.4 / len(neighbours)) for n in neighbours}}
    if token in _NEIGHBOURS:
        return {token: math.log(0.8), _NEIGHBOURS[token]: math.log(0.2)}
    return {token: math.log(0.9), f" {token}": math.log(0.1)}


def with_fake_logprobs(completion: Completion, max_tokens: int, soft: bool) -> Completion:
    """The completion cut to `max_tokens` mock tokens, with per-token fake alternatives."""
    tokens = mock_tokens(completion.text)
    cut = len(tokens) > max_tokens
    tokens = tokens[:max_tokens]
    return completion.model_copy(
        update={
            "text": "".join(tokens),
            "finish_reason": "length" if cut else completion.finish_reason,
            "completion_tokens": len(tokens),
            "tokens": tokens,
            "top_logprobs": [_alternatives(t, soft) for t in tokens],
        }
    )


class MockModel(Model):
    provider = "mock"
    local = True
    default_concurrency = 64
    identity_options = frozenset({"variant", "fail_prompts", "logprobs", "judge", "ice", "words", "judge_garble", "judge_format"})
    operational_options = frozenset({"latency", "transient_failures", "unreachable", "batch_size"})
    option_ranges = {"latency": (float, 0.0, True), "transient_failures": (int, 0, True), "batch_size": (int, 1, True)}

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.latency = spec.opt_float("latency", 0.0) or 0.0
        self.transient_failures = spec.opt_int("transient_failures", 0) or 0
        self.unreachable = spec.opt_bool("unreachable")  # every call fails as a dead endpoint would (circuit breaker tests)
        self.fail_prompts = set(filter(None, (spec.opt_str("fail_prompts", "") or "").split(",")))
        self.logprobs = spec.opt_str("logprobs", "") or ""
        if self.logprobs not in ("", "0", "1", "soft"):
            from distillscope.errors import UserError

            raise UserError(f"logprobs={self.logprobs!r} is not a mock option value", "use logprobs=1 or logprobs=soft")
        self.supports_logprobs = self.logprobs in ("1", "soft")  # per spec, not per class
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0  # lets tests see the runner's concurrency without timing anything
        self._attempts: dict[str, int] = {}

    async def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        if self.unreachable:
            raise ConnectionFailure(f"mock endpoint {self.endpoint}: connection refused")
        for request in requests:
            if request.prompt_id in self.fail_prompts:
                raise GenerationError(f"mock model refuses prompt {request.prompt_id}")
            key = self.request_key(request)
            seen = self._attempts.get(key, 0)
            self._attempts[key] = seen + 1
            if seen < self.transient_failures:
                raise TransientError(f"mock transient failure {seen + 1}", retry_after=0.0)
        return [self.answer(r) for r in requests]

    def _role(self, request: GenerationRequest) -> str | None:
        """Which fake to play: `ice=...`, `judge=...`, or with `judge=auto` whatever the prompt asks for."""
        ice, judge = self.spec.opt_str("ice"), self.spec.opt_str("judge")
        if ice:
            return {"judge": "ice-judge"}.get(ice, ice)
        if judge != "auto":
            return judge
        prompt = request.messages[0].content
        for marker, role in (
            ("[REFERENCE ANSWER]", "rse"),
            ("[TRUE FACTS ABOUT THE MODEL]", "ice-judge"),
            ("[ANSWER A]", "pairwise"),
            ("[INSERT PROMPT HERE]", "helper"),
        ):
            if marker in prompt:
                return role
        return None

    def answer(self, request: GenerationRequest) -> Completion:
        completion = self._answer(request)
        if request.sampling.top_logprobs and self.supports_logprobs:
            return with_fake_logprobs(completion, request.sampling.max_tokens, soft=self.logprobs == "soft")
        return completion

    def _answer(self, request: GenerationRequest) -> Completion:
        role = self._role(request)
        if role is not None:
            from distillscope.models import mock_roles

            text = {
                "target": lambda: mock_roles.mock_ice_answer("target", request),
                "helper": lambda: mock_roles.mock_ice_answer("helper", request),
                "ice-judge": lambda: mock_roles.mock_ice_answer("judge", request),
                "pairwise": lambda: mock_roles.pairwise_choice(request.messages[-1].content),
                "rse": lambda: mock_roles.mock_judge_answer(request.messages, self.spec.options),
            }[role]()
            return Completion(text=text, finish_reason="stop")
        prompt = request.messages[-1].content
        base_rng = random.Random(sha256_hex(f"{self.spec.name}\n{prompt}"))
        length = min(request.sampling.max_tokens, 12 + base_rng.randrange(24))
        vocabulary = _tiny_vocabulary(self.spec.name) if self.spec.opt_str("words") == "tiny" else _VOCABULARY
        words = [base_rng.choice(vocabulary) for _ in range(length)]
        if vocabulary is not _VOCABULARY:  # a signature opening, the habit a tiny student picks up first
            words[:3] = vocabulary[:3]
        if request.sampling.temperature > 0:
            sample_rng = random.Random(f"{self.spec.name}\n{prompt}\n{request.sampling.seed_for(request.sample_index)}")
            share = min(1.0, request.sampling.temperature / 2)
            words = [sample_rng.choice(vocabulary) if sample_rng.random() < share else w for w in words]
        text = f"{self.spec.name}: " + " ".join(words) + "."
        finish = "length" if length == request.sampling.max_tokens else "stop"
        return Completion(text=text, finish_reason=finish, prompt_tokens=len(prompt.split()), completion_tokens=length)
