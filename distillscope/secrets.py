"""Keeping keys out of everything distillscope writes or prints.

Two guards. `secret_in_option` refuses a model-spec option that is (or holds)
a secret, whatever its spelling (`API_KEY`, `apikey`, `api-key`, `Token`,
`client_secret`, `passwd`, credentials in a URL, ...), because a spec is
written into the store key, results, reports, exports and the console.
`redact` masks key-shaped strings in text we did not write ourselves (a
server's error body may echo the key it was sent) before that text is stored
or printed. Both err on the side of masking: a masked error message loses a
word, a leaked key costs its owner.

Shapes miss keys that have no tell-tale form (a key of letters only, a
password). So `redact` also masks, exactly, every secret value the process
knows: each one a backend was given (`register_secret`, e.g. the key read
from `$OPENAI_API_KEY` or the variable named by `api_key_env`) and the value
of every environment variable whose name says secret (`*_API_KEY`, `*_TOKEN`,
...), together with the encodings a server or a report may echo them in
(URL-quoted, JSON- or HTML-escaped, base64). Every path where text leaves the process goes through `redact`:
failure rows and tables, `store stats`, error lines and tracebacks, logs.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import os
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "***"

# option names are compared without case and separators: API-Key, api_key, apikey -> apikey
_SECRET_NAMES = frozenset(
    {"key", "pass", "pw", "pwd", "auth", "bearer", "cred", "creds", "sig", "signature", "cookie", "session", "sessionid"}
)
_SECRET_SUFFIXES = ("key", "token", "secret", "password", "passwd", "passphrase", "pwd", "auth", "credential", "credentials")
_SECRET_PARTS = ("apikey", "secret", "password", "passwd", "credential", "bearer", "authorization", "privatekey", "accesskey")

# an option whose value *names* an environment variable holding the key (api_key_env=OPENAI_API_KEY)
ENV_NAME_SUFFIX = "_env"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_NAME_WORDS = r"(?:api[_-]?key|apikey|access[_-]?key|private[_-]?key|key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|pwd|auth|authorization|credentials?|signature|sig)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # URL userinfo: scheme://user:password@host -> scheme://***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@"), r"\1" + MASK + "@"),
    # Authorization header values: Bearer <token>, Basic <base64>; a credential has a digit, an = or a lower-
    # then-upper case change, so prose ("a basic assistant") is left alone
    (re.compile(r"\b((?i:bearer|basic))(\s+)(?=\S*(?:\d|=|[a-z]\S*[A-Z]))[A-Za-z0-9._~+/=-]{6,}"), r"\1\2" + MASK),
    # name=value / name: value / "name": "value" where the name says secret (not max_tokens: the name must end there)
    (
        re.compile(r"(?i)(\b[\w-]*?" + _NAME_WORDS + r")(\"?'?\s*[=:]\s*\"?'?)(?!\*\*\*)[^\s&\"',;}\]]+"),
        r"\1\2" + MASK,
    ),
    # well-known key shapes anywhere: OpenAI/Anthropic sk-..., Hugging Face hf_..., GitHub, Slack, AWS, Google
    (re.compile(r"\bsk-[A-Za-z0-9_-]{6,}"), "sk-" + MASK),
    (re.compile(r"\b(hf|ghp|gho|ghu|ghs|github_pat|glpat|xox[abpr])[_-][A-Za-z0-9_-]{10,}"), r"\1_" + MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "AKIA" + MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), "AIza" + MASK),
)


#: characters a key is made of (base64, URL-safe base64, hex, dashes): a known value is masked with its whole token
_TOKEN_CHARS = r"[A-Za-z0-9._~+/=-]"
#: known values shorter than this are not masked: "1" or "yes" would mask half of every message
MIN_KNOWN_SECRET_LENGTH = 6
#: environment variables whose names look secret to `is_secret_name` but hold none (the shell's working directories)
_ENV_NOT_SECRET = frozenset({"PWD", "OLDPWD"})
_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value this process was given, so `redact` masks it exactly wherever it appears."""
    if value and len(value.strip()) >= MIN_KNOWN_SECRET_LENGTH:
        with _lock:
            _registered.add(value.strip())


def _encodings(value: str) -> set[str]:
    """The forms a secret may be echoed in: as is, URL-quoted, JSON/HTML-escaped, base64."""
    encoded = base64.b64encode(value.encode()).decode()
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1], html.escape(value), encoded, encoded.rstrip("=")}
    return {form for form in forms if len(form) >= MIN_KNOWN_SECRET_LENGTH}


@functools.lru_cache(maxsize=8)
def _all_forms(values: frozenset[str]) -> tuple[str, ...]:
    forms: set[str] = set()
    for value in values:
        forms |= _encodings(value)
    return tuple(sorted(forms, key=len, reverse=True))


def known_secrets() -> tuple[str, ...]:
    """Every secret value this process knows, in every encoding, longest first (so no shorter one splits a longer)."""
    with _lock:
        values = set(_registered)
    for name, value in list(os.environ.items()):
        if len(value.strip()) >= MIN_KNOWN_SECRET_LENGTH and name.upper() not in _ENV_NOT_SECRET and is_secret_name(name):
            values.add(value.strip())
    return _all_forms(frozenset(values))


def redact(text: str) -> str:
    """`text` with every known secret and every key-shaped substring masked (`sk-***`, `Bearer ***`, `api_key=***`, `http://***@host`)."""
    if not text:
        return text
    for secret in known_secrets():
        if secret in text:
            # the whole token around it: a known value inside a longer key ("sk-test" in "sk-test-Zq8...") must not
            # leave the rest of that key in view, where the key-shaped patterns below no longer see it whole
            text = re.sub(f"{_TOKEN_CHARS}*{re.escape(secret)}{_TOKEN_CHARS}*", MASK, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def holds_secret(text: str) -> bool:
    """True when `redact` would change `text`: it carries something key-shaped."""
    return redact(text) != text


def is_secret_name(name: str) -> bool:
    """Whether an option name says its value is a secret, in any case or spelling."""
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    if not flat:
        return False
    return flat in _SECRET_NAMES or flat.endswith(_SECRET_SUFFIXES) or any(part in flat for part in _SECRET_PARTS)


def secret_in_option(name: str, value: str) -> str | None:
    """Why option `name=value` may not appear in a model spec, or None when it is safe.

    The reason never repeats the value, so it can be printed.
    """
    if name.lower().endswith(ENV_NAME_SUFFIX):
        # names an environment variable: the value must look like a variable name, not like the key itself
        if not _ENV_NAME.fullmatch(value):
            return f"option '{name}' must name an environment variable (like OPENAI_API_KEY), and its value does not look like one"
        return None
    if is_secret_name(name):
        return f"option '{name}' carries a secret"
    if holds_secret(value):
        if re.match(r"(?i)[a-z][a-z0-9+.-]*://[^/\s@?#]+@", value):
            return f"option '{name}' carries credentials in its URL (user:password@)"
        return f"option '{name}' holds a key-shaped value"
    return None
