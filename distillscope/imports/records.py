"""What every log reader returns: one `ImportedAnswer` per (prompt, sample), and the file's `ImportedLog`.

Readers differ only in where they find the prompt, the answer and the sample's
identity; everything after them (the replay index, pairing, the store import)
reads these two models, so a new format is one reader.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from distillscope.imports.normalise import match_key


class ImportedAnswer(BaseModel):
    """One saved answer (or one errored sample, kept only to be counted)."""

    text: str  # the prompt as kept: the user turn, or the conversation up to the last user turn
    system: str | None = None  # recorded apart from the text, so prompts pair whatever system prompt each tool used
    sample_id: str | None = None  # the tool's own id of the sample (inspect sample id, batch custom_id, a dataset's id column)
    doc: str | None = None  # the sample's identity within its file (lm-eval doc_id, batch custom_id): two docs with one text are duplicates
    sample_index: int = Field(0, ge=0)  # epoch / repeat / choice, from 0
    answer: str | None = None
    error: str | None = None  # the sample errored in the tool: counted, never served as an answer
    model: str | None = None  # who answered, where the file says

    @property
    def key(self) -> str:
        """The normalised prompt this answer pairs on (system prompt apart)."""
        return match_key(self.text)

    @property
    def system_key(self) -> str:
        return match_key(self.system or "")


class ImportedLog(BaseModel):
    """A file's answers as read, with what was left out and why."""

    path: str
    format: str
    fingerprint: str  # "sha256:..." of the file's bytes (of every file, for a directory or a batch with its input)
    answers: list[ImportedAnswer] = Field(default_factory=list)  # usable answers only
    errored: int = 0  # samples the tool marked as errored (not used)
    skipped: Counter = Field(default_factory=Counter)  # other samples left out: reason -> count

    def summary(self) -> str:
        """One line for logs and reports: the file, its format and fingerprint, what was used and left out."""
        prompts = len({(a.system_key, a.key) for a in self.answers})
        parts = [f"{self.path} ({self.format}, {self.fingerprint[:19]}): {len(self.answers)} answers to {prompts} prompts"]
        if self.errored:
            parts.append(f"{self.errored} errored samples not used")
        parts += [f"{count} {reason}" for reason, count in sorted(self.skipped.items())]
        return "; ".join(parts)
