"""transformers backend: batched generation, model directories or GGUF files.

This is the trainable path: the distillation issue loads a student here,
fine-tunes it with LoRA and serves the result as a new `hf/<dir>` spec.
Greedy requests are decoded side by side with continuous refill
(hf_refill.py: a new prompt takes each finished answer's row, so answers of
different lengths and `max_tokens` share a batch), or, where a model's cache
does not allow it, by padded `generate` on chunks of similar prompt length;
sampled requests run one at a time so each sample gets its own seed and
stays reproducible. Either way greedy answers are those of `batch_size=1`
(up to floating-point order), so `batch_size` is not in the store key.

`hf/<dir>` loads a saved model directory; `hf/<file.gguf>` dequantises a
GGUF file (slow, but trainable); `hf/<built-in name>` uses a built-in GGUF.
Options: `batch_size` (rows decoded together, default 8), `mode` (chat | completion | auto),
`dtype` (float32 default on CPU), `weights` (a free tag kept in the store
key: distillation sets it to the training fingerprint, so a directory
retrained on other data never reuses the old model's stored answers).
A request with `sampling.top_logprobs` also gets, per generated token, the
top-k of the log-softmax of that step's raw logits (logprob judging).

Store keys never need the weights: `mode=auto` reads whether the model has a
chat template from the tokenizer files (or the GGUF's metadata), and the key
carries a cheap fingerprint of the model's files, so a fully cached run loads
nothing and a replaced model never gets the old one's answers.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from pathlib import Path
from typing import Any

from distillscope.errors import ModelFileError, UserError
from distillscope.extras import require
from distillscope.models.base import BlockingModel
from distillscope.models.fingerprint import dir_fingerprint, file_fingerprint
from distillscope.models.gguf_file import check_gguf, has_chat_template
from distillscope.models.prompt_format import QA_STOP, render_qa_frame
from distillscope.models.spec import ModelSpec
from distillscope.types import Completion, GenerationRequest

logger = logging.getLogger(__name__)
#: the runner hands over this many widths of greedy requests per call, so finished rows are refilled within the call
REFILL_CHUNKS = 4


def resolve_hf_source(name: str) -> tuple[Path, str | None]:
    """(directory, gguf file name or None) for an `hf/` spec name."""
    path = Path(name).expanduser()
    if not path.exists():
        from distillscope.models.builtin import BUILTIN_MODELS, ensure_builtin

        if name in BUILTIN_MODELS:
            path = ensure_builtin(name)
        else:
            raise ModelFileError(
                f"model path {path} does not exist (models are never downloaded from a hub)",
                "give a local model directory or .gguf file",
            )
    if path.is_file():
        check_gguf(path)
        return path.parent, path.name
    if not (path / "config.json").exists():
        raise ModelFileError(f"{path} has no config.json, so it is not a transformers model directory", "check the path")
    return path, None


def has_chat_template_files(directory: Path, gguf_file: str | None) -> bool:
    """Whether transformers will find a chat template for this model, read from its files alone.

    The places transformers looks: `chat_template.jinja` / `chat_template.json`
    (newer saves), `chat_template` in `tokenizer_config.json` (older saves),
    and the GGUF's `tokenizer.chat_template` metadata.
    """
    if gguf_file:
        return has_chat_template(directory / gguf_file)
    if (directory / "chat_template.jinja").is_file():
        return True
    for name in ("chat_template.json", "tokenizer_config.json"):
        try:
            config = json.loads((directory / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(config, dict) and config.get("chat_template"):
            return True
    return False


class HFModel(BlockingModel):
    provider = "hf"
    default_batch_size = 8
    identity_options = frozenset({"mode", "dtype", "weights"})
    operational_options = frozenset({"batch_size"})
    supports_logprobs = True
    local = True
    trainable = True

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.mode_option = spec.opt_str("mode", "auto") or "auto"
        if self.mode_option not in ("chat", "completion", "auto"):
            raise UserError(f"mode={self.mode_option!r} is not a transformers mode", "use chat, completion or auto")
        # `batch_size` is the decoding width; the runner's batches are larger so rows refill within a call
        self.width = self.batch_size
        self.batch_size = self.width * REFILL_CHUNKS if self.width > 1 else 1
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        self._auto_mode: str | None = None

    @property
    def mode(self) -> str:
        if self.mode_option != "auto":
            return self.mode_option
        if self._auto_mode is None:
            self._auto_mode = "chat" if has_chat_template_files(*resolve_hf_source(self.spec.name)) else "completion"
        return self._auto_mode

    def fingerprint(self) -> str | None:
        from distillscope.models.builtin import BUILTIN_MODELS, builtin_fingerprint

        if self.spec.name in BUILTIN_MODELS and not Path(self.spec.name).expanduser().exists():
            return builtin_fingerprint(self.spec.name)
        directory, gguf_file = resolve_hf_source(self.spec.name)
        return file_fingerprint(directory / gguf_file) if gguf_file else dir_fingerprint(directory)

    async def preflight(self) -> None:
        require("torch", purpose="the transformers backend")
        require("transformers", purpose="the transformers backend")
        resolve_hf_source(self.spec.name)

    def tokenizer(self) -> Any:
        self._load()
        return self._tokenizer

    def _load(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            transformers = require("transformers", purpose="the transformers backend")
            torch = require("torch", purpose="the transformers backend")
            directory, gguf_file = resolve_hf_source(self.spec.name)
            dtype = getattr(torch, self.spec.opt_str("dtype", "float32") or "float32")
            kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(directory, **kwargs)
                model = transformers.AutoModelForCausalLM.from_pretrained(directory, dtype=dtype, **kwargs)
            except (OSError, ValueError) as exc:
                raise ModelFileError(f"transformers could not load {self.spec.name} ({exc})", "check the model files") from exc
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            model.eval()
            self._tokenizer, self._model = tokenizer, model

    def _render(self, request: GenerationRequest) -> str:
        if self.mode == "completion":
            return render_qa_frame(request.messages)
        messages = [m.model_dump() for m in request.messages]
        return self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def generate_blocking(self, requests: list[GenerationRequest]) -> list[Completion]:
        self._load()
        greedy = [r for r in requests if r.sampling.temperature == 0]
        sampled = [r for r in requests if r.sampling.temperature > 0]
        results: dict[int, Completion] = {}
        # Log-probability requests keep padded `generate`, which hands back every step's raw logits;
        # refill would have to gather them row by row across joins for a path (judging) that is rarely greedy-bound.
        refill = [r for r in greedy if not r.sampling.top_logprobs] if self.width > 1 else []
        if refill and (completions := self._generate_refill(refill)) is not None:
            results.update(zip(map(id, refill), completions))
            greedy = [r for r in greedy if id(r) not in results]
        # one padded batch per max_tokens value (and top_logprobs), so no request is cut short by another's limit;
        # sorted by prompt length, so a chunk of `width` pads little
        for shape in sorted({(r.sampling.max_tokens, r.sampling.top_logprobs or 0) for r in greedy}):
            batch = sorted((r for r in greedy if (r.sampling.max_tokens, r.sampling.top_logprobs or 0) == shape), key=self._prompt_length)
            for start in range(0, len(batch), self.width):
                chunk = batch[start : start + self.width]
                results.update(zip(map(id, chunk), self._generate_batch(chunk, seed=None)))
        for request in sampled:
            results[id(request)] = self._generate_batch([request], seed=request.sampling.seed_for(request.sample_index))[0]
        return [results[id(r)] for r in requests]

    def _prompt_ids(self, request: GenerationRequest) -> list[int]:
        """The prompt's token ids, as the padded batch tokenizes them (without the padding)."""
        return list(self._tokenizer(self._render(request), add_special_tokens=self.mode == "completion")["input_ids"])

    def _prompt_length(self, request: GenerationRequest) -> int:
        return len(self._prompt_ids(request))

    def _generate_refill(self, requests: list[GenerationRequest]) -> list[Completion] | None:
        """Greedy answers by continuous refill, in request order; None where this model's cache does not allow it."""
        from distillscope.models.hf_refill import RefillJob, greedy_refill, refill_blocker

        jobs = [RefillJob(self._prompt_ids(r), r.sampling.max_tokens) for r in requests]
        blocker = refill_blocker(self._model, jobs)
        if blocker is not None:
            logger.debug("hf/%s: padded generate on length-sorted chunks, no refill (%s)", self.spec.name, blocker)
            return None
        logger.debug("hf/%s: continuous refill, %d requests over %d rows", self.spec.name, len(jobs), self.width)
        outputs = greedy_refill(self._model, jobs, self.width, self._answer_ended)
        return [self._completion(out, len(job.prompt)) for out, job in zip(outputs, jobs)]

    def _stop_ids(self) -> set[int]:
        """Tokens that end an answer: the tokenizer's end and padding, and every end token `generate` stops at."""
        eos = getattr(self._model.generation_config, "eos_token_id", None)
        ids = [*eos] if isinstance(eos, (list, tuple)) else [eos]
        return {i for i in [*ids, self._tokenizer.eos_token_id, self._tokenizer.pad_token_id] if i is not None}

    def _answer_ended(self, new_ids: list[int]) -> bool:
        """Whether a growing answer is over (refill frees its row): an end token, or a stop string (completion mode)."""
        if new_ids[-1] in self._stop_ids():
            return True
        return self.mode == "completion" and _cut_at_stop(self._tokenizer.decode(new_ids, skip_special_tokens=True))[1]

    def _answer_length(self, new_ids: list[int]) -> int:
        """Tokens the answer is made of: those before the first end token, cut after the token that completes a stop string.

        The same count whichever path decoded the answer: refill stops at that
        token, padded `generate` runs on and is cut here.
        """
        stop_ids = self._stop_ids()
        length = next((i for i, token in enumerate(new_ids) if token in stop_ids), len(new_ids))
        decode = self._tokenizer.decode
        if self.mode == "completion" and _cut_at_stop(decode(new_ids[:length], skip_special_tokens=True))[1]:
            length = next(i for i in range(1, length + 1) if _cut_at_stop(decode(new_ids[:i], skip_special_tokens=True))[1])
        return length

    def _completion(self, new_ids: list[int], prompt_tokens: int, extra: dict[str, Any] | None = None) -> Completion:
        """A generated row as a Completion: text up to the answer's end, and why it ended."""
        length = self._answer_length(new_ids)
        finished = length < len(new_ids) or (length > 0 and self._answer_ended(new_ids[:length]))
        text = self._tokenizer.decode(new_ids[:length], skip_special_tokens=True)
        if self.mode == "completion":
            text = _cut_at_stop(text)[0].strip()
        return Completion(
            text=text,
            finish_reason="stop" if finished else "length",
            prompt_tokens=prompt_tokens,
            completion_tokens=length,
            **(extra or {}),
        )

    def _generate_batch(self, requests: list[GenerationRequest], seed: int | None) -> list[Completion]:
        torch = require("torch")
        tokenizer, model = self._tokenizer, self._model
        texts = [self._render(r) for r in requests]
        inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=self.mode == "completion")
        sampling = requests[0].sampling
        kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_tokens, "pad_token_id": tokenizer.pad_token_id}
        if seed is None:
            kwargs["do_sample"] = False
        else:
            torch.manual_seed(seed)
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
        top_k = sampling.top_logprobs
        if top_k:
            kwargs.update(output_scores=True, output_logits=True, return_dict_in_generate=True)
        with torch.no_grad():
            output = model.generate(**inputs, **kwargs)
        steps = None
        if top_k:
            # raw logits where this transformers gives them (scores are after repetition penalties and the like)
            steps = getattr(output, "logits", None) or output.scores
            output = output.sequences
        prompt_len = inputs["input_ids"].shape[1]
        completions = []
        for index, (row, attention) in enumerate(zip(output, inputs["attention_mask"])):
            new_ids = row[prompt_len:].tolist()
            length = self._answer_length(new_ids)
            extra = _top_logprobs(tokenizer, steps, index, new_ids[:length], top_k) if top_k and steps is not None else None
            completions.append(self._completion(new_ids, int(attention.sum()), extra))
        return completions


def _top_logprobs(tokenizer: Any, steps: Any, row: int, new_ids: list[int], top_k: int) -> dict[str, Any]:
    """Per generated token of one row: its text and the top-k alternatives' log-probabilities."""
    torch = require("torch")
    tokens, top = [], []
    for step, token_id in zip(steps, new_ids):
        logprobs = torch.log_softmax(step[row].float(), dim=-1)
        values, ids = torch.topk(logprobs, top_k)
        alternatives: dict[str, float] = {}
        for value, alt in zip(values.tolist(), ids.tolist()):
            text = tokenizer.decode([alt])
            if text in alternatives:  # two token ids with one text (byte pieces): their probabilities add up
                high, low = max(alternatives[text], value), min(alternatives[text], value)
                value = high + math.log1p(math.exp(low - high))
            alternatives[text] = value
        alternatives.setdefault(tokenizer.decode([token_id]), float(logprobs[token_id]))
        tokens.append(tokenizer.decode([token_id]))
        top.append(alternatives)
    return {"tokens": tokens, "top_logprobs": top}


def _cut_at_stop(text: str) -> tuple[str, bool]:
    cuts = [text.find(s) for s in QA_STOP if s in text]
    if not cuts:
        return text, False
    return text[: min(cuts)], True
