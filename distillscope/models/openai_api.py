"""Any OpenAI-compatible server: OpenAI itself, vLLM, llama-server, Ollama.

`openai/<model>` talks to api.openai.com with the key in $OPENAI_API_KEY;
`openai/<model>?base_url=http://127.0.0.1:8000/v1` talks to a local server.
Options: `api_key_env` (the *name* of the variable holding the key; the key
itself is never stored, logged or exported), `timeout` (seconds, default 120),
`concurrency` (default 8), `rpm` / `tpm` (requests / tokens per minute), and
`mode=completion` for base models served by completion only.

The SDK's own retries are switched off: the runner retries every backend the
same way (exponential backoff honouring Retry-After) and counts the retries
for the progress bar. Here we only classify failures as transient or not.
"""

from __future__ import annotations

import os
from typing import Any

from distillscope.errors import GenerationError, MissingApiKeyError, ServerUnreachableError, TransientError, UserError
from distillscope.extras import require
from distillscope.models.base import Model
from distillscope.models.prompt_format import QA_STOP, render_qa_frame
from distillscope.models.spec import ModelSpec
from distillscope.types import Completion, GenerationRequest

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
PREFLIGHT_TIMEOUT_S = 10.0


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from a Retry-After (or retry-after-ms) header, if any."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


class OpenAIModel(Model):
    provider = "openai"
    default_concurrency = 8

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.base_url = spec.opt_str("base_url")
        self.timeout = spec.opt_float("timeout", 120.0)
        self._mode = spec.opt_str("mode", "chat") or "chat"
        if self._mode not in ("chat", "completion"):
            raise UserError(f"mode={self._mode!r} is not an OpenAI API mode", "use mode=chat or mode=completion")
        self.key_env = spec.opt_str("api_key_env", DEFAULT_KEY_ENV) or DEFAULT_KEY_ENV
        self._client: Any = None

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def endpoint(self) -> str:
        return self.base_url or "https://api.openai.com/v1"

    def _api_key(self) -> str:
        key = os.environ.get(self.key_env)
        if key:
            return key
        if self.base_url and "api_key_env" not in self.spec.options:
            return "not-needed"  # local servers (vLLM, llama-server, Ollama) accept any key
        raise MissingApiKeyError(
            f"the API key variable ${self.key_env} is not set for {self.spec.provider}/{self.spec.name}",
            f"export {self.key_env}=... or name another variable with api_key_env=NAME in the spec",
        )

    def client(self) -> Any:
        if self._client is None:
            openai = require("openai", purpose="OpenAI-compatible APIs")
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key(), base_url=self.base_url, timeout=self.timeout, max_retries=0
            )
        return self._client

    async def preflight(self) -> None:
        """Reach the server once, so a wrong URL or key fails in one line, not N retries."""
        openai = require("openai", purpose="OpenAI-compatible APIs")
        client = self.client()
        try:
            await client.with_options(timeout=PREFLIGHT_TIMEOUT_S).models.list()
        except openai.APIConnectionError as exc:
            raise ServerUnreachableError(
                f"cannot reach the server at {self.endpoint} ({type(exc).__name__}: {exc})",
                "start the server or correct base_url in the model spec",
            ) from exc
        except openai.AuthenticationError as exc:
            raise MissingApiKeyError(
                f"the server at {self.endpoint} rejected the key in ${self.key_env}",
                f"export a valid key in {self.key_env}",
            ) from exc
        except openai.APIError:
            pass  # many compatible servers lack /models or answer it oddly; generation will tell

    async def generate(self, requests: list[GenerationRequest]) -> list[Completion]:
        return [await self._generate_one(r) for r in requests]

    async def _generate_one(self, request: GenerationRequest) -> Completion:
        openai = require("openai", purpose="OpenAI-compatible APIs")
        s = request.sampling
        params: dict[str, Any] = {
            "model": self.spec.name,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "max_tokens": s.max_tokens,
            "seed": s.seed_for(request.sample_index),
        }
        try:
            if self.mode == "completion":
                out = await self.client().completions.create(prompt=render_qa_frame(request.messages), stop=QA_STOP, **params)
                choice = out.choices[0]
                text = choice.text or ""
            else:
                messages = [m.model_dump() for m in request.messages]
                out = await self.client().chat.completions.create(messages=messages, **params)
                choice = out.choices[0]
                text = choice.message.content or ""
        except (openai.RateLimitError, openai.InternalServerError, openai.ConflictError) as exc:
            raise TransientError(_describe(exc), retry_after=parse_retry_after(exc.response.headers)) from exc
        except openai.APIStatusError as exc:
            if exc.status_code in (408, 425, 429) or exc.status_code >= 500:
                raise TransientError(_describe(exc), retry_after=parse_retry_after(exc.response.headers)) from exc
            raise GenerationError(_describe(exc)) from exc
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        except (openai.APIResponseValidationError, ValueError, AttributeError, IndexError, TypeError) as exc:
            # malformed or truncated body: usually a proxy hiccup, worth another try
            raise TransientError(f"malformed response: {type(exc).__name__}: {exc}") from exc
        usage = getattr(out, "usage", None)
        return Completion(
            text=text,
            finish_reason=getattr(choice, "finish_reason", None),
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def _describe(exc: Any) -> str:
    return f"HTTP {getattr(exc, 'status_code', '?')}: {str(exc)[:300]}"
