"""Keeping keys out of everything distillscope writes or prints.

Two guards. `secret_in_option` refuses a model-spec option that is (or holds)
a secret, whatever its spelling (`API_KEY`, `apikey`, `api-key`, `Token`,
`client_secret`, `passwd`, credentials in a URL, ...), because a spec is
written into the store key, results, reports, exports and the console.
`redact` masks key-shaped strings in text we did not write ourselves (a
server's error body may echo the key it was sent) before that text is stored
or printed. Both err on the side of masking: a masked error message loses a
word, a leaked key costs its owner.
"""

from __future__ import annotations

import re

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


def redact(text: str) -> str:
    """`text` with every key-shaped substring masked (`sk-***`, `Bearer ***`, `api_key=***`, `http://***@host`)."""
    if not text:
        return text
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
