"""The records that cross module boundaries: prompts, requests, responses.

They are pydantic models so that files written by one version are validated
when read by another, and so the store key can be built from a canonical
JSON form of exactly the fields that change what a model would answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer

Role = Literal["system", "user", "assistant"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Role
    content: str


class SamplingParams(BaseModel):
    """How to sample. Greedy by default so that a re-run reproduces its answers.

    `n` is how many samples to draw per prompt; each sample is its own request
    with its own `sample_index`, so `n` itself is not part of the store key and
    raising `n` later only generates the new samples.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(default=256, ge=1, le=32768)
    seed: int = 0
    n: int = Field(default=1, ge=1, le=1000)
    #: also return this many most likely alternatives per generated token (logprob judging); None: text only
    top_logprobs: int | None = Field(default=None, ge=1, le=20)

    def key_fields(self) -> dict[str, Any]:
        """The fields that change an answer; `n` is excluded on purpose, `top_logprobs` when unset.

        (So every key made before `top_logprobs` existed stays the same.)
        """
        fields = self.model_dump(exclude={"n"})
        if self.top_logprobs is None:
            fields.pop("top_logprobs")
        if self.temperature == 0.0:
            # Greedy decoding ignores top_p and the seed; keying on them would
            # pay twice for the same answer.
            fields.pop("top_p")
            fields.pop("seed")
        return fields

    def seed_for(self, sample_index: int) -> int:
        """Each sample draws from its own seed so samples differ when temperature > 0."""
        return self.seed + sample_index


class Prompt(BaseModel):
    """One probe: a user turn (and optional system prompt) with its labels."""

    model_config = ConfigDict(extra="allow")
    id: str = ""
    text: str
    system: str | None = None
    category: str = "uncategorized"
    subcategory: str | None = None
    source: str | None = None
    language: str | None = None
    reference_answer: str | None = None
    split: str | None = None  # "train" or "test" in a suite with a split

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt text is empty")
        return value

    def model_post_init(self, __context: Any) -> None:
        if not self.id:
            self.id = sha256_hex(canonical_json([self.system, self.text]))[:16]

    def messages(self) -> list[Message]:
        msgs = [Message(role="system", content=self.system)] if self.system else []
        msgs.append(Message(role="user", content=self.text))
        return msgs


class GenerationRequest(BaseModel):
    """One sample to draw: the conversation, how to sample, and which sample."""

    model_config = ConfigDict(frozen=True)
    prompt_id: str
    messages: tuple[Message, ...]
    sampling: SamplingParams = SamplingParams()
    sample_index: int = Field(default=0, ge=0)

    @classmethod
    def from_prompt(cls, prompt: Prompt, sampling: SamplingParams, sample_index: int = 0) -> "GenerationRequest":
        return cls(prompt_id=prompt.id, messages=tuple(prompt.messages()), sampling=sampling, sample_index=sample_index)


class Completion(BaseModel):
    """What a backend returns for one request, before the store adds identity.

    `tokens` / `top_logprobs` (the generated tokens and, per token, the most
    likely alternatives' log-probabilities) come only when the request set
    `sampling.top_logprobs` and the backend can give them; otherwise None.
    """

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tokens: list[str] | None = None
    top_logprobs: list[dict[str, float]] | None = None


class Response(BaseModel):
    """A stored answer: the completion plus who produced it, for which request, and when."""

    key: str
    model: str
    prompt_id: str
    sample_index: int
    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tokens: list[str] | None = None
    top_logprobs: list[dict[str, float]] | None = None
    latency_s: float | None = None
    created_at: str
    sampling: dict[str, Any] = Field(default_factory=dict)
    cached: bool = False

    @model_serializer(mode="wrap")
    def _without_absent_logprobs(self, handler: Any) -> dict[str, Any]:
        """Text-only answers dump as they always did (exports, `generate` JSONL): no `tokens` / `top_logprobs` keys."""
        data = handler(self)
        if self.top_logprobs is None and isinstance(data, dict):
            data.pop("tokens", None)
            data.pop("top_logprobs", None)
        return data


class Failure(BaseModel):
    """A request that did not produce an answer; kept apart and never served as one."""

    key: str
    model: str
    prompt_id: str
    sample_index: int
    error_type: str
    message: str
    attempts: int = 1
    created_at: str
