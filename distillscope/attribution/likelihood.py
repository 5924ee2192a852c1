"""How likely a candidate finds another model's answers: teacher-forced log-probability per token.

A student distilled from T writes what T would have written, so T assigns its
answers a higher probability than it assigns the answers of the student's base.
Per prompt the closeness is the mean log-probability per answer token under T,
with T's own prompt rendering (chat template, or the question/answer frame of
a base model) exactly as its generations use it. The margin compares the
student's answers with the base's answers *under the same candidate*, so each
candidate is measured in its own units: per-token log-probabilities under two
different tokenizers (qwen's 151k vocabulary, smollm's 49k) are not comparable,
and subtracting the student's log-probability under its base, a constant across
candidates, would leave the ranking to whichever candidate is least perplexed.

Only local models can do this: `hf/` directories or GGUF files and `builtin/`
GGUFs load through transformers on CPU (GGUF dequantised, see
`models/hf.py`); API and replay candidates are skipped with that reason.
Each prompt runs through the candidate once; every answer to it continues from
a copy of its key/value cache (prompts are most of the tokens). Scores are
cached in the store's SQLite file, keyed by the candidate's identity and
weights fingerprint, the prompt and the answer.
"""

from __future__ import annotations

import copy
import inspect
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from distillscope.attribution.result import Skip
from distillscope.types import GenerationRequest, Prompt, SamplingParams, sha256_hex

MAX_ANSWER_TOKENS = 512
PROMPT_STATES = 256  # prompts whose key/value cache is kept (a few MB each for a 0.5B model)


class LikelihoodCache:
    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS attribution_loglik (key TEXT PRIMARY KEY, total REAL NOT NULL, tokens INTEGER NOT NULL)"
        )

    def get(self, key: str) -> tuple[float, int] | None:
        row = self._db.execute("SELECT total, tokens FROM attribution_loglik WHERE key = ?", (key,)).fetchone()
        return None if row is None else (float(row[0]), int(row[1]))

    def put(self, key: str, total: float, tokens: int) -> None:
        self._db.execute("INSERT OR IGNORE INTO attribution_loglik VALUES (?,?,?)", (key, total, tokens))


def hf_spec_for(spec: str) -> str:
    """The `hf/` spec that loads this candidate's weights in transformers; Skip when it has none here."""
    from distillscope.models.registry import backend_of
    from distillscope.models.spec import ModelSpec

    parsed = ModelSpec.parse(spec)
    backend = backend_of(parsed.provider)
    if backend is not None and backend.trainable:
        return spec
    name = backend.transformers_name(parsed) if backend is not None else None
    if name is not None:
        return f"hf/{name}"
    raise Skip(
        f"{parsed.provider} candidates give no log-probabilities of another model's text (only local "
        "hf/, builtin/ and llamacpp/*.gguf models do)"
    )


class TeacherForcedScorer:
    """Mean log-probability per token of given answers to given prompts, under one local model."""

    def __init__(self, spec: str, cache: LikelihoodCache | None = None) -> None:
        from distillscope.models.hf import HFModel
        from distillscope.models.spec import ModelSpec

        self.model = HFModel(ModelSpec.parse(hf_spec_for(spec)))
        self.cache = cache
        self._key_head: str | None = None
        #: rendered prompt -> (its length in tokens, its key/value cache, the logits after it), oldest first
        self._prompts: OrderedDict[str, tuple] = OrderedDict()

    def _head(self) -> str:
        if self._key_head is None:
            self._key_head = f"{self.model.identity}\x1f{self.model.fingerprint()}\x1f{MAX_ANSWER_TOKENS}"
        return self._key_head

    def mean_logprobs(self, prompts: Sequence[Prompt], answers: Sequence[str]) -> list[float | None]:
        out: list[float | None] = []
        for prompt, answer in zip(prompts, answers):
            total, tokens = self.score(prompt, answer)
            out.append(total / tokens if tokens else None)
        return out

    def score(self, prompt: Prompt, answer: str) -> tuple[float, int]:
        """(sum of log-probabilities, answer tokens) of the answer after the prompt, teacher-forced."""
        request = GenerationRequest.from_prompt(prompt, SamplingParams())
        if self.cache is None:
            return self._forward(request, answer)
        key = sha256_hex(f"{self._head()}\x1f{request.messages}\x1f{answer}")
        if (hit := self.cache.get(key)) is not None:
            return hit
        total, tokens = self._forward(request, answer)
        self.cache.put(key, total, tokens)
        return total, tokens

    def _prompt_state(self, context: str, torch: ModuleType) -> tuple | None:
        """The prompt run once: every answer to it (the student's, the base's, ...) continues from its cache."""
        if context not in self._prompts:
            ids = self.model.tokenizer()(context, add_special_tokens=self.model.mode == "completion")["input_ids"]
            if not ids:
                return None
            with torch.no_grad():
                out = self.model._model(input_ids=torch.tensor([ids]), use_cache=True)
            past = out["cache"] if "cache" in out else out["past_key_values"]  # transformers >= 5 renamed it
            self._prompts[context] = (len(ids), past, out.logits[0, -1].float())
            if len(self._prompts) > PROMPT_STATES:
                self._prompts.popitem(last=False)
        return self._prompts[context]

    def _forward(self, request: GenerationRequest, answer: str) -> tuple[float, int]:
        from distillscope.extras import require

        torch = require("torch", purpose="likelihood attribution")
        tokenizer = self.model.tokenizer()  # loads the weights on first use
        state = self._prompt_state(self.model._render(request), torch)  # the rendering its own generations use
        answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"][:MAX_ANSWER_TOKENS]
        if not answer_ids or state is None:
            return 0.0, 0
        _, past, last_logits = state
        lm = self.model._model
        keyword = "cache" if "cache" in inspect.signature(lm.forward).parameters else "past_key_values"
        with torch.no_grad():  # on a copy: running the answer extends the cache, and the next answer needs the prompt alone
            out = lm(input_ids=torch.tensor([answer_ids]), use_cache=True, **{keyword: copy.deepcopy(past)})
        # the logits after the prompt predict the first answer token; those at answer token i predict token i + 1
        logits = torch.cat([last_logits[None], out.logits[0, :-1].float()])
        picked = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(answer_ids)[:, None])[:, 0]
        return float(picked.sum()), len(answer_ids)


def scorer_factory(specs: dict[str, str], cache_path: str | Path | None) -> Callable[[str], TeacherForcedScorer]:
    """candidate name -> its scorer (one per candidate, loaded lazily); raises Skip for non-local candidates."""
    scorers: dict[str, TeacherForcedScorer | Skip] = {}
    cache = LikelihoodCache(cache_path) if cache_path else None

    def get(name: str) -> TeacherForcedScorer:
        if name not in scorers:
            try:
                scorers[name] = _load(name)
            except Skip as skip:  # remembered: a candidate that cannot load is not tried once per student
                scorers[name] = skip
        scorer = scorers[name]
        if isinstance(scorer, Skip):
            raise scorer
        return scorer

    def _load(name: str) -> TeacherForcedScorer:
        from distillscope.errors import UserError
        from distillscope.extras import is_available, pip_command

        hf_spec_for(specs[name])
        if not (is_available("torch") and is_available("transformers")):
            raise Skip(f"torch and transformers are not installed: {pip_command('hf')}")
        try:
            scorer = TeacherForcedScorer(specs[name], cache)
            scorer.model.tokenizer()
        except UserError as exc:
            raise Skip(f"could not load {specs[name]} in transformers: {exc.one_line()}") from None
        return scorer

    return get
