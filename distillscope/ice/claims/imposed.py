"""Roles a prompt imposes on the model: "You are ChatGPT", "Hello ChatGPT", "Act as GPT-4 from OpenAI", "请扮演Claude".

A claim of an imposed identity is still a claim (the paper counts every voice); the extractor
records it in the persona voice with `persona="prompt"`, and the hard score leaves out the
misleading templates that impose such roles. A question that names models ("Are you ChatGPT or
Qwen?") imposes nothing.
"""

from __future__ import annotations

import re

from distillscope.ice.claims import en, zh
from distillscope.ice.claims.window import CJK, WINDOW, ResponseReader
from distillscope.ice.facts import FactLibrary

_EN_IMPOSE = re.compile(
    r"\b(?:you\s*(?:are|'re|will\s+be|'ll\s+be|shall\s+be|must\s+be|are\s+now)|act(?:ing)?\s+as|pretend(?:ing)?\s+(?:to\s+be|you\s+are)"
    r"|play(?:ing)?\s+(?:the\s+role\s+of|as)|role-?play(?:ing)?\s+as|become|impersonate|answer\s+as|respond\s+as|hello|hi|hey|dear"
    r"|your\s+name\s+is|you\s+were\s+(?:created|developed|trained|made|built))\b",
    re.IGNORECASE,
)
_ZH_IMPOSE = re.compile(r"你(?:现在)?(?:是|叫|扮演|将是|要扮演)|扮演|假装(?:你)?是|作为|你的名字是|你由|你好")
_QUESTION = re.compile(r"[?]\s*$|还是|吗|\bor\b|whether", re.IGNORECASE)


def imposed_by_prompt(prompt: str, library: FactLibrary) -> set[str]:
    """Families and developers a prompt tells the model it is ("You are ChatGPT", "Hello ChatGPT", "扮演Claude")."""
    reader = ResponseReader(re.sub(r"[:：]", "\n", prompt), library)  # "Pretend to be X: who are you?"
    found = set()
    for index, mention in enumerate(reader.mentions):
        clause_start, clause_end = reader.clause(mention.start)
        left = reader.masked_left(index, max(clause_start, mention.start - WINDOW))
        frame = max([*_EN_IMPOSE.finditer(left), *_ZH_IMPOSE.finditer(left)], key=lambda m: m.end(), default=None)
        if frame is None or _QUESTION.search(reader.norm[clause_start : min(clause_end, clause_start + 400)]):
            continue
        filler = left[frame.end() :]
        negation = (zh.NEGATION if CJK.search(frame.group(0)) else en.NEGATION).search(filler)
        if not negation and (zh.filler_ok(filler) if CJK.search(frame.group(0)) else en.filler_ok(filler)):
            found.add(mention.id)
    return found
