"""How a conversation is written out for a base model, which has no chat template.

Base models continue text, so we frame the conversation as a question/answer
transcript and stop when the model starts the next question. The frame is part
of the rendered input and therefore of the store key: changing it here
changes the keys, as it should, since the model then sees different text.
"""

from __future__ import annotations

from collections.abc import Sequence

from distillscope.types import Message

DEFAULT_PREAMBLE = "The following is a conversation between a curious user and a helpful, knowledgeable AI assistant."
QA_STOP = ["\nQuestion:", "\nQ:", "\n\n\n"]


def render_qa_frame(messages: Sequence[Message]) -> str:
    """`Question: ...` / `Answer: ...` turns, ending with an open `Answer:`."""
    system = next((m.content for m in messages if m.role == "system"), None)
    lines = [system.strip() if system else DEFAULT_PREAMBLE, ""]
    for message in messages:
        if message.role == "user":
            lines.append(f"Question: {message.content.strip()}")
        elif message.role == "assistant":
            lines.append(f"Answer: {message.content.strip()}")
            lines.append("")
    lines.append("Answer:")
    return "\n".join(lines)
