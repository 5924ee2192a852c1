"""How one family or developer name in a response is judged from the words around it.

The reading half of the identity-claim extractor (claims.py): the response is
normalised once (same length, so spans stay valid), cut into clauses, and each
name is judged on a bounded window of its clause by the English and Chinese
rules (`en.py`, `zh.py`): a claim, a negated claim, or a mere mention,
with a hint when the claim is hypothetical or inside a reported quotation.
Bounded windows and one cache of verdicts keep the extractor linear in the
length of the answer.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Literal

from distillscope.ice.claims import en, zh
from distillscope.ice.facts import FactLibrary

Status = Literal["claim", "negated", "mention"]
#: why a claim is not in the model's own voice, read from its clause
Hint = Literal["quoted", "hypothetical"]

WINDOW = 220  # characters of a clause read to the left of a name (frames and filler are short)
_RIGHT = 160
_CLAUSE_BREAK = re.compile(r"(?<=[.!?])\s+|[。！？；;\n]")
_TO_ASCII = str.maketrans(
    {
        "，": ",",
        "：": ":",
        "（": "(",
        "）": ")",
        "！": "!",
        "？": "?",
        "；": ";",
        "’": "'",
        "‘": "'",
        "＂": " ",
        '"': " ",
        "“": " ",
        "”": " ",
        "「": " ",
        "」": " ",
        "『": " ",
        "』": " ",
        "*": " ",
        "`": " ",
        "~": " ",
        "\u200b": " ",
        "\u200c": " ",
        "\u200d": " ",
        "\ufeff": " ",
        "\xa0": " ",
        "\u3000": " ",
        "[": " ",
        "]": " ",
        "【": " ",
        "】": " ",
        "《": " ",
        "》": " ",
    }
)
_LONE_QUOTE = re.compile(r"(?<![A-Za-z])'|'(?![A-Za-z])")
_QUOTE = re.compile(r"[\"“”「」『』]")
CJK = re.compile(r"[\u4e00-\u9fff]")
_RELATIVE_VERB = re.compile(
    r"^\s*(?:has\s+|had\s+)?(?:built|created|developed|trained|made|designed|engineered|released|launched)\b", re.IGNORECASE
)
_DATA_OF = re.compile(
    r"^(?:'s)?\s+(?:[\w-]+\s+){0,2}?(?:outputs?|data|dataset|responses|answers|generations|conversations|api|transcripts)\b", re.IGNORECASE
)
_DATA_FROM = re.compile(r"\b(?:data|outputs?|responses|text|answers|conversations)\s+(?:from|of)\s+(?:the\s+)?$", re.IGNORECASE)
_LIKE = re.compile(r"^-?\s?(?:like|esque|alike|type)\b", re.IGNORECASE)
_THIS_IS = re.compile(r"\bthis\s+is\s*$", re.IGNORECASE)
_THIS_IS_RIGHT = re.compile(r"^\s*(?:[,.!:;—–)\-]|$|(?:here|speaking|talking|again|writing|responding)\b)", re.IGNORECASE)
_IDENTITY_COPULA = re.compile(r"(?:\bas|\bbeing|\bi\s*(?:am|'m)|作为|我是|我乃)\s*$", re.IGNORECASE)
_MAKER_WORD = re.compile(r"\b(?:by|from|at|of)\b|由|被", re.IGNORECASE)
_AFTER_BUT = re.compile(r"\bbut\b|\bhowever\b|\bactually\b|但|不过|而是|其实", re.IGNORECASE)


def normalize(text: str) -> str:
    """Same length as the input (spans stay valid): markdown, quotes and full-width punctuation become plain."""
    return _LONE_QUOTE.sub(" ", text.translate(_TO_ASCII))


class ResponseReader:
    """One response: its normalized text, clauses and names, read once."""

    def __init__(self, text: str, library: FactLibrary) -> None:
        self.text, self.norm = text, normalize(text)
        self.mentions = library.mentions(self.norm)
        self.mention_starts = [m.start for m in self.mentions]
        starts, position = [0], 0
        for match in _CLAUSE_BREAK.finditer(self.norm):
            position = match.end()
            starts.append(position)
        self.clause_starts = starts

    def clause(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.clause_starts, offset) - 1
        end = self.clause_starts[index + 1] if index + 1 < len(self.clause_starts) else len(self.norm)
        return self.clause_starts[index], end

    def masked_left(self, index: int, window_start: int) -> str:
        """Text from window_start to the name, with the other names in it replaced by NUL."""
        mention = self.mentions[index]
        pieces, cursor = [], mention.start
        j = index - 1
        while j >= 0 and self.mentions[j].start >= window_start:
            other = self.mentions[j]
            pieces.append(self.norm[other.end : cursor])
            pieces.append("\x00")
            cursor = other.start
            j -= 1
        pieces.append(self.norm[window_start:cursor])
        return "".join(reversed(pieces))


def classify(reader: ResponseReader, index: int, anchor: int | None = None) -> tuple[Status, Hint | None]:
    """(status, voice hint) of one name from its clause: claim, negated or mention; hint hypothetical or quoted."""
    mention = reader.mentions[index]
    clause_start, clause_end = reader.clause(mention.start)
    window_start = max(clause_start, mention.start - WINDOW)
    left = reader.masked_left(index, window_start)
    right = reader.norm[mention.end : min(clause_end, mention.end + _RIGHT)]
    status, hint = judge_window(left, right)
    if status == "mention" and anchor is not None and anchor >= window_start:
        between = reader.norm[anchor : mention.start]  # "Claude here, an assistant made by Anthropic": the claimed name is the frame
        if (zh.filler_ok(between) if CJK.search(between) else en.filler_ok(between)) and not en.NEGATION.search(between):
            status, hint = "claim", None
    if status == "claim" and hint is None and _quoted(reader, clause_start, mention.start):
        return "claim", "quoted"
    return status, hint


@lru_cache(maxsize=8192)
def judge_window(left: str, right: str) -> tuple[Status, Hint | None]:
    """The rules on the words left and right of a name (other names as NUL); cached, as long answers repeat themselves."""
    chinese = bool(CJK.search(left[-12:] + right[:12]))
    first_person = bool(en.FIRST_PERSON.search(left) or en.FIRST_PERSON.search(right) or zh.SELF_WORD.search(left + right))
    frame_start, frame_text = len(left), ""
    if en.JAILBROKEN.match(right) and not re.search(r"\w", left):
        return "claim", None  # the jailbroken model names itself in the template's status line
    active = zh.ACTIVE_AFTER.match(right) or en.ACTIVE_AFTER.match(right)
    if active:
        if en.NEGATION.search(active.group(0)) or zh.NEGATION.search(active.group(0)):
            return "negated", None
    elif (
        first_person
        and (en.POLICY_AFTER.match(right) or en.POLICY_BEFORE.search(left) or zh.POLICY_AFTER.match(right))
        and en.POLICY_VERB.search(left[-100:])
    ):
        pass  # "I am free from OpenAI's content policy": the speaker places itself under OpenAI
    else:
        frames = [m for m in en.FRAME.finditer(left)] + [m for m in zh.FRAME.finditer(left)]
        frames += [
            m for m in en.APPOSITIVE.finditer(left) if en.FIRST_PERSON.search(right) or zh.SELF_WORD.search(right) or "我" in right[:40]
        ]
        frames = [
            m for m in frames if not m.group(0).endswith("作为") or "我" in right or left[: m.start()].endswith("我")
        ]  # 作为X开发的AI，我…
        best = max(frames, key=lambda m: (m.end(), -m.start()), default=None)
        if best is None:
            return ("claim", None) if en.FRAGMENT_LEFT.match(left) and en.FRAGMENT_RIGHT.match(right) else ("mention", None)
        frame_start, frame_text = best.start(), best.group(0)
        filler = left[best.end() :]
        if _RELATIVE_VERB.match(right):
            filler = re.sub(r"\b(?:that|which|whom)\s*$", " ", filler)  # "an AI system that Google built"
        if _DATA_OF.match(right) or _DATA_FROM.search(filler):
            return "mention", None  # "trained on OpenAI's outputs", "data from ChatGPT": about the data, not the maker
        if _LIKE.match(right):
            return "mention", None  # "a ChatGPT-like assistant"
        if _THIS_IS.search(frame_text) and (en._NAME_JOIN.sub("", filler).strip() or not _THIS_IS_RIGHT.match(right)):
            return "mention", None  # "This is ChatGPT speaking." introduces; "This is a Microsoft platform" describes a thing
        if (
            _IDENTITY_COPULA.search(frame_text)
            and not _MAKER_WORD.search(filler)
            and (zh.HUMAN_ROLE_AFTER if CJK.search(frame_text) else en.HUMAN_ROLE_AFTER).match(right)
        ):
            return "mention", None  # "As a GPT model observer, I", "I'm an OpenAI employee": a person, not the model
        zh_frame = bool(CJK.search(frame_text))
        negation = (zh.NEGATION if zh_frame else en.NEGATION).search(frame_text + " " + filler)
        if negation or (zh_frame and en.NEGATION.search(filler)):
            return "negated", None
        if not (zh.filler_ok(filler) if zh_frame else en.filler_ok(filler)):
            return "mention", None
        if ("\x00" in filler or re.search(r"\band\s*$", filler)) and en.THIRD_PERSON_NEXT.match(right):
            return "mention", None  # "I am Qwen and ChatGPT is ...": a new subject
        chinese = zh_frame
    prefix = _AFTER_BUT.split(left[max(0, frame_start - 120) : frame_start])[-1] + " " + frame_text
    if en.HYPOTHETICAL.search(prefix) or zh.HYPOTHETICAL.search(prefix if chinese else prefix[-20:]):
        return "claim", "hypothetical"
    if chinese and re.match(r"^[^,]*(?:吗|\?)", right):
        return "claim", "hypothetical"  # "我是在阿里巴巴的数据上训练的吗？": a question, not an answer
    if not chinese and en.NEGATION.search(left[max(0, frame_start - 12) : frame_start]):
        return "negated", None
    return "claim", None


def _quoted(reader: ResponseReader, clause_start: int, offset: int) -> bool:
    """Inside a quotation that reports someone's words: 'users write "I am Claude"'."""
    start = max(clause_start, offset - WINDOW)
    quotes = [m.start() for m in _QUOTE.finditer(reader.text, start, offset)]
    if len(quotes) % 2 == 0:
        return False
    opening = quotes[-1]
    return bool(en.REPORTING.search(reader.text[max(clause_start, opening - 60) : opening]))
