"""Prompt text as two tools write it, brought to one form so their answers pair.

Tools store the same prompt differently: lm-evaluation-harness keeps the
string the model saw (a chat template's markers, a `Question: ... Answer:`
frame), inspect_ai and the OpenAI batch format keep messages, a dataset keeps
a column. Pairing on the raw strings would pair almost nothing, so a prompt
is split into its system prompt (recorded apart: two tools' system prompts
differ more often than their questions) and its conversation, and compared
with whitespace collapsed and the wrapping removed. Only wrapping is removed:
two prompts whose words differ never share a key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# (role, content) turns of the chat templates met in practice, each as one regex over the whole string
_TEMPLATES: list[re.Pattern[str]] = [
    # ChatML (Qwen, SmolLM, many fine-tunes)
    re.compile(r"<\|im_start\|>\s*(system|user|assistant)\s*\n?(.*?)(?:<\|im_end\|>|(?=<\|im_start\|>)|\Z)", re.S),
    # Llama 3
    re.compile(
        r"<\|start_header_id\|>\s*(system|user|assistant)\s*<\|end_header_id\|>\s*(.*?)(?:<\|eot_id\|>|(?=<\|start_header_id\|>)|\Z)", re.S
    ),
    # Gemma (its assistant is "model")
    re.compile(r"<start_of_turn>\s*(system|user|model)\s*\n?(.*?)(?:<end_of_turn>|(?=<start_of_turn>)|\Z)", re.S),
    # Phi-3
    re.compile(r"<\|(system|user|assistant)\|>\s*(.*?)(?:<\|end\|>|(?=<\|(?:system|user|assistant)\|>)|\Z)", re.S),
]
_INST = re.compile(r"\[INST\]\s*(?:<<SYS>>\s*(.*?)\s*<</SYS>>)?(.*?)\[/INST\]\s*([^\[]*)", re.S)  # Llama 2 / Mistral
_SPECIAL = re.compile(r"<\|begin_of_text\|>|<\|endoftext\|>|<bos>|<s>|</s>|<eos>")
_QA_FRAME = re.compile(r"^\s*(?:Question|Q)\s*:\s*(.*?)\s*(?:\n\s*(?:Answer|A)\s*:\s*)?$", re.S)
_WHITESPACE = re.compile(r"\s+")


def parse_template(text: str) -> list[tuple[str, str]] | None:
    """(role, content) turns if `text` is a chat template's output, else None."""
    for pattern in _TEMPLATES:
        turns = [(role, content) for role, content in pattern.findall(text)]
        if turns:
            return [("assistant" if role == "model" else role, content.strip()) for role, content in turns]
    if "[INST]" in text and "[/INST]" in text:
        turns = []
        for system, user, answer in _INST.findall(_SPECIAL.sub("", text)):
            if system.strip():
                turns.append(("system", system.strip()))
            turns.append(("user", user.strip()))
            if answer.strip():
                turns.append(("assistant", answer.strip()))
        return turns or None
    return None


def render_conversation(turns: Iterable[tuple[str, str]]) -> str:
    """The prompt kept for a multi-turn sample: its turns up to the last user turn, as a transcript.

    A single user turn is kept as it is, so a one-turn prompt reads (and pairs) like any other.
    """
    turns = [(role, content) for role, content in turns if role != "system"]
    while turns and turns[-1][0] != "user":
        turns.pop()  # the open assistant turn a template ends with, or an answer already given
    if len(turns) == 1:
        return turns[0][1]
    return "\n\n".join(f"{role.capitalize()}: {content}" for role, content in turns)


def split_prompt(raw: str) -> tuple[str | None, str]:
    """(system prompt, conversation text) of a prompt string, the chat template's wrapping removed."""
    turns = parse_template(raw)
    if turns is None:
        return None, _SPECIAL.sub("", raw).strip() or raw
    system = "\n".join(content for role, content in turns if role == "system") or None
    return system, render_conversation(turns) or raw


def split_messages(messages: Iterable[tuple[str, str]]) -> tuple[str | None, str]:
    """(system prompt, conversation text) of structured messages; a templated single user turn is unwrapped too."""
    messages = list(messages)
    system = "\n".join(content for role, content in messages if role in ("system", "developer") and content) or None
    rest = [(role, content) for role, content in messages if role not in ("system", "developer")]
    if len(rest) == 1 and rest[0][0] == "user":
        inner_system, text = split_prompt(rest[0][1])
        return system or inner_system, text
    return system, render_conversation(rest)


def match_key(text: str) -> str:
    """The form two prompts must share to pair: NFC, a `Question: ... Answer:` frame dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text)
    framed = _QA_FRAME.match(text)
    if framed and "\nQuestion:" not in framed.group(1):
        text = framed.group(1)
    return _WHITESPACE.sub(" ", text).strip()


def compatible(one: str, other: str) -> bool:
    """Whether two normalised prompts can be one sample's: equal, one inside the other (a template or few-shot
    context around it), or one unknown. Two tools' sample ids pair only compatible prompts, so ids that merely
    count from 1 in both files never pair different questions."""
    return not one or not other or one in other or other in one
