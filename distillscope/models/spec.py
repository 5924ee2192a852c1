"""Model specs: `provider/name` strings with options, as used everywhere.

`openai/gpt-4o-mini`, `openai/qwen?base_url=http://127.0.0.1:8000/v1`,
`llamacpp/models/x.gguf?mode=completion`, `builtin/gemma-3-270m`,
`replay/saved.jsonl?model=gpt-4o`, `mock/echo`.

Options after `?` are split in two kinds. *Identity* options change what the
model answers (base_url, mode, frame, ...) and are part of the store key.
*Operational* options (concurrency, rate limits, timeouts, the *name* of the
API-key variable) only change how we ask, so changing them never invalidates
stored responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from pydantic import BaseModel, ConfigDict

from distillscope.errors import UserError

OPERATIONAL_OPTIONS = frozenset(
    {
        "concurrency",
        "rpm",
        "tpm",
        "timeout",
        "max_retries",
        "api_key_env",
        "n_threads",
        "n_ctx",
        "batch_size",
        "device",
        "verbose",
    }
)

# Secrets must never reach the store, logs or exports, so they are refused outright.
FORBIDDEN_OPTIONS = frozenset({"api_key", "key", "token", "password"})


class ModelSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    provider: str
    name: str
    options: dict[str, str] = {}

    @classmethod
    def parse(cls, text: str, **extra_options: Any) -> "ModelSpec":
        text = text.strip()
        if "/" not in text:
            raise UserError(
                f"model spec '{text}' has no provider",
                "write it as provider/name, e.g. openai/gpt-4o-mini, builtin/gemma-3-270m or mock/echo "
                "(see `distillscope models`)",
            )
        head, _, query = text.partition("?")
        provider, _, name = head.partition("/")
        if not provider or not name:
            raise UserError(f"model spec '{text}' is incomplete", "write it as provider/name")
        options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
        options.update({k: str(v) for k, v in extra_options.items() if v is not None})
        secret = FORBIDDEN_OPTIONS.intersection(options)
        if secret:
            raise UserError(
                f"model spec '{head}' carries a secret in option '{sorted(secret)[0]}'",
                "put the key in an environment variable and name it with api_key_env=VAR",
            )
        return cls(provider=provider.lower(), name=name, options=options)

    def __str__(self) -> str:
        return self._render(self.options)

    def identity(self, operational: Iterable[str] = ()) -> str:
        """The canonical string that identifies what answers; used in store keys.

        `operational` names backend-specific options that, like the common
        ones, change how we ask but not what comes back.
        """
        skip = OPERATIONAL_OPTIONS.union(operational)
        return self._render({k: v for k, v in self.options.items() if k not in skip})

    def _render(self, options: dict[str, str]) -> str:
        base = f"{self.provider}/{self.name}"
        if not options:
            return base
        return base + "?" + urlencode(sorted(options.items()), quote_via=quote, safe="/:")

    def opt_str(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def opt_int(self, name: str, default: int | None = None) -> int | None:
        return self._typed(name, default, int)

    def opt_float(self, name: str, default: float | None = None) -> float | None:
        return self._typed(name, default, float)

    def opt_bool(self, name: str, default: bool = False) -> bool:
        value = self.options.get(name)
        if value is None:
            return default
        return value.strip().lower() in {"1", "true", "yes", "on"}

    def _typed(self, name: str, default: Any, kind: type) -> Any:
        value = self.options.get(name)
        if value is None:
            return default
        try:
            return kind(value)
        except ValueError:
            raise UserError(
                f"option {name}={value!r} of model spec '{self.provider}/{self.name}' is not a {kind.__name__}",
                f"give {name} a {kind.__name__} value",
            ) from None
