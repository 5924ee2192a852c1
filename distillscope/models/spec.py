"""Model specs: `provider/name` strings with options, as used everywhere.

`openai/gpt-4o-mini`, `openai/qwen?base_url=http://127.0.0.1:8000/v1`,
`llamacpp/models/x.gguf?mode=completion`, `builtin/gemma-3-270m`,
`replay/saved.jsonl?model=gpt-4o`, `mock/echo`.

Options after `?` are split in two kinds. *Identity* options change what the
model answers (base_url, mode, frame, ...) and are part of the store key.
*Operational* options (concurrency, rate limits, timeouts, the *name* of the
API-key variable) only change how we ask, so changing them never invalidates
stored responses.

Secrets are refused in any spelling (`API_KEY=`, `apikey=`, `Token=`, a key in
`base_url`'s user:password@ or query, ...; see `distillscope.secrets`), since a
spec is written into the store, results, reports and logs; so are an empty
`base_url` (it would silently mean api.openai.com) and negative rate limits or
timeouts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from pydantic import BaseModel, ConfigDict, model_validator

from distillscope.errors import UserError
from distillscope.secrets import holds_secret, secret_in_option

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

# Numeric operational options, checked when the spec is parsed: a negative rate
# limit or timeout would otherwise make every request fail later, one by one.
# name -> (type, smallest allowed value, whether that value itself is allowed)
NUMERIC_OPTIONS: dict[str, tuple[type, float, bool]] = {
    "concurrency": (int, 1, True),
    "rpm": (float, 0, False),
    "tpm": (float, 0, False),
    "timeout": (float, 0, False),
    "max_retries": (int, 0, True),
    "n_threads": (int, 1, True),
    "n_ctx": (int, 1, True),
    "batch_size": (int, 1, True),
}


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
                "write it as provider/name, e.g. openai/gpt-4o-mini, builtin/gemma-3-270m or mock/echo (see `distillscope models`)",
            )
        head, _, query = text.partition("?")
        provider, _, name = head.partition("/")
        if not provider or not name:
            raise UserError(f"model spec '{text}' is incomplete", "write it as provider/name")
        options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
        options.update({k: str(v) for k, v in extra_options.items() if v is not None})
        return cls(provider=provider.lower(), name=name, options=options)

    @model_validator(mode="after")
    def _checked(self) -> "ModelSpec":
        """Refuse secrets and impossible options however the spec was built (string, config, code)."""
        head = f"{self.provider}/{self.name}"
        if holds_secret(self.name):
            raise UserError(
                f"model spec '{self.provider}/...' holds a key-shaped string in its name",
                "put the key in an environment variable and name it with api_key_env=VAR",
            )
        for option, value in self.options.items():
            reason = secret_in_option(option, value)
            if reason:
                # the message names the option, never its value
                raise UserError(
                    f"model spec '{head}': {reason}; secrets in specs would be written to the store, results and logs",
                    "put the key in an environment variable and name it with api_key_env=VAR",
                )
        if "base_url" in self.options:
            # one URL, or several comma-separated replicas of one model; none may be empty
            for url in self.options["base_url"].split(","):
                url = url.strip()
                if not url:
                    raise UserError(
                        f"model spec '{head}' has an empty base_url",
                        "give the server's URL (base_url=http://HOST:PORT/v1), or drop base_url to use api.openai.com",
                    )
                if not url.lower().startswith(("http://", "https://")):
                    raise UserError(
                        f"base_url={url!r} of model spec '{head}' is not an http(s) URL",
                        "write it as http://HOST:PORT/v1",
                    )
        for option, (kind, low, inclusive) in NUMERIC_OPTIONS.items():
            if option in self.options:
                value = self._typed(option, None, kind)
                if value != value or value < low or (value == low and not inclusive):  # NaN too
                    bound = f"at least {low}" if inclusive else f"above {low}"
                    raise UserError(
                        f"option {option}={self.options[option]} of model spec '{head}' is out of range",
                        f"give {option} a value {bound}, or drop it for the default",
                    )
        return self

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
