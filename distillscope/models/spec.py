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

Every option must be one its backend declares (`Model.identity_options`,
`Model.operational_options`): a misspelt `base_ulr=` would otherwise be
ignored and the prompts sent to api.openai.com, so it is refused by name with
the closest known one. `base_url` is normalised before it is keyed (scheme
and host lower case, default port and trailing `/` dropped), so one server
written two ways keeps one set of stored answers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, model_validator

from distillscope.errors import UserError
from distillscope.models.providers import REGISTRY
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
        "circuit_breaker",
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
    "circuit_breaker": (int, 0, True),
}

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str:
    """One spelling per server: scheme and host lower case, no default port, no trailing `/`.

    A URL that is not http(s) is returned stripped, for the validator to refuse by name.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    userinfo, _, _ = parts.netloc.rpartition("@")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if userinfo:  # kept for the secret check to refuse, never keyed
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, parts.fragment))


def _normalised_options(options: dict[str, str]) -> dict[str, str]:
    if "base_url" not in options:
        return options
    return {**options, "base_url": ",".join(normalise_url(u) for u in options["base_url"].split(","))}


def check_number(head: str, option: str, text: str, kind: type, low: float, inclusive: bool) -> None:
    """Refuse `option=text` unless it is a `kind` at least (or above) `low`, in one line naming the fix."""
    try:
        value = kind(text)
    except ValueError:
        raise UserError(
            f"option {option}={text!r} of model spec '{head}' is not a {kind.__name__}",
            f"give {option} a {kind.__name__} value",
        ) from None
    if value != value or value < low or (value == low and not inclusive):  # NaN too
        bound = f"at least {low:g}" if inclusive else f"above {low:g}"
        raise UserError(
            f"option {option}={text} of model spec '{head}' is out of range",
            f"give {option} a value {bound}, or drop it for the default",
        )


def _check_declared(head: str, provider: str, options: dict[str, str]) -> None:
    """Refuse options the provider's backend does not declare, naming the closest known one."""
    if provider not in REGISTRY:
        return  # the registry refuses the provider itself, naming the known ones
    backend: Any = REGISTRY.load(provider)  # a Model subclass, checked by duck type: spec.py sits below base.py
    if not callable(getattr(backend, "known_options", None)):
        return  # no Model subclass: `load_model` refuses the entry point, naming its package
    known = backend.known_options()
    for option, value in options.items():
        if option not in known:
            close = difflib.get_close_matches(option, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UserError(
                f"model spec '{head}': unknown option '{option}' for {provider}{hint}",
                f"use one of {', '.join(sorted(known))}",
            )
        if option in backend.option_ranges:
            check_number(head, option, value, *backend.option_ranges[option])


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
        pairs = parse_qsl(query, keep_blank_values=True) if query else []
        options = dict(pairs)
        if len(options) != len(pairs):
            twice = sorted({k for k, _ in pairs if sum(1 for n, _ in pairs if n == k) > 1})
            raise UserError(f"model spec '{provider}/{name}' gives option '{twice[0]}' twice", "give each option once")
        options.update({k: str(v) for k, v in extra_options.items() if v is not None})
        return cls(provider=provider.lower(), name=name, options=options)

    @model_validator(mode="before")
    @classmethod
    def _normalised(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("options"), dict):
            data = {**data, "options": _normalised_options({str(k): str(v) for k, v in data["options"].items()})}
        return data

    @model_validator(mode="after")
    def _checked(self) -> "ModelSpec":
        """Refuse secrets and impossible options however the spec was built (string, config, code)."""
        head = f"{self.provider}/{self.name}"
        from distillscope.records import holds_lone_surrogate

        if holds_lone_surrogate([self.provider, self.name, self.options]):  # a non-UTF-8 byte on a command line arrives so
            raise UserError(
                "a model spec holds a byte that is not UTF-8 text (its store key and every file it is written to need UTF-8)",
                "retype the spec as plain text",
            )
        if holds_secret(self.name):
            raise UserError(
                f"model spec '{self.provider}/...' holds a key-shaped string in its name",
                "put the key in an environment variable and name it with api_key_env=VAR",
            )
        for option, value in self.options.items():
            if not option.strip():
                raise UserError(  # never repeats the value: it may be a key
                    f"model spec '{head}' has an option with no name (a bare '=' or '&')",
                    "write options as name=value joined by &, e.g. mock/a?latency=1",
                )
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
                check_number(head, option, self.options[option], kind, low, inclusive)
        _check_declared(head, self.provider, self.options)
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
