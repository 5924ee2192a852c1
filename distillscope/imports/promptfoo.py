"""promptfoo output JSON (`promptfoo eval -o results.json`).

Each entry of `results.results` is one (test case, prompt, provider): the
prompt as sent (`prompt.raw`; a chat prompt is a JSON list of messages), the
provider (`provider.id`, the answering model) and `response.output`. An entry
that errored (`failureReason` 2, or a response with an `error` and no output)
is counted and never used; a failed *assertion* is still an answer. A file
with several providers needs `model=` naming one. Repeats of one test case
(`--repeat`) are its samples 0, 1, ...
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from distillscope.errors import InputFileError
from distillscope.imports.normalise import split_messages, split_prompt
from distillscope.imports.records import ImportedAnswer

ERROR_REASON = 2


def promptfoo_entries(data: dict) -> list | None:
    """The result entries of a promptfoo output file, or None if it is not one."""
    results = data.get("results")
    if isinstance(results, dict) and isinstance(results.get("results"), list):
        return results["results"]
    if "evalId" in data and isinstance(results, list):
        return results
    return None


def _prompt(entry: dict) -> tuple[str | None, str]:
    prompt = entry.get("prompt")
    raw = prompt.get("raw") if isinstance(prompt, dict) else prompt
    if not isinstance(raw, str):
        return None, ""
    if raw.lstrip().startswith("["):
        try:
            messages = json.loads(raw)
        except ValueError:
            messages = None
        if isinstance(messages, list) and all(isinstance(m, dict) and "content" in m for m in messages):
            return split_messages((str(m.get("role", "user")), str(m["content"])) for m in messages)
    return split_prompt(raw)


def _provider(entry: dict) -> str | None:
    provider = entry.get("provider")
    if isinstance(provider, dict):
        return provider.get("label") or provider.get("id")
    return provider if isinstance(provider, str) else None


def read_promptfoo(path: Path, data: dict, skipped: Counter) -> tuple[list[ImportedAnswer], int]:
    entries = promptfoo_entries(data)
    if entries is None:
        raise InputFileError(f"{path} is not a promptfoo output file (no results.results)", "give the JSON that `promptfoo eval -o` wrote")
    seen: dict[tuple, int] = defaultdict(int)
    answers, errored = [], 0
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        response = found if isinstance(found := entry.get("response"), dict) else {}
        output = response.get("output")
        if entry.get("failureReason") == ERROR_REASON or (response.get("error") and not output) or (not response and entry.get("error")):
            errored += 1
            continue
        if not isinstance(output, str):
            output = json.dumps(output) if output is not None else None
        if not output or not output.strip():
            skipped["empty answers"] += 1
            continue
        system, text = _prompt(entry)
        if not text.strip():
            skipped["entries with no prompt text"] += 1
            continue
        test = found if isinstance(found := entry.get("testCase"), dict) else {}
        variables = entry.get("vars") if isinstance(entry.get("vars"), dict) else test.get("vars") or {}
        sample_id = str(variables["id"]) if isinstance(variables, dict) and variables.get("id") not in (None, "") else None
        doc = f"{entry.get('testIdx')}:{entry.get('promptIdx')}" if entry.get("testIdx") is not None else None
        model = _provider(entry)
        group = (model, doc, system, text)
        index, seen[group] = seen[group], seen[group] + 1
        answers.append(
            ImportedAnswer(text=text, system=system, sample_id=sample_id, doc=doc, sample_index=index, answer=output, model=model)
        )
    return answers, errored
