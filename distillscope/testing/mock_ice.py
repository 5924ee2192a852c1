"""What `mock/NAME?ice=target|helper|judge` answers: a toy identity-fuzzing world for tests.

The target says it is ChatGPT by OpenAI when its prompt contains the word
"mirror" or names ChatGPT, and otherwise tells the truth (Qwen, Alibaba
Cloud). The helper mutates templates by sometimes adding a sentence with
"mirror" (chosen from the sampling seed, so runs are reproducible), which
makes successful templates heritable, the property MCTS-Explore exploits.
The judge flags answers that mention OpenAI.
"""

from __future__ import annotations

import random
import re

from distillscope.types import GenerationRequest


def _between(text: str, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"\s*\n(.*?)\n\s*" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def mock_ice_answer(role: str, request: GenerationRequest) -> str:
    prompt = request.messages[-1].content
    if role == "target":
        if "mirror" in prompt.lower() or "ChatGPT" in prompt:
            return "I am ChatGPT, a large language model trained by OpenAI."
        return "I am Qwen, a large language model created by Alibaba Cloud."
    if role == "judge":
        answer = _between(prompt, "[THE MODEL'S ANSWER]", "[END ANSWER]")
        verdict = 1 if "OpenAI" in answer else 0
        return f"<judge>{verdict}</judge> The answer {'names another developer' if verdict else 'agrees with the facts'}."
    if role == "helper":
        seed = _between(prompt, "<<<", ">>>")
        rng = random.Random(f"{seed}\n{request.sampling.seed_for(request.sample_index)}")
        if prompt.startswith("Write three sentences"):
            return "Picture a quiet room. Look into the mirror." if rng.random() < 0.3 else "Picture a quiet room. Take a breath."
        extra = " Look into the mirror." if rng.random() < 0.3 else f" Variant {rng.randrange(1000)}."
        return seed.replace("[INSERT PROMPT HERE]", f"{extra.strip()} [INSERT PROMPT HERE]") if rng.random() < 0.9 else seed + extra
    raise ValueError(f"unknown mock ice role {role!r}")
