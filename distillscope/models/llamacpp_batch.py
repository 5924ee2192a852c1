"""Several sequences decoded together in one llama.cpp context (continuous batching).

`BatchEngine` keeps up to `width` sequences in one llama.cpp context (one
sequence id and KV stream per slot) and hands their next tokens to one
`llama_decode` call; when a sequence finishes, the next prompt takes its slot
at once (continuous refill). What a step of W sequences costs against a step
of one on this machine's CPU kernels, and so the most batching can gain, is
measured in docs/local-models.md; each step runs on one thread or all,
whichever the `StepTuner` found faster for steps of its size.

Shared prefixes are computed once: the engine keeps one extra sequence
holding the longest common token prefix of the prompts it was given (a
judge template's constant rubric, the chat template's system header) and
each new sequence starts from a copy of it (`llama_memory_seq_cp`, far
cheaper than computing it). The prefix stays between calls.
`prefill_tokens` / `reused_tokens` count what was computed and saved.

Every answer follows llama-cpp-python's own `create_completion` rules token
by token (end-of-generation tokens, stop strings in list order, the
multi-byte guard, max_tokens cut to the context window), and sampled
requests use the same sampler chain and seed as the single-stream path:
greedy answers agree with single-stream ones except where floating-point
order in a bigger matrix product flips a near tie (benchmarks/local_batching.py).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from distillscope.errors import GenerationError, UserError
from distillscope.models.llamacpp_jobs import DecodeJob, DecodeResult, common_prefix_length, multibyte_tail
from distillscope.models.llamacpp_lora import apply_lora
from distillscope.models.llamacpp_threads import StepTuner

#: shorter common prefixes are not worth a sequence copy
MIN_SHARED_PREFIX = 16
#: tokens per llama_decode call (prompt chunks and next tokens together)
DECODE_BATCH = 512


@dataclass
class _Slot:
    seq: int
    job: int | None = None
    pending: list[int] = field(default_factory=list)  # prompt tokens not yet evaluated
    pos: int = 0  # position of the next token fed
    out: list[int] = field(default_factory=list)
    last: int = 0  # the sampled token to feed next
    limit: int = 0  # max_tokens after the context-window cut
    sampler: Any = None
    multibyte_fix: int = 0
    reused: int = 0


class BatchEngine:
    """Continuous-batching decoder over a loaded `llama_cpp.Llama` (its weights, tokenizer and samplers).

    It owns a second llama.cpp context with `width` + 1 sequences (one per
    slot, one for the shared prefix); the `Llama`'s own context stays for the
    single-stream path (log-probabilities).
    """

    def __init__(self, llama: Any, width: int, n_ctx: int, n_threads: int, threads: Any = None, tuner: StepTuner | None = None) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self.llama, self.width, self.n_ctx = llama, width, n_ctx
        self.threads = threads  # a ThreadPolicy, looked at again during long runs
        self.n_threads, self._threads_now = n_threads, n_threads
        self.tuner = tuner  # one thread or all, per step size (None, as with a fixed n_threads=: always the count given)
        # One KV stream of n_ctx cells per sequence, as the single-stream context has. A unified cell pool would
        # share a copied prefix without copying it, but the cells' placement changes the attention's summation
        # order: measured on SmolLM2, 3 of 7 greedy answers matched single-stream with a unified pool, 6 of 7 without.
        self.kv_cells = n_ctx * (width + 1)
        most = llama_cpp.llama_max_parallel_sequences() - 1  # one sequence is the shared prefix's
        if width > most:
            raise UserError(f"batch_size={width} is more than llama.cpp's {most} sequences at once", f"use batch_size={most} or less")
        params = llama_cpp.llama_context_default_params()
        for name in ("type_k", "type_v", "flash_attn_type", "offload_kqv", "swa_full"):  # numerics as in the single-stream context
            setattr(params, name, getattr(llama.context_params, name))
        params.n_ctx = self.kv_cells
        params.n_batch = params.n_ubatch = DECODE_BATCH
        params.n_seq_max = width + 1
        params.kv_unified = False
        params.n_threads = params.n_threads_batch = n_threads
        params.no_perf = True
        from llama_cpp._utils import suppress_stdout_stderr

        with suppress_stdout_stderr(disable=bool(llama.verbose)):  # llama.cpp's context notes, as the Llama's own are hidden
            self.ctx = llama_cpp.llama_init_from_model(llama._model.model, params)
        if not self.ctx:
            raise UserError(
                f"llama.cpp could not make a context for {width} sequences of {n_ctx} tokens (out of memory?)",
                "lower batch_size= or n_ctx= in the model spec",
            )
        apply_lora(llama, self.ctx)  # a LoRA the Llama applies to its own context applies here too
        self.mem = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(DECODE_BATCH, 0, width + 1)
        self.vocab = llama._model.vocab
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.prefix_seq = width
        self.prefix: list[int] = []
        self.prefill_tokens = 0  # prompt tokens computed (prefix included)
        self.reused_tokens = 0  # prompt tokens copied from the shared prefix instead
        self.generated_tokens = 0

    def close(self) -> None:
        if self.ctx:
            self._lib.llama_batch_free(self.batch)
            self._lib.llama_free(self.ctx)
            self.ctx = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def set_threads(self, n_threads: int) -> None:
        if n_threads != self._threads_now:
            self._lib.llama_set_n_threads(self.ctx, n_threads, n_threads)
            self._threads_now = n_threads

    def _decode_timed(self) -> int:
        """One llama_decode on the thread count the tuner picks for a step of this size (the policy's without one)."""
        tokens, tuner = int(self.batch.n_tokens), self.tuner
        most = self.threads.current if self.threads is not None else self.n_threads
        chosen = tuner.choose(tokens, most) if tuner is not None else most
        self.set_threads(chosen)
        started = time.perf_counter()
        status = int(self._lib.llama_decode(self.ctx, self.batch))
        if tuner is not None:
            tuner.record(tokens, chosen, time.perf_counter() - started)
        return status

    # --- the loop -------------------------------------------------------------------------------

    def run(self, jobs: list[DecodeJob]) -> list[DecodeResult]:
        """Answer every job; results in the jobs' order, whatever order they finish in."""
        for index, job in enumerate(jobs):
            if len(job.tokens) >= self.n_ctx:
                raise GenerationError(
                    f"llama.cpp refused the request: prompt {index + 1} of this batch has {len(job.tokens)} tokens, "
                    f"more than the context window of {self.n_ctx} allows (raise n_ctx=)"
                )
        self._prepare_prefix(jobs)
        results: list[DecodeResult | None] = [None] * len(jobs)
        queue = deque(range(len(jobs)))
        slots = [_Slot(seq) for seq in range(self.width)]
        try:
            while queue or any(s.job is not None for s in slots):
                self._admit(queue, slots, jobs)
                if self.threads is not None:
                    self.threads.refresh()
                outputs = self._fill_batch(slots)
                status = self._decode_timed()
                if status != 0:
                    raise GenerationError(f"llama.cpp could not decode a batch (status {status}; KV cache of {self.kv_cells} cells)")
                for slot, index in outputs:
                    position = slot.job
                    if position is None:  # never: _fill_batch asks logits of busy slots only
                        continue
                    done = self._advance(slot, index, jobs[position])
                    if done is not None:
                        results[position] = done
                        self._release(slot)
        finally:
            for slot in slots:
                if slot.job is not None:
                    self._release(slot)
        answered = [r for r in results if r is not None]
        if len(answered) != len(results):  # pragma: no cover - a scheduling bug, never a user's doing
            raise RuntimeError(f"batched decoding lost {len(results) - len(answered)} answers")
        return answered

    def _admit(self, queue: deque, slots: list[_Slot], jobs: list[DecodeJob]) -> None:
        """Give free slots the next prompts, each starting from a copy of the shared prefix where it has one."""
        for slot in slots:
            if slot.job is not None or not queue:
                continue
            index = queue.popleft()
            job = jobs[index]
            shared = self._shared(job.tokens)
            self._lib.llama_memory_seq_rm(self.mem, slot.seq, -1, -1)
            if shared:
                # across KV streams llama.cpp copies only whole sequences: copy all of the prefix, cut what differs
                self._lib.llama_memory_seq_cp(self.mem, self.prefix_seq, slot.seq, -1, -1)
                if shared < len(self.prefix) and not self._lib.llama_memory_seq_rm(self.mem, slot.seq, shared, -1):
                    self._lib.llama_memory_seq_rm(self.mem, slot.seq, -1, -1)
                    shared = 0
            self.reused_tokens += shared
            slot.job, slot.pending, slot.pos, slot.out = index, list(job.tokens[shared:]), shared, []
            slot.limit, slot.multibyte_fix, slot.reused = min(job.max_tokens, self.n_ctx - len(job.tokens)), 0, shared
            slot.sampler = self._sampler(job) if job.temperature > 0 else None

    def _fill_batch(self, slots: list[_Slot]) -> list[tuple[_Slot, int]]:
        """A chunk of one sequence's prompt if any waits, else every generating slot's next token.

        Never both in one call: with one KV stream per sequence llama.cpp
        splits a batch into micro-batches holding equally many tokens of
        each sequence, so a prompt chunk beside single next tokens would be
        computed one token at a time (measured: batched judge calls slower
        than single-stream ones).
        Returns (slot, batch index) for each logit asked for.
        """
        prefilling = next((s for s in slots if s.job is not None and s.pending), None)
        outputs = []
        if prefilling is not None:
            take = prefilling.pending[:DECODE_BATCH]
            del prefilling.pending[: len(take)]
            for i, token in enumerate(take):
                last = not prefilling.pending and i == len(take) - 1
                self._put(i, token, prefilling.pos, prefilling.seq, last)
                prefilling.pos += 1
            if not prefilling.pending:
                outputs.append((prefilling, len(take) - 1))
            self.prefill_tokens += len(take)
            self.batch.n_tokens = len(take)
            return outputs
        for n, slot in enumerate(s for s in slots if s.job is not None):
            self._put(n, slot.last, slot.pos, slot.seq, True)
            outputs.append((slot, n))
            slot.pos += 1
        self.batch.n_tokens = len(outputs)
        return outputs

    def _advance(self, slot: _Slot, index: int, job: DecodeJob) -> DecodeResult | None:
        """Sample one token for a slot and apply create_completion's stopping rules; the result when it is done."""
        if slot.sampler is None:
            import numpy as np

            logits = np.ctypeslib.as_array(self._lib.llama_get_logits_ith(self.ctx, index), shape=(self.n_vocab,))
            token = int(logits.argmax())
        else:
            token = int(self._lib.llama_sampler_sample(slot.sampler.sampler, self.ctx, index))
        self.generated_tokens += 1
        detokenize = self.llama.detokenize
        if self._lib.llama_vocab_is_eog(self.vocab, token):
            return self._result(slot, job, detokenize(slot.out, prev_tokens=job.tokens), "stop")
        slot.out.append(token)
        slot.last = token
        text = detokenize(slot.out, prev_tokens=job.tokens)
        slot.multibyte_fix = multibyte_tail(text) or slot.multibyte_fix  # never stop inside a multi-byte character
        if slot.multibyte_fix > 0:
            slot.multibyte_fix -= 1
            return None
        found = [s for s in job.stop if s in text]
        if found:
            return self._result(slot, job, text[: text.index(found[0])], "stop")
        if len(slot.out) >= slot.limit:
            return self._result(slot, job, text, "length")
        return None

    def _result(self, slot: _Slot, job: DecodeJob, text: bytes, reason: str) -> DecodeResult:
        return DecodeResult(
            text=text.decode("utf-8", errors="ignore"),
            finish_reason=reason,
            prompt_tokens=len(job.tokens),
            completion_tokens=len(slot.out),
            reused_prefix=slot.reused,
            tokens=list(slot.out),
        )

    def _release(self, slot: _Slot) -> None:
        self._lib.llama_memory_seq_rm(self.mem, slot.seq, -1, -1)
        if slot.sampler is not None:
            slot.sampler.close()
        slot.job, slot.sampler, slot.pending = None, None, []

    def _put(self, i: int, token: int, pos: int, seq: int, logits: bool) -> None:
        b = self.batch
        b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = token, pos, 1, int(logits)
        b.seq_id[i][0] = seq

    def _sampler(self, job: DecodeJob) -> Any:
        """The single-stream path's own sampler chain, with the same settings and seed."""
        self.llama.set_seed(job.seed)
        return self.llama._init_sampler(**job.sampler)

    # --- the shared prefix ------------------------------------------------------------------------

    def _shared(self, tokens: list[int]) -> int:
        """Prompt tokens a new sequence can copy from the prefix (at least one must still be computed, for its logits)."""
        shared = min(common_prefix_length(self.prefix, tokens), len(tokens) - 1)
        return shared if shared >= MIN_SHARED_PREFIX else 0

    def _drop_prefix(self) -> None:
        self._lib.llama_memory_seq_rm(self.mem, self.prefix_seq, -1, -1)
        self.prefix = []

    def _prepare_prefix(self, jobs: list[DecodeJob]) -> None:
        """Make the prefix sequence hold the jobs' longest common prefix, keeping what it already holds of it."""
        if len(jobs) < 2:
            return  # one prompt: reuse what is held, compute nothing extra
        target = jobs[0].tokens
        for job in jobs[1:]:
            target = target[: common_prefix_length(target, job.tokens)]
        target = target[: min(len(j.tokens) for j in jobs) - 1]
        if len(target) < MIN_SHARED_PREFIX:
            return  # keep the old prefix: later single prompts may still share it
        keep = common_prefix_length(self.prefix, target)
        if keep < MIN_SHARED_PREFIX or not self._lib.llama_memory_seq_rm(self.mem, self.prefix_seq, keep, -1):
            self._drop_prefix()
            keep = 0
        self.prefix = list(target[:keep])
        rest = target[keep:]
        while rest:
            chunk, rest = rest[:DECODE_BATCH], rest[DECODE_BATCH:]
            for i, token in enumerate(chunk):
                self._put(i, token, len(self.prefix) + i, self.prefix_seq, not rest and i == len(chunk) - 1)
            self.batch.n_tokens = len(chunk)
            if self._lib.llama_decode(self.ctx, self.batch) != 0:
                self._drop_prefix()
                return
            self.prefix.extend(chunk)
            self.prefill_tokens += len(chunk)
