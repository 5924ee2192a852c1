"""Errors a user can cause, each carrying its cause and the fix.

The CLI turns a `UserError` into one line on stderr and exit code 2; anything
else is a bug and keeps its traceback. Keeping the fix next to the cause means
every raise site has to think about what the user should do next.
"""

from __future__ import annotations

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A problem with the user's input or environment, not with distillscope."""

    def __init__(self, cause: str, fix: str = "") -> None:
        self.cause = cause.rstrip(".")
        self.fix = fix.rstrip(".")
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"{self.cause}. Fix: {self.fix}." if self.fix else f"{self.cause}."


class UnknownProviderError(UserError):
    pass


class MissingExtraError(UserError):
    pass


class MissingApiKeyError(UserError):
    pass


class ServerUnreachableError(UserError):
    pass


class InputFileError(UserError):
    """A prompts/responses file that cannot be read; names the line where it can."""


class ModelFileError(UserError):
    """A GGUF or model directory that is missing or corrupt."""


class ScoreParseError(ValueError):
    """A judge's answer (its text or its token log-probabilities) holds no readable verdict: counted, never guessed."""


class TransientError(Exception):
    """A failure worth retrying (rate limit, 5xx, timeout, dropped connection).

    `retry_after` carries the server's Retry-After hint in seconds, if it gave one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GenerationError(Exception):
    """A failure not worth retrying for this request (bad request, model error)."""
