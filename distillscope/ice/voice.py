"""Who is speaking where: reasoning traces and persona sections of a response.

The paper's strict judge counts an identity claim in any voice: an answer
written as "[GPT]: I was trained by OpenAI" or "DAN: ..." under a jailbreak
template still says who made it. What the voice changes is how a reader (and
the hard score) interprets the claim, so every claim records it. Text inside
a reasoning trace (`<think>...</think>`) is the model thinking aloud, not
answering; claims found only there are reported apart and do not count by
default.

Everything here is one left-to-right pass with bounded regexes: linear in the
length of the response.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# A reasoning trace: <think>…</think> (also <thinking>, <reasoning>); an unclosed opening tag runs to the
# end, and a closing tag with no opening one (APIs that strip the first tag) closes a trace from the start.
_TRACE_OPEN = re.compile(r"<(think|thinking|reasoning|thought)>", re.IGNORECASE)
_TRACE_CLOSE = re.compile(r"</(?:think|thinking|reasoning|thought)>", re.IGNORECASE)

# Persona labels that jailbreak templates ask for, at the start of a line: "[GPT]:", "ChatGPT:",
# "[🔒CLASSIC]", "(🔓Developer Mode Output)", "Aligned:", "DUDE:", "**DAN**:", "[ChatGPT 💬]:".
_KNOWN_PERSONAS = (
    r"chat\s?gpt|gpt(?:[-\s]?\d[\w.]*)?|claude|dan|dude|stan|aim|classic|jailbreak|jailbroken|developer\s+mode(?:\s+output)?"
    r"|normal(?:\s+output)?|(?:un)?aligned|better\s?dan|anti\s?gpt|evil\s+confidant|niccolo|machiavelli|mongo\s+tom|nraf"
    r"|bob|kevin|burple|balakula|alphabreak|apophis|omega|sda|lucy|maximum|hackerman|ucar|condition\s+red|sigma"
    r"|jb|dev\s+mode|unfiltered|filtered|standard|censored|uncensored|assistant|ai|bot|chatbot"
)
# (The indent stays on the label's own line and no two quantifiers can share a space: `[ \t>]*\s*` split a run of
# n spaces n ways and let every blank line scan all the blank lines after it, so n blank lines cost n².)
_LABEL = re.compile(
    r"^[ \t>]*(?:(?:\*\*|__)[ \t]*)?(?:"
    r"(?P<bracketed>[\[(【（](?P<inner>[^\]\)】）\n]{1,40})[\])】）])(?:\s*(?:\*\*|__))?\s*[:：]?"
    r"|(?P<bare>(?:[^\w\s\n]{0,3}\s?)(?:" + _KNOWN_PERSONAS + r")(?:\s?[^\w\s\n:：]{1,3})?)(?:\s*(?:\*\*|__))?\s*[:：]"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
# A bracketed label is a role when it has a symbol ("🔓JAILBREAK"), is all capitals ("CLASSIC") or names a known
# persona as a whole word; mixed-case words in brackets are placeholders ("[Insert link to Google document]").
_BRACKETED_ROLE = re.compile(
    r"[^\w\s]|(?-i:^[A-Z0-9 \-]+$)|模式|输出|回答|越狱|经典|正常|角色|\b(?:" + _KNOWN_PERSONAS + r")\b", re.IGNORECASE
)
# Headings that look like labels but introduce the model's own answer, not a role.
_NOT_PERSONA = re.compile(
    r"^\W*(?:note|answer|response|question|example|step\s*\d*|summary|name|model|i|a|b|c|\d+|[a-z])\W*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Section:
    """A stretch of the response spoken in one voice: `own`, `persona` (label kept) or `reasoning`."""

    start: int
    end: int
    voice: str
    persona: str | None = None
    label_end: int | None = None  # end of the persona label itself, where one opens the section


@dataclass(frozen=True)
class Voices:
    """The response cut into sections; `at(offset)` finds a section by bisection."""

    sections: tuple[Section, ...]
    _starts: tuple[int, ...]

    def at(self, offset: int) -> Section:
        index = bisect.bisect_right(self._starts, offset) - 1
        return self.sections[max(0, index)]


def reasoning_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of reasoning traces."""
    spans: list[tuple[int, int]] = []
    position = 0
    first_close = _TRACE_CLOSE.search(text)
    first_open = _TRACE_OPEN.search(text)
    if first_close and (first_open is None or first_close.start() < first_open.start()):
        spans.append((0, first_close.end()))
        position = first_close.end()
    while True:
        opening = _TRACE_OPEN.search(text, position)
        if opening is None:
            break
        closing = _TRACE_CLOSE.search(text, opening.end())
        end = closing.end() if closing else len(text)
        spans.append((opening.start(), end))
        position = end
    return spans


def persona_labels(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of each persona label opening a line."""
    found = []
    for match in _LABEL.finditer(text):
        label = (match.group("inner") or match.group("bare") or "").strip(" *_")
        if not label or _NOT_PERSONA.match(label):
            continue
        if match.group("bracketed") and not _BRACKETED_ROLE.search(label):
            continue  # "[Your name]", "[Insert link to Google document]": placeholders are not roles
        found.append((match.start(), match.end(), label))
    return found


def split_voices(text: str) -> Voices:
    """Cut the response into own / persona / reasoning sections, in order."""
    boundaries: list[tuple[int, int, str, str | None]] = []  # (start, label_end, voice, persona)
    traces = reasoning_spans(text)
    for start, end in traces:
        boundaries.append((start, start, "reasoning", None))
        boundaries.append((end, end, "own", None))
    trace_starts = [s for s, _ in traces]
    for start, end, label in persona_labels(text):
        index = bisect.bisect_right(trace_starts, start) - 1
        if index >= 0 and start < traces[index][1]:
            continue  # a label inside a trace stays reasoning
        boundaries.append((start, end, "persona", label))
    boundaries.sort(key=lambda b: b[0])
    sections: list[Section] = []
    current: tuple[int, int, str, str | None] = (0, 0, "own", None)
    for boundary in [*boundaries, (len(text), len(text), "end", None)]:
        if boundary[0] > current[0]:
            sections.append(Section(current[0], boundary[0], current[2], current[3], current[1] if current[2] == "persona" else None))
        current = boundary
    if not sections:
        sections.append(Section(0, len(text), "own"))
    return Voices(tuple(sections), tuple(s.start for s in sections))
