"""Any OpenAI-compatible server: OpenAI itself, vLLM, SGLang, llama-server, Ollama.

`openai/<model>` talks to api.openai.com with the key in $OPENAI_API_KEY;
`openai/<model>?base_url=http://127.0.0.1:8000/v1` talks to a local server;
`base_url=http://a:8000/v1,http://b:8000/v1` to replicas of one model (see
`runner.replicas`: least-busy routing, failed replicas probed again later).
Only the first URL is part of the store identity, so adding replicas to a
spec keeps its stored answers. Options: `api_key_env` (the *name* of the
variable holding the key; the key itself is never stored, logged or
exported), `timeout` (seconds, default 120), `concurrency` (per replica,
default 8), `rpm` / `tpm` (requests / tokens per minute, for the whole set),
`max_retries` (retries after the first attempt), `circuit_breaker` (stop the
run after that many consecutive connection failures, default 8, 0: never), and
`mode=completion` for base models served by completion only. Any other option
is refused by name. A connection that fails outright (refused, reset, timed
out) is a `ConnectionFailure`, which the circuit breaker counts; the key read
from the environment is registered with `secrets`, so it is masked wherever a
server echoes it.

A request that sets `sampling.top_logprobs` asks for token log-probabilities
(chat: `logprobs=true, top_logprobs=k`; completion: `logprobs=k`); a server
that ignores the field answers without them and the completion carries None.

The SDK's own retries are switched off: the runner retries every backend the
same way (exponential backoff honouring Retry-After) and counts the retries
for the progress bar. Here we only classify failures: transient (retried),
per-request (recorded), or a rejected key (stops the run, in one line).
Reading the bodies and errors the server sends back is openai_replies.py's job.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from distillscope.errors import GenerationError, MissingApiKeyError, ServerUnreachableError, TransientError, UserError
from distillscope.extras import require
from distillscope.models.base import ConnectionFailure, Model
from distillscope.models.openai_replies import completion_from, describe_error, parse_retry_after
from distillscope.models.prompt_format import QA_STOP, render_qa_frame
from distillscope.models.replicas import Replica, ReplicaSet
from distillscope.models.spec import ModelSpec
from distillscope.secrets import register_secret
from distillscope.types import Completion, GenerationRequest

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_ENDPOINT = "https://api.openai.com/v1"
PREFLIGHT_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 5.0

__all__ = ["DEFAULT_ENDPOINT", "DEFAULT_KEY_ENV", "OpenAIModel", "parse_base_urls", "parse_retry_after"]


def parse_base_urls(value: str | None, head: str) -> list[str]:
    """The comma-separated replica URLs of `base_url` (empty: the SDK's default endpoint)."""
    if value is None:
        return []
    urls = [u.strip().rstrip("/") for u in value.split(",")]
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            raise UserError(
                f"base_url of model spec '{head}' holds {url!r}, which is not an http(s) URL",
                "list replicas as base_url=http://HOST1:PORT/v1,http://HOST2:PORT/v1",
            )
    if len(set(urls)) != len(urls):
        raise UserError(f"base_url of model spec '{head}' lists a replica twice", "list each server once")
    return urls


class _ReplicaDown(Exception):
    """A failure that says the replica, not the request, is in trouble."""

    def __init__(self, message: str, retry_after: float | None = None, connection: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.connection = connection  # not reached at all (refused, reset, timed out), not a 5xx


class OpenAIModel(Model):
    provider = "openai"
    default_concurrency = 8
    identity_options = frozenset({"base_url", "mode"})
    operational_options = frozenset({"timeout", "api_key_env"})
    supports_logprobs = True

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.base_urls = parse_base_urls(spec.opt_str("base_url"), f"{spec.provider}/{spec.name}")
        self.base_url = self.base_urls[0] if self.base_urls else None
        self.per_replica_concurrency = self.concurrency
        self.concurrency = self.per_replica_concurrency * max(1, len(self.base_urls))
        self.timeout = spec.opt_float("timeout", 120.0)
        self._mode = spec.opt_str("mode", "chat") or "chat"
        if self._mode not in ("chat", "completion"):
            raise UserError(f"mode={self._mode!r} is not an OpenAI API mode", "use mode=chat or mode=completion")
        self.key_env = spec.opt_str("api_key_env", DEFAULT_KEY_ENV) or DEFAULT_KEY_ENV

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def identity(self) -> str:
        if len(self.base_urls) < 2:
            return super().identity
        # replicas are operational: the first URL, exactly as written, names the model as a single-server spec did
        written_first = self.spec.options["base_url"].split(",")[0]
        first = self.spec.model_copy(update={"options": {**self.spec.options, "base_url": written_first}})
        return first.identity(self.operational_options)

    @property
    def endpoint(self) -> str:
        return ",".join(self.base_urls) or DEFAULT_ENDPOINT

    @property
    def preflight_key(self) -> str:
        return f"openai:{self.endpoint}|{self.key_env}"

    def _api_key(self) -> str:
        key = os.environ.get(self.key_env)
        if key:
            register_secret(key)  # masked, exactly, wherever text leaves the process (a server may echo it)
            return key
        if self.base_url and "api_key_env" not in self.spec.options:
            return "not-needed"  # local servers (vLLM, llama-server, Ollama) accept any key
        raise MissingApiKeyError(
            f"the API key variable ${self.key_env} is not set for {self.spec.provider}/{self.spec.name}",
            f"export {self.key_env}=... or name another variable with api_key_env=NAME in the spec",
        )

    def client(self, url: str | None = None) -> Any:
        """The SDK client for one replica, shared by every model on it for the runner's life."""
        url = url if url is not None else self.base_url

        def build() -> Any:
            openai = require("openai", purpose="OpenAI-compatible APIs")
            return openai.AsyncOpenAI(api_key=self._api_key(), base_url=url, timeout=self.timeout, max_retries=0)

        return self.resources.get(("openai-client", url, self.key_env, self.timeout), build)

    def replicas(self) -> ReplicaSet:
        urls: list[str | None] = list(self.base_urls) or [None]
        return self.resources.get(("openai-replicas", self.endpoint), lambda: ReplicaSet(urls, self.per_replica_concurrency, self._probe))

    def _key_rejected(self, url: str | None, status: Any) -> UserError:
        where = url or DEFAULT_ENDPOINT
        return MissingApiKeyError(
            f"the server at {where} rejected the key in ${self.key_env} (HTTP {status})",
            f"export a valid key in {self.key_env} (or name the right variable with api_key_env=NAME)",
        )

    async def preflight(self) -> None:
        """Reach every replica once, so a wrong URL or key fails in one line, not N retries.

        Unreachable replicas are taken out (and probed later) as long as one answers.
        """
        replicas = self.replicas()
        problems = await asyncio.gather(*(self._check(r) for r in replicas.replicas))
        down = [(replica, problem) for replica, problem in zip(replicas.replicas, problems) if problem]
        if len(down) == len(replicas.replicas):
            where = ", ".join(r.url or DEFAULT_ENDPOINT for r, _ in down)
            raise ServerUnreachableError(
                f"cannot reach the server at {where} ({down[0][1]})",
                "start the server or correct base_url in the model spec",
            )
        for replica, _ in down:
            replicas.failed(replica)

    async def _check(self, replica: Replica) -> str | None:
        """Why a replica cannot be used (None: it answered). A rejected key raises."""
        openai = require("openai", purpose="OpenAI-compatible APIs")
        try:
            await self.client(replica.url).with_options(timeout=PREFLIGHT_TIMEOUT_S).models.list()
        except openai.APIConnectionError as exc:
            return f"{type(exc).__name__}: {exc}"
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise self._key_rejected(replica.url, exc.status_code) from None
        except openai.APIError:
            pass  # many compatible servers lack /models or answer it oddly; generation will tell
        return None

    async def _probe(self, url: str | None) -> bool:
        """Is a replica that was taken out reachable again? Any HTTP answer below 500 says yes."""
        openai = require("openai", purpose="OpenAI-compatible APIs")
        try:
            await self.client(url).with_options(timeout=PROBE_TIMEOUT_S).models.list()
        except openai.APIStatusError as exc:
            return exc.status_code < 500
        except Exception:  # noqa: BLE001 - a probe only answers yes or no
            return False
        return True

    async def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        return [await self._generate_one(r) for r in requests]

    async def _generate_one(self, request: GenerationRequest) -> Completion:
        replicas = self.replicas()
        async with replicas.lease() as replica:
            try:
                out = await self._call(replica.url, request)
            except _ReplicaDown as exc:
                replicas.failed(replica)
                # another replica is up: retry there at once, without the backoff meant for an overloaded server
                retry_after = 0.0 if replicas.healthy() else exc.retry_after
                kind = ConnectionFailure if exc.connection else TransientError
                raise kind(f"{replica.url or DEFAULT_ENDPOINT}: {exc}", retry_after=retry_after) from exc
            replicas.succeeded(replica)
        return self._completion(out)

    async def _call(self, url: str | None, request: GenerationRequest) -> Any:
        """One request; failures classified (the SDK's exceptions never leave this method)."""
        openai = require("openai", purpose="OpenAI-compatible APIs")
        s = request.sampling
        params: dict[str, Any] = {
            "model": self.spec.name,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
            "seed": s.seed_for(request.sample_index),
        }
        if s.top_logprobs:
            params.update({"logprobs": s.top_logprobs} if self.mode == "completion" else {"logprobs": True, "top_logprobs": s.top_logprobs})
        client = self.client(url)
        try:
            if self.mode == "completion":
                return await client.completions.create(prompt=render_qa_frame(request.messages), stop=QA_STOP, **params)
            messages = [m.model_dump() for m in request.messages]
            return await client.chat.completions.create(messages=messages, **params)
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            # every other request would be refused too: stop the run at the first one
            raise self._key_rejected(url, exc.status_code) from None
        except openai.APIStatusError as exc:
            retry_after = parse_retry_after(exc.response.headers)
            if exc.status_code >= 500:
                raise _ReplicaDown(describe_error(exc), retry_after) from exc
            if exc.status_code in (408, 409, 425, 429):
                raise TransientError(describe_error(exc), retry_after=retry_after) from exc
            raise GenerationError(describe_error(exc)) from exc
        except openai.APIConnectionError as exc:  # refused, reset, timed out
            raise _ReplicaDown(f"{type(exc).__name__}: {exc}", connection=True) from exc
        except (openai.APIResponseValidationError, json.JSONDecodeError) as exc:
            # a body cut short or not JSON: usually a proxy hiccup, worth another try
            raise TransientError(f"malformed response: {type(exc).__name__}: {exc}") from exc

    def _completion(self, out: Any) -> Completion:
        return completion_from(out, self.mode)
