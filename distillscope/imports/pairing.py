"""Which prompts of two imported logs are the same prompt, and why the others are not.

Two files pair on a prompt by the samples' ids where both carry one (and the
texts agree: equal, or one inside the other), else by the normalised prompt text with the system prompt compared apart. A prompt
that does not pair is given its reason, since each calls for another fix:
its text is there under another system prompt, one file holds it truncated,
a text stands for several different samples in one file (duplicated: which
answer goes with which is unknowable), or the other file lacks it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from distillscope.imports.normalise import compatible
from distillscope.imports.records import ImportedAnswer, ImportedLog

#: a prompt whose text starts the other's (or is started by it), both this long at least, was cut by one of the tools
TRUNCATION_MIN_CHARS = 20

REASONS = {
    "system": "different system prompts",
    "truncated": "truncated inputs (one file holds the prompt cut short)",
    "duplicated": "duplicated texts (one text, several samples in a file)",
    "missing": "not in the other file",
}


@dataclass
class LogPrompt:
    """One prompt of a log: its text, system prompt, id, and every answer to it by sample index."""

    text: str
    system: str | None
    key: str
    system_key: str
    sample_id: str | None
    docs: set = field(default_factory=set)


def prompts_of(log: ImportedLog) -> tuple[list[LogPrompt], set[tuple[str, str]]]:
    """(the log's prompts in file order, the (system, text) keys that stand for several samples)."""
    by_doc: dict[tuple, LogPrompt] = {}
    docs_of_key: dict[tuple[str, str], set] = defaultdict(set)
    for answer in log.answers:
        if not answer.text:
            continue
        both = (answer.system_key, answer.key)
        doc = answer.sample_id if answer.sample_id is not None else answer.doc
        docs_of_key[both].add(doc)
        identity = (*both, doc)
        if identity not in by_doc:
            by_doc[identity] = LogPrompt(answer.text, answer.system, answer.key, answer.system_key, answer.sample_id, {doc})
    duplicated = {key for key, docs in docs_of_key.items() if len(docs) > 1}
    return list(by_doc.values()), duplicated


@dataclass
class PairingReport:
    """How many prompts of the reference file paired with the other file, and why the rest did not."""

    reference: str
    other: str
    paired: int = 0
    by_id: int = 0
    unpaired: Counter = field(default_factory=Counter)

    def line(self) -> str:
        why = ", ".join(f"{count} {REASONS[reason]}" for reason, count in sorted(self.unpaired.items()))
        head = f"pairing {self.reference} with {self.other}: {self.paired} prompts paired ({self.by_id} by sample id)"
        return head + (f"; {sum(self.unpaired.values())} unpaired: {why}" if why else "")


def _reason(prompt: LogPrompt, keys: set[tuple[str, str]], texts: set[str], duplicated: bool) -> str:
    if duplicated:
        return "duplicated"
    if prompt.key in texts:
        return "system"
    if len(prompt.key) >= TRUNCATION_MIN_CHARS and any(
        len(other) >= TRUNCATION_MIN_CHARS and (prompt.key.startswith(other) or other.startswith(prompt.key)) for other in texts
    ):
        return "truncated"
    return "missing"


def pair_logs(reference: ImportedLog, other: ImportedLog) -> tuple[list[LogPrompt], PairingReport]:
    """The reference's prompts that `other` answers too, and the report for all of them."""
    prompts, duplicated = prompts_of(reference)
    other_answers: list[ImportedAnswer] = other.answers
    other_ids: dict[str, set[str]] = defaultdict(set)
    for answer in other_answers:
        if answer.sample_id is not None:
            other_ids[answer.sample_id].add(answer.key)
    other_prompts, other_duplicated = prompts_of(other)
    keys = {(p.system_key, p.key) for p in other_prompts}
    texts = {p.key for p in other_prompts}
    report = PairingReport(reference.path, other.path)
    paired = []
    for prompt in prompts:
        both = (prompt.system_key, prompt.key)
        if prompt.sample_id is not None and any(compatible(prompt.key, key) for key in other_ids.get(prompt.sample_id, ())):
            report.by_id += 1
        elif both in duplicated or both in other_duplicated or both not in keys:
            report.unpaired[_reason(prompt, keys, texts, both in duplicated or both in other_duplicated)] += 1
            continue
        report.paired += 1
        paired.append(prompt)
    return paired, report
