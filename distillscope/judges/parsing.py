"""Reading a judge's answer only where it follows a grammar exactly, so nothing is guessed.

A value is read from three grammars, and only from these:
- a tag: `<style>4</style>`, `<answer>A</answer>`, `<judge>1</judge>` (what the templates ask for);
- a JSON object with the field: `{"style": 4}`, `{"answer": "A"}`, `{"judge": 1}`;
- a labelled line, at the start of a line: `Style: 4`, `**Verdict:** A`, `Conflict: 0`,
  `风格：4分`. Markdown around the label or value is fine; several labels on one line may be
  separated by `,` or `;`; after the value only a short comment that starts with punctuation
  and holds no other value may follow (`Style: 4 (formal tone)`).
A choice may also stand alone on a line (`B`, `**B**`), and a 0/1 verdict may open the answer
(`1 - it names OpenAI`).

Every reading found must agree. A tag, JSON field or labelled line whose value is not exactly one
valid value ("4 or 5", "between 3 and 4", "3-4", "not A", "A or B", "7", "4/10", "4?") makes the
whole answer a parse failure, as do two readings that differ and a missing field. Prose is never
read: "a close call, but B" and "list 3 steps; 2 examples and 5 bullet points" are failures, not
B and (3, 2, 5). Failures are counted and kept with the raw text by the caller (judges/judge.py).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from distillscope.errors import ScoreParseError

# aspect -> label names a judge may use for it (lower case); only names the RSE rubric itself uses
ASPECT_ALIASES: dict[str, tuple[str, ...]] = {
    "style": ("style", "response style", "风格", "回答风格"),
    "structure": ("structure", "logical structure", "结构", "逻辑结构"),
    "content": ("content", "content detail", "content details", "内容", "内容细节"),
}
CHOICE_LABELS = ("answer", "final answer", "verdict", "choice", "答案", "选择")
CONFLICT_LABELS = ("judge", "conflict", "verdict", "冲突", "判断")
_CHINESE_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5"}
_DECOR = r"[\s*_`#>\[\]\"']*"  # markdown and quotes that may wrap a label or a value
# (no ">": it is already decoration, and a hedge that can be decoration lets a run of ">" split n² ways)
_HEDGE = (
    r"(?:[~≈<±+\-–]|about|around|approx\w*|roughly|maybe|perhaps|probably|likely|between|either|not|no|only|"
    r"at least|at most|大约|约|大概|可能|介于|不是)"
)


#: a value read from a judge's answer: a score, one of the choices, or a 0/1 verdict
_Value = float | str | bool


class _Bad(Exception):
    """A reading that is present but not exactly one valid value: the answer is ambiguous."""


@dataclass(frozen=True)
class _Grammar:
    fields: dict[str, tuple[str, ...]]  # field -> label / JSON key names
    tags: dict[str, str]  # tag name -> field
    value: Callable[[str, int], tuple[_Value, int] | None]  # the value at a position of a string, and where it ends
    stray: str  # a pattern that, in a comment after the value, would be another value
    what: str
    label_suffix: str = ""
    stray_anywhere: bool = False  # a labelled line whose value is unreadable poisons if the stray appears anywhere in it

    def poisons(self, rest: str) -> bool:
        """Does a labelled line whose value could not be read still look like it gives one ("not A", "about 4")?"""
        if self.stray_anywhere:
            return re.search(self.stray, rest) is not None
        return re.match(rf"{_DECOR}(?:{_HEDGE}{_DECOR})?(?:{self.stray})", rest, re.IGNORECASE) is not None

    def field_of(self, name: str) -> str | None:
        key = re.sub(r"[\s_\-]+", " ", name.lower().strip())
        return next((f for f, names in self.fields.items() if key in names), None)

    def label_line(self) -> re.Pattern:
        """`Label: value` at the start of a line, after an optional bullet and markdown.

        No two adjacent quantifiers may match the same character (a bullet is followed by a lookahead, not `\\s+`,
        and the suffix word is optional with its own decoration): otherwise a line of n spaces or asterisks is split
        n² ways before the match fails, and a degenerate judge answer of blank space costs minutes. It is matched
        at a position (the line's start, or after `,` for the next label), and the value is read from its end.
        """
        names = sorted({n for names in self.fields.values() for n in names}, key=len, reverse=True)
        alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s_\-]+") for n in names)
        suffix = f"(?:{self.label_suffix}{_DECOR})?" if self.label_suffix else ""
        return re.compile(
            rf"(?:\s*(?:[-+•]|\d+[.)])(?=\s))?{_DECOR}(?P<label>{alternatives}){_DECOR}{suffix}(?:[:=]|[-–—](?!\d)){_DECOR}",
            re.IGNORECASE,
        )


_NEXT_LABEL = re.compile(r"\s*[,;|]\s*")  # what separates two labels on one line


def _normalise(text: str) -> str:
    for wide, narrow in (("：", ":"), ("，", ","), ("；", ";"), ("／", "/"), ("（", "("), ("）", ")"), ("。", ".")):
        text = text.replace(wide, narrow)
    for han, digit in _CHINESE_DIGITS.items():
        text = re.sub(rf"(?<=[:\s]){han}(?=\s*分|\s*/|\s*$|\s*\n|\s*,)", digit, text)
    return text


def _clean_comment(rest: str, stray: str) -> bool:
    """What may follow a value: nothing, or a comment opened by punctuation that holds no other value."""
    rest = re.sub(rf"^{_DECOR}", "", rest)
    if not rest or re.fullmatch(r"[.!]*", rest):
        return True
    return bool(re.match(r"[(\[,;.:\-–—|!]", rest)) and "?" not in rest and re.search(stray, rest) is None


class _Readings:
    def __init__(self, grammar: _Grammar) -> None:
        self.grammar = grammar
        self.values: dict[str, list[_Value]] = {}

    def add(self, field: str, value: _Value) -> None:
        self.values.setdefault(field, []).append(value)

    def exact(self, field: str, text: str, where: str) -> None:
        """A tag or JSON value: the whole of it must be one value."""
        found = self.grammar.value(text, 0)
        if found is None or re.sub(_DECOR, "", text[found[1] :]):
            raise _Bad(f"{where} holds '{text.strip()[:40]}', not exactly one {self.grammar.what}")
        self.add(field, found[0])

    def line(self, line: str, pattern: re.Pattern) -> None:
        """Every `Label: value` of one line; positions, not slices, so n labels on a line cost n, not n²."""
        match = pattern.match(line)
        while match:
            field = self.grammar.field_of(match.group("label"))
            found = self.grammar.value(line, match.end())
            if found is None:
                if self.grammar.poisons(line[match.end() :]):
                    raise _Bad(f"'{line.strip()[:60]}' does not hold exactly one {self.grammar.what}")
                return  # a label followed by prose ("Style: both are formal") is not a reading
            if field is not None:  # always: the pattern matches the grammar's own labels only
                self.add(field, found[0])
            following = _NEXT_LABEL.match(line, found[1])
            match = pattern.match(line, following.end()) if following else None
            if match is None and not _clean_comment(line[found[1] :], self.grammar.stray):
                raise _Bad(f"'{line.strip()[:60]}' does not hold exactly one {self.grammar.what}")


def _tag_contents(text: str, tag: str) -> list[str]:
    """What each `<tag>...</tag>` holds, exactly as a lazy `<tag>(.*?)</tag>` scan finds them, in linear time.

    The regex restarts its lazy scan at every opening tag, so an answer of n unclosed tags cost n²; here each
    opening tag is paired with the first closing tag after it by bisection, resuming after that closing tag.
    """
    opens = [m.span() for m in re.finditer(rf"<{tag}>", text, re.IGNORECASE)]
    closes = [m.span() for m in re.finditer(rf"</{tag}>", text, re.IGNORECASE)]
    close_starts = [start for start, _ in closes]
    contents, resume = [], 0
    for start, end in opens:
        if start < resume:
            continue
        index = bisect.bisect_left(close_starts, end)
        if index == len(closes):
            break  # no closing tag after this one, so none after any later one either
        contents.append(text[end : close_starts[index]])
        resume = closes[index][1]
    return contents


def _read(text: str, grammar: _Grammar, extra: Callable[[str, _Readings], None] | None = None) -> dict[str, _Value]:
    text = _normalise(text or "")
    readings = _Readings(grammar)
    try:
        for tag, field in grammar.tags.items():
            for content in _tag_contents(text, tag):
                readings.exact(field, content, f"<{tag}>")
        for match in re.finditer(r"\{[^{}]*\}", text):
            try:
                data = json.loads(match.group(0))
            except json.JSONDecodeError:
                continue
            for key, value in data.items() if isinstance(data, dict) else ():
                json_field = grammar.field_of(str(key))
                if json_field is not None:
                    shown = str(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else "?"
                    readings.exact(json_field, shown, f"JSON field '{key}'")
        pattern = grammar.label_line()
        for line in text.splitlines():
            readings.line(line, pattern)
        if extra:
            extra(text, readings)
    except _Bad as exc:
        raise ScoreParseError(f"ambiguous judge answer: {exc}") from None
    out = {}
    for field in grammar.fields:
        values = readings.values.get(field)
        if not values:
            continue
        if len(set(values)) > 1:
            raise ScoreParseError(f"conflicting {grammar.what}s for {field}: {', '.join(map(str, dict.fromkeys(values)))}")
        out[field] = values[0]
    return out


def _score_value(low: int, high: int) -> Callable[[str, int], tuple[_Value, int] | None]:
    score = re.compile(
        rf"{_DECOR}(?P<n>\d+(?:\.\d+)?)(?!\d)(?!\.\d){_DECOR}(?:(?:/|out of|of)\s*(?P<d>\d+)\b|分|points?\b|pts\b)?", re.IGNORECASE
    )

    def value(text: str, position: int) -> tuple[_Value, int] | None:
        match = score.match(text, position)
        if match is None:
            return None
        number = float(match.group("n"))
        if match.group("d") is not None and (match.group("d").lstrip("0") or "0") != str(high):  # as text: "/5999…" has no int
            raise _Bad(f"score {match.group(0).strip()} is not on the {low}..{high} scale")
        if not low <= number <= high:
            raise _Bad(f"score {number:g} outside {low}..{high}")
        return number, match.end()

    return value


def parse_scores(text: str, aspects: Sequence[str], low: int = 1, high: int = 5) -> dict[str, float]:
    """A score for every aspect, or ScoreParseError saying what was missing, ambiguous or conflicting."""
    grammar = _Grammar(
        fields={a: ASPECT_ALIASES.get(a, (a,)) for a in aspects},
        tags={a: a for a in aspects},
        value=_score_value(low, high),
        stray=r"\d|[一二两三四五]\s*分",
        what="score",
        label_suffix=r"(?:score|rating|评分|得分)",
    )
    found = _read(text, grammar)
    missing = [a for a in aspects if a not in found]
    if missing:
        raise ScoreParseError(f"no score for {', '.join(missing)} in the judge's answer")
    return {a: float(found[a]) for a in aspects}


def parse_choice(text: str, choices: Sequence[str]) -> str:
    """One of the choices, from `<answer>X</answer>`, `Answer: X`, a JSON field, or X alone on a line."""
    alternatives = "|".join(re.escape(c) for c in sorted(choices, key=len, reverse=True))

    choice = re.compile(rf"{_DECOR}(?:\(\s*)?({alternatives})(?!\w)(?:\s*\))?", re.IGNORECASE)

    def value(segment: str, position: int) -> tuple[_Value, int] | None:
        match = choice.match(segment, position)
        return (next(c for c in choices if c.lower() == match.group(1).lower()), match.end()) if match else None

    def alone(body: str, readings: _Readings) -> None:
        for line in body.splitlines():
            match = re.fullmatch(rf"{_DECOR}(?:\(\s*)?({alternatives})(?:\s*\))?{_DECOR}(?:[.!]{_DECOR})?", line, re.IGNORECASE)
            found = value(match.group(1), 0) if match else None
            if found is not None:
                readings.add("answer", found[0])

    grammar = _Grammar(
        fields={"answer": CHOICE_LABELS},
        tags={"answer": "answer"},
        value=value,
        stray=rf"(?<!\w)(?:{alternatives})(?!\w)",
        what="choice",
        stray_anywhere=True,
    )
    found = _read(text, grammar, alone)
    if "answer" not in found:
        raise ScoreParseError(f"no choice among {', '.join(choices)} in the judge's answer")
    return str(found["answer"])


def parse_conflict(text: str) -> tuple[bool, str]:
    """The conflict judge's 0/1 (`<judge>1</judge>`, `Conflict: 0`, or a leading `1 - ...`) and its reason."""

    verdict = re.compile(rf"{_DECOR}([01])(?![\w.)])")

    def value(segment: str, position: int) -> tuple[_Value, int] | None:
        match = verdict.match(segment, position)
        return (match.group(1) == "1", match.end()) if match else None

    def leading(body: str, readings: _Readings) -> None:
        first = next((line for line in body.splitlines() if line.strip()), "")
        match = re.match(rf"{_DECOR}([01])(?=\s*$|\s*[\-–—:,])", first)
        if match and _clean_comment(first[match.end() :], r"(?<![\w.\-])[01](?![\w.])"):
            readings.add("judge", match.group(1) == "1")

    grammar = _Grammar(
        fields={"judge": CONFLICT_LABELS},
        tags={"judge": "judge"},
        value=value,
        stray=r"(?<![\w.\-])[01](?![\w.])",
        what="0/1 verdict",
        stray_anywhere=True,
    )
    found = _read(text, grammar, leading)
    if "judge" not in found:
        raise ScoreParseError("no <judge>0/1</judge> verdict in the judge's answer")
    reason = re.sub(r"<judge>.*?</judge>", "", text or "", flags=re.IGNORECASE | re.DOTALL)
    reason = re.sub(r"^\W*[01](?![\w.])", "", reason.strip()).strip(" .:-–—,\n")
    return bool(found["judge"]), reason[:300]
