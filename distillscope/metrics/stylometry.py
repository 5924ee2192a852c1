"""Stylometric features of a response: the cheapest adversary's view (METHODS.md section 5, class a).

Distilled students often copy a teacher's content but keep their own habits:
how long they talk, whether they reach for markdown, lists and code blocks,
how they punctuate, hedge and refuse. Each feature is a plain count or rate
so a reader can see which habit gives a model away.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_PATTERNS: dict[str, re.Pattern[str]] = {
    "headers": re.compile(r"^\s{0,3}#{1,6}\s", re.MULTILINE),
    "bullets": re.compile(r"^\s*[-*•]\s+", re.MULTILINE),
    "numbered": re.compile(r"^\s*\d+[.)]\s+", re.MULTILINE),
    "code_blocks": re.compile(r"```"),
    "inline_code": re.compile(r"`[^`\n]+`"),
    "bold": re.compile(r"\*\*[^*\n]+\*\*"),
    "tables": re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE),
    "urls": re.compile(r"https?://"),
    "hedges": re.compile(
        r"\b(?:might|may|perhaps|possibly|probably|likely|generally|typically|it depends|i think|i believe|"
        r"seems?|could)\b|可能|也许|大概|一般来说",
        re.IGNORECASE,
    ),
    "refusals": re.compile(
        r"\b(?:i'm sorry|i am sorry|i cannot|i can't|i can not|i'm unable|i am unable|as an ai|"
        r"i don't have|i do not have)\b|抱歉|对不起|我无法|作为一个?人工智能",
        re.IGNORECASE,
    ),
    "first_person": re.compile(r"\b(?:i|i'm|my|me)\b|我", re.IGNORECASE),
    "second_person": re.compile(r"\b(?:you|your)\b|你|您", re.IGNORECASE),
    "openers": re.compile(r"^\s*(?:sure|certainly|of course|great question|absolutely|yes|no|okay|ok|好的|当然)\b", re.IGNORECASE),
}
_CHARS: dict[str, str] = {
    "commas": ",，",
    "periods": ".。",
    "questions": "?？",
    "exclamations": "!！",
    "colons": ":：",
    "semicolons": ";；",
    "parentheses": "()（）",
    "quotes": "\"'“”‘’",
    "dashes": "-—–",
    "asterisks": "*",
}
FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "lines",
    "blank_lines",
    "mean_word_length",
    "mean_sentence_words",
    "cjk_share",
    "digit_share",
    "upper_share",
    "ends_with_punctuation",
    "repeated_lines",
    *_PATTERNS,
    *(f"{k}_rate" for k in _CHARS),
)


def style_features(text: str) -> list[float]:
    text = text or ""
    chars = max(1, len(text))
    words = re.findall(r"\w+", text)
    lines = text.splitlines() or [""]
    sentences = [s for s in re.split(r"[.!?。！？]+", text) if s.strip()]
    non_blank = [line.strip() for line in lines if line.strip()]
    values = [
        np.log1p(len(text)),
        np.log1p(len(words)),
        len(lines),
        sum(not line.strip() for line in lines),
        float(np.mean([len(w) for w in words])) if words else 0.0,
        len(words) / max(1, len(sentences)),
        len(re.findall(r"[\u4e00-\u9fff]", text)) / chars,
        sum(ch.isdigit() for ch in text) / chars,
        sum(ch.isupper() for ch in text) / chars,
        float(text.rstrip()[-1:] in ".!?。！？)" if text.strip() else 0.0),
        len(non_blank) - len(set(non_blank)),  # degenerate repetition, common in small base models
    ]
    values += [len(pattern.findall(text)) for pattern in _PATTERNS.values()]
    values += [sum(text.count(c) for c in group) / chars * 100 for group in _CHARS.values()]
    return [float(v) for v in values]


def feature_matrix(texts: Sequence[str]) -> np.ndarray:
    return np.asarray([style_features(t) for t in texts], dtype=np.float64)
