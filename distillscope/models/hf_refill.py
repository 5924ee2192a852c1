"""Greedy continuous refill for the transformers backend: several answers decoded side by side, a new prompt taking each finished one's row.

Padded `generate` runs a batch until its longest answer ends, finished rows
decoding padding meanwhile, and one `max_new_tokens` binds the whole batch.
Here up to `width` rows share one KV cache (left padded, each row with its
own position ids); when a row ends (end-of-sequence, a stop string, or its
own `max_tokens`), the next waiting prompt is prefilled on its own and its
KV joins the batch in that place, padding re-aligned on the left. Leading
columns that every row pads are dropped, so the cache is never longer than
the longest row.

A prompt is prefilled alone, exactly as single-stream `generate` does it
(same call, `logits_to_keep=1`), so its KV and first token are those of
batch_size=1; the batched steps then read the same values in a wider matrix
product, where only floating-point summation order can differ (measured in
benchmarks/hf_batching.py).

Only caches whose layers are plain tensors this module knows how to splice
qualify (`DynamicLayer`, and `DynamicSlidingWindowLayer` while every row
fits inside the window, where it stores what a full layer stores). Anything
else (other cache classes, logits processors in the generation config that
greedy `generate` would apply) gets `refill_blocker`'s reason, and the
caller falls back to padded `generate`.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: generation-config fields that make greedy `generate` pick other than the raw argmax (with their neutral values)
NEUTRAL_PROCESSORS: dict[str, tuple[Any, ...]] = {
    "repetition_penalty": (None, 1.0),
    "encoder_repetition_penalty": (None, 1.0),
    "no_repeat_ngram_size": (None, 0),
    "encoder_no_repeat_ngram_size": (None, 0),
    "bad_words_ids": (None,),
    "sequence_bias": (None,),
    "min_length": (None, 0),
    "min_new_tokens": (None, 0),
    "suppress_tokens": (None,),
    "begin_suppress_tokens": (None,),
    "forced_bos_token_id": (None,),
    "forced_eos_token_id": (None,),
    "exponential_decay_length_penalty": (None,),
    "watermarking_config": (None,),
    "prefill_chunk_size": (None,),
}


@dataclass
class RefillJob:
    """One greedy request as token ids: the prompt, and how many tokens it may generate."""

    prompt: list[int]
    max_tokens: int


@dataclass
class _Row:
    job: int
    length: int  # real tokens in the cache (positions 0..length-1); the next token fed sits at position `length`
    out: list[int] = field(default_factory=list)


def cache_argument(model: Any) -> str:
    """The forward argument that takes the KV cache (`cache` in newer transformers, `past_key_values` before)."""
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def new_cache(model: Any) -> Any:
    from transformers import DynamicCache

    return DynamicCache(config=model.config.get_text_config(decoder=True))


def refill_blocker(model: Any, jobs: Sequence[RefillJob]) -> str | None:
    """Why these jobs cannot be refilled safely on this model (None: they can)."""
    from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer

    config = model.config
    if getattr(config, "is_encoder_decoder", False):
        return "an encoder-decoder model"
    supports_dynamic = getattr(model, "_supports_default_dynamic_cache", None)
    if supports_dynamic is None or not supports_dynamic():
        return f"{type(model).__name__} does not use the default dynamic cache"
    generation = model.generation_config
    if getattr(generation, "cache_implementation", None) not in (None, "dynamic"):
        return f"cache_implementation={generation.cache_implementation}"
    for name, neutral in NEUTRAL_PROCESSORS.items():
        if getattr(generation, name, None) not in neutral:
            return f"the generation config sets {name}"
    layers = new_cache(model).layers
    kinds = {type(layer) for layer in layers}
    if not layers or not kinds <= {DynamicLayer, DynamicSlidingWindowLayer}:
        return f"cache layers {sorted(kind.__name__ for kind in kinds)}"
    windows = [layer.sliding_window for layer in layers if isinstance(layer, DynamicSlidingWindowLayer)]
    longest = max((len(job.prompt) + job.max_tokens for job in jobs), default=0)
    # a sliding layer keeps window-1 columns; below that it stores (and masks) exactly what a full layer does
    if windows and longest + 1 >= min(windows) - 1:
        return f"a row of {longest} tokens would outgrow the sliding window of {min(windows)}"
    return None


class _Batch:
    """The rows decoding together: one cache, its left-padded attention mask, each row's real length."""

    def __init__(self, model: Any) -> None:
        import torch

        self.torch, self.model = torch, model
        self.cache_arg = cache_argument(model)
        self.keep_one = "logits_to_keep" in inspect.signature(model.forward).parameters
        self.cache: Any = None
        self.mask: Any = None  # bool [rows, columns]: True where a row has a real token
        self.rows: list[_Row] = []
        self.next_tokens: list[int] = []  # per row, the token fed at the next step

    def _forward(self, **kwargs: Any) -> Any:
        if self.keep_one:
            kwargs["logits_to_keep"] = 1
        return self.model(**kwargs, use_cache=True).logits[:, -1].float()

    def prefill(self, job: int, prompt: list[int]) -> tuple[_Row, Any, int]:
        """A prompt's own cache and first greedy token, computed as single-stream `generate` computes them."""
        torch = self.torch
        cache = new_cache(self.model)
        ids = torch.tensor([prompt], dtype=torch.long)
        logits = self._forward(input_ids=ids, attention_mask=torch.ones_like(ids), **{self.cache_arg: cache})
        return _Row(job=job, length=len(prompt)), cache, int(logits[0].argmax())

    def join(self, row: _Row, cache: Any, token: int) -> None:
        """Add a prefilled row; its KV goes to the right end, left-padded to the batch's columns (or the batch is padded to it)."""
        torch = self.torch
        if self.cache is None:
            self.cache, self.mask = cache, torch.ones(1, row.length, dtype=torch.bool)
        else:
            columns = self.mask.shape[1]
            if row.length > columns:
                self._pad_left(row.length - columns)
                columns = row.length
            pad = columns - row.length
            for mine, theirs in zip(self.cache.layers, cache.layers):
                mine.keys = torch.cat([mine.keys, _pad_left(torch, theirs.keys, pad)], dim=0)
                mine.values = torch.cat([mine.values, _pad_left(torch, theirs.values, pad)], dim=0)
            own = torch.zeros(1, columns, dtype=torch.bool)
            own[0, pad:] = True
            self.mask = torch.cat([self.mask, own], dim=0)
        self.rows.append(row)
        self.next_tokens.append(token)
        self._sync()

    def drop(self, finished: list[int]) -> None:
        """Remove finished rows, then the leading columns no remaining row uses."""
        keep = [i for i in range(len(self.rows)) if i not in finished]
        if not keep:
            self.cache = self.mask = None
            self.rows, self.next_tokens = [], []
            return
        index = self.torch.tensor(keep, dtype=self.torch.long)
        for layer in self.cache.layers:
            layer.keys, layer.values = layer.keys[index], layer.values[index]
        self.mask = self.mask[index]
        self.rows = [self.rows[i] for i in keep]
        self.next_tokens = [self.next_tokens[i] for i in keep]
        unused = int(self.mask.any(dim=0).to(self.torch.int8).argmax())  # first column some row uses
        if unused:
            for layer in self.cache.layers:
                layer.keys, layer.values = layer.keys[:, :, unused:], layer.values[:, :, unused:]
            self.mask = self.mask[:, unused:]
        self._sync()

    def step(self) -> Any:
        """Feed every row its last token; each row's next-token logits (float32, [rows, vocabulary])."""
        torch = self.torch
        ids = torch.tensor([[t] for t in self.next_tokens], dtype=torch.long)
        positions = torch.tensor([[row.length] for row in self.rows], dtype=torch.long)
        self.mask = torch.cat([self.mask, torch.ones(len(self.rows), 1, dtype=torch.bool)], dim=1)
        logits = self._forward(input_ids=ids, attention_mask=self.mask.long(), position_ids=positions, **{self.cache_arg: self.cache})
        for row in self.rows:
            row.length += 1
        return logits

    def _pad_left(self, n: int) -> None:
        for layer in self.cache.layers:
            layer.keys = _pad_left(self.torch, layer.keys, n)
            layer.values = _pad_left(self.torch, layer.values, n)
        self.mask = _pad_left(self.torch, self.mask, n)

    def _sync(self) -> None:
        # a sliding layer reports its length from a counter, not from its tensors (full layers read their tensors)
        for layer in self.cache.layers:
            if hasattr(layer, "cumulative_length"):
                layer.cumulative_length = self.mask.shape[1]


def _pad_left(torch: Any, tensor: Any, n: int) -> Any:
    """`n` zero columns before the sequence axis (dim 2 of a [batch, heads, seq, dim] cache tensor, dim 1 of a mask)."""
    if n == 0:
        return tensor
    axis = 2 if tensor.dim() == 4 else 1
    shape = list(tensor.shape)
    shape[axis] = n
    return torch.cat([torch.zeros(shape, dtype=tensor.dtype, device=tensor.device), tensor], dim=axis)


def greedy_refill(model: Any, jobs: Sequence[RefillJob], width: int, done: Callable[[list[int]], bool]) -> list[list[int]]:
    """Each job's greedy tokens, decoding up to `width` jobs at once; `done(tokens)` says a row has finished (EOS, stop string).

    A row also ends at its job's `max_tokens`. Answers come back in job order,
    whatever order the rows finished in.
    """
    import torch

    outputs: list[list[int]] = [[] for _ in jobs]
    waiting = deque(i for i, job in enumerate(jobs) if job.max_tokens > 0)
    batch = _Batch(model)

    def finished(row: _Row) -> bool:
        return len(row.out) >= jobs[row.job].max_tokens or done(row.out)

    def fill() -> None:
        while waiting and len(batch.rows) < width:
            job = waiting.popleft()
            row, cache, token = batch.prefill(job, jobs[job].prompt)
            row.out.append(token)
            outputs[row.job] = row.out
            if not finished(row):  # an answer that ends at its first token never joins the batch
                batch.join(row, cache, token)

    with torch.no_grad():
        fill()
        while batch.rows:
            ended = []
            for index, (row, token) in enumerate(zip(batch.rows, batch.step().argmax(dim=-1).tolist())):
                row.out.append(token)
                batch.next_tokens[index] = token
                if finished(row):
                    ended.append(index)
            if ended:
                batch.drop(ended)
                fill()
    return outputs
