"""Reading scores out of whatever a judge model wrote.

Small judges rarely follow the format exactly, so the parser accepts, in
order of trust: XML-style tags (`<style>4</style>`), a JSON object, labelled
scores in English or Chinese (`Style: 4`, `**Content detail** - 4/5`,
`风格：4分`), and finally bare numbers in aspect order when there are exactly
as many as aspects. Anything else is a parse failure, reported, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

# aspect -> names a judge may use for it (lower case)
ASPECT_ALIASES: dict[str, tuple[str, ...]] = {
    "style": ("style", "response style", "tone", "风格", "回答风格", "语言风格"),
    "structure": ("structure", "logical structure", "logic", "reasoning", "organization", "organisation", "逻辑结构", "结构", "逻辑"),
    "content": ("content", "content detail", "content details", "detail", "details", "knowledge", "内容细节", "内容", "细节"),
}
_NUMBER = r"([1-5](?:\.\d+)?)"
_CHINESE_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5"}


class ScoreParseError(ValueError):
    pass


def _normalise(text: str) -> str:
    text = text.replace("：", ":").replace("，", ",").replace("／", "/")
    for han, digit in _CHINESE_DIGITS.items():
        text = re.sub(rf"(?<=[:：\s]){han}(?=\s*分|\s*/|\s*$|\s*\n)", digit, text)
    return text


def _in_range(value: str, low: int, high: int) -> float:
    number = float(value)
    if not low <= number <= high:
        raise ScoreParseError(f"score {number} outside {low}..{high}")
    return number


def parse_scores(text: str, aspects: Sequence[str], low: int = 1, high: int = 5) -> dict[str, float]:
    """Scores for every aspect, or ScoreParseError naming what was missing."""
    text = _normalise(text or "")
    for strategy in (_from_tags, _from_json, _from_labels):
        found = strategy(text, aspects, low, high)
        if found is not None and set(found) == set(aspects):
            return found
    bare = _from_bare_numbers(text, aspects, low, high)
    if bare is not None:
        return bare
    raise ScoreParseError(f"could not find scores for {', '.join(aspects)} in the judge's answer")


def _from_tags(text: str, aspects: Sequence[str], low: int, high: int) -> dict[str, float] | None:
    found = {}
    for aspect in aspects:
        match = re.search(rf"<{aspect}>\s*{_NUMBER}\s*(?:/\s*5)?\s*</{aspect}>", text, re.IGNORECASE)
        if match:
            found[aspect] = _in_range(match.group(1), low, high)
    return found or None


def _from_json(text: str, aspects: Sequence[str], low: int, high: int) -> dict[str, float] | None:
    for match in re.finditer(r"\{[^{}]*\}", text, re.DOTALL):
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        lowered = {str(k).lower().strip(): v for k, v in data.items()}
        found = {}
        for aspect in aspects:
            for alias in ASPECT_ALIASES.get(aspect, (aspect,)):
                value = lowered.get(alias, lowered.get(alias.replace(" ", "_")))
                if isinstance(value, (int, float, str)) and re.fullmatch(r"\s*[1-5](\.\d+)?\s*", str(value)):
                    found[aspect] = _in_range(str(value), low, high)
                    break
        if found:
            return found
    return None


def _from_labels(text: str, aspects: Sequence[str], low: int, high: int) -> dict[str, float] | None:
    found = {}
    for aspect in aspects:
        # longest names first so "content detail" wins over "content"
        for alias in sorted(ASPECT_ALIASES.get(aspect, (aspect,)), key=len, reverse=True):
            pattern = rf"{re.escape(alias)}[\s*_#\-]*(?:score|评分|得分)?[\s*]*[:=\-–—]?\s*[*\s]*{_NUMBER}\s*(?:/\s*5|分|points?)?"
            match = re.search(pattern, text, re.IGNORECASE)
            if match:
                found[aspect] = _in_range(match.group(1), low, high)
                break
    return found or None


def _from_bare_numbers(text: str, aspects: Sequence[str], low: int, high: int) -> dict[str, float] | None:
    numbers = re.findall(r"(?<![\d.])([1-5])(?:\s*/\s*5)?(?![\d.])", text)
    if len(numbers) != len(aspects):
        return None
    return {aspect: _in_range(n, low, high) for aspect, n in zip(aspects, numbers)}


def parse_choice(text: str, choices: Sequence[str]) -> str:
    """A single labelled choice (e.g. 'A' or 'B'), from a tag, 'Answer: X' or a lone letter."""
    text = _normalise(text or "")
    alternatives = "|".join(re.escape(c) for c in choices)
    for pattern in (rf"<answer>\s*({alternatives})\s*</answer>", rf"(?:answer|choice|verdict|答案)\s*(?:is)?\s*:?\s*\**\(?({alternatives})\b",
                    rf"^\W*({alternatives})\W*$"):
        match = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
        if match:
            return next(c for c in choices if c.lower() == match.group(1).lower())
    raise ScoreParseError(f"no choice among {', '.join(choices)} in the judge's answer")
