"""LoRA fine-tuning of a student on (prompt, teacher answer) pairs, on CPU, resumable.

The student sees each prompt exactly as its backend would render it: the
chat template for an instruct model, the question/answer frame for a base
model. Only the answer tokens carry loss. Every `save_every` steps the adapter,
the optimizer state and the step are checkpointed, so a killed run resumes at
its last checkpoint with the same data order. At the end the adapter is saved,
and so is a merged model directory that `hf/<dir>` serves as a new model.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from distillscope.extras import require
from distillscope.models.prompt_format import render_qa_frame
from distillscope.types import Message, canonical_json, sha256_hex

#: (prompt, answer) or (prompt, answer, finished); finished is False where the teacher hit max_tokens
Example = tuple[str, str] | tuple[str, str, bool]


class LoraSettings(BaseModel):
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    learning_rate: float = 2e-4
    epochs: int = 1
    batch_size: int = 4
    max_length: int = 192
    save_every: int = 10
    seed: int = 0


class TrainingReport(BaseModel):
    steps: int
    examples: int
    skipped_too_long: int
    losses: list[float]
    resumed_from_step: int
    adapter_dir: str
    #: "" where the training was asked not to merge (a student served as its base's GGUF plus a LoRA adapter)
    merged_dir: str
    seconds: float
    #: hash of (base model, settings, examples): the merged model's weights tag in its spec and store keys
    fingerprint: str = ""


# tokenizer, model and optimizer below are transformers / torch objects: optional extras, typed as Any here
def _render(tokenizer: Any, mode: str, prompt: str, answer: str | None, finished: bool = True) -> str:
    """The training text; an answer the teacher did not finish (cut at max_tokens) gets no end-of-answer marker."""
    if mode == "completion":
        text = render_qa_frame([Message(role="user", content=prompt)])
        if answer is None:
            return text
        return f"{text} {answer.strip()}\n\nQuestion:" if finished else f"{text} {answer.strip()}"
    messages = [{"role": "user", "content": prompt}]
    if answer is None:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if not finished:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + answer
    return tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": answer}], tokenize=False)


def encode_examples(tokenizer: Any, mode: str, examples: Sequence[Example], max_length: int) -> tuple[list[dict], int]:
    """Token ids with the prompt part masked out of the loss; examples whose prompt leaves no room are skipped.

    An example is (prompt, answer) or (prompt, answer, finished). Only a finished answer is
    followed by the stop marker and EOS: teaching the student to stop where the teacher was merely
    cut off by max_tokens would teach it to stop mid-sentence.
    """
    encoded, skipped = [], 0
    special = mode == "completion"
    for prompt, answer, *rest in examples:
        finished = bool(rest[0]) if rest else True
        prompt_ids = tokenizer(_render(tokenizer, mode, prompt, None), add_special_tokens=special)["input_ids"]
        full_ids = tokenizer(_render(tokenizer, mode, prompt, answer, finished), add_special_tokens=special)["input_ids"]
        # a base model's end marker is the frame's next "Question:"; an EOS after it is a token the base never
        # saw there, and early in training its boost leaks to the answer's first position (empty answers)
        if finished and mode == "chat" and tokenizer.eos_token_id is not None and (not full_ids or full_ids[-1] != tokenizer.eos_token_id):
            full_ids = full_ids + [tokenizer.eos_token_id]
        if len(prompt_ids) >= max_length - 8:
            skipped += 1
            continue
        full_ids = full_ids[:max_length]
        labels = [-100] * len(prompt_ids) + full_ids[len(prompt_ids) :]
        encoded.append({"input_ids": full_ids, "labels": labels[: len(full_ids)]})
    return encoded, skipped


def _batches(torch: ModuleType, encoded: list[dict], batch_size: int, pad_id: int) -> Iterator[tuple[Any, Any, Any]]:
    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start : start + batch_size]
        width = max(len(e["input_ids"]) for e in chunk)
        ids = [e["input_ids"] + [pad_id] * (width - len(e["input_ids"])) for e in chunk]
        labels = [e["labels"] + [-100] * (width - len(e["labels"])) for e in chunk]
        mask = [[1] * len(e["input_ids"]) + [0] * (width - len(e["input_ids"])) for e in chunk]
        yield torch.tensor(ids), torch.tensor(labels), torch.tensor(mask)


#: transformers model types whose causal-LM head is `lm_head(hidden)` (with `final_logit_softcapping` where set)
PLAIN_HEADS = frozenset({"llama", "gemma", "gemma2", "gemma3_text", "qwen2", "qwen3", "mistral", "phi3"})


def answer_loss(torch: ModuleType, model: Any, ids: Any, mask: Any, labels: Any) -> Any:
    """The model's own causal-LM loss, with the output head applied to the answer tokens alone.

    Why: a small model's output head dominates its cost. gemma-3-270m's (a 262k vocabulary × 640,
    tied to its embedding) is about 60% of its forward FLOPs, and `model(labels=...)` applies it at
    every position, prompt and padding included, though only answer tokens carry loss. Here the
    backbone runs as usual and the head (with the model's logit soft-capping, if any) only where a
    label is; the loss is the same mean cross-entropy, equal up to float rounding (a test checks).
    Only architectures whose head is known to be a plain projection (plus Gemma's soft-capping) take this
    path; any other falls back to its own forward, since some scale their logits in ways not repeated here.
    """
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    backbone, head = getattr(causal, "model", None), causal.get_output_embeddings()
    if backbone is None or head is None or getattr(causal.config, "model_type", None) not in PLAIN_HEADS:
        return model(input_ids=ids, attention_mask=mask, labels=labels).loss
    hidden = backbone(input_ids=ids, attention_mask=mask).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != -100
    logits = head(hidden[:, :-1][keep])
    cap = getattr(causal.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


def _target_modules(model: Any) -> list[str] | str:
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    wanted = [m for m in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj") if m in names]
    return wanted or "all-linear"


def training_fingerprint(source: Path, gguf_file: str | None, mode: str, examples: Sequence[Example], settings: LoraSettings) -> str:
    """What a training's weights depend on: the base model (so a checkpoint of another student is never resumed), the
    settings and the data. The trained model's store identity and a zoo's reuse of another zoo's student read it."""
    return sha256_hex(canonical_json([str(Path(source).resolve()), gguf_file, settings.model_dump(), mode, [list(e) for e in examples]]))[
        :16
    ]


def train_lora(
    source: Path,
    gguf_file: str | None,
    mode: str,
    examples: Sequence[Example],
    out_dir: Path,
    settings: LoraSettings,
    on_step: Callable[[int, int, float], None] | None = None,
    max_steps: int | None = None,
    merge: bool = True,
) -> TrainingReport:
    """Fine-tune, checkpointing as it goes; `max_steps` stops early (tests use it to simulate a kill).

    `merge=False` saves the adapter only: a student served by llama.cpp as its base's GGUF plus an adapter never
    reads the merged model, which for gemma-3-270m is a 1 GB write per student (a dose zoo has 21)."""
    import time

    torch = require("torch", purpose="LoRA distillation")
    transformers = require("transformers", purpose="LoRA distillation")
    peft = require("peft", purpose="LoRA distillation")
    started = time.perf_counter()
    on_step = on_step or (lambda step, total, loss: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = training_fingerprint(source, gguf_file, mode, examples, settings)
    finished = out_dir / "training_report.json"
    if finished.exists() and max_steps is None:
        report = TrainingReport.model_validate_json(finished.read_text(encoding="utf-8"))
        if report.fingerprint == fingerprint and _outputs_exist(report, merge):
            return report  # this exact training already ran to the end (a re-run sweep skips it)
        finished.unlink()  # other training is about to overwrite the merged model this report describes
    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = transformers.AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **kwargs)
    config = peft.LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=_target_modules(model),
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(settings.seed)
    model = peft.get_peft_model(model, config)
    encoded, skipped = encode_examples(tokenizer, mode, examples, settings.max_length)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    checkpoint = out_dir / "checkpoint"
    step, losses, resumed = 0, [], 0
    state_file = checkpoint / "state.json"
    if state_file.exists():
        state = json.loads(state_file.read_text())
        if state["fingerprint"] == fingerprint:
            peft.set_peft_model_state_dict(model, torch.load(checkpoint / "adapter.pt", weights_only=True))
            optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
            step, losses, resumed = state["step"], state["losses"], state["step"]
    batches_per_epoch = (len(encoded) + settings.batch_size - 1) // settings.batch_size
    total = batches_per_epoch * settings.epochs
    model.train()
    done = 0
    for epoch in range(settings.epochs):
        order = list(encoded)
        random.Random(f"{settings.seed}:epoch:{epoch}").shuffle(order)
        for ids, labels, mask in _batches(torch, order, settings.batch_size, tokenizer.pad_token_id):
            done += 1
            if done <= step:
                continue  # already trained before the checkpoint
            if max_steps is not None and step >= max_steps:
                break
            loss = answer_loss(torch, model, ids, mask, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            losses.append(float(loss.detach()))
            on_step(step, total, losses[-1])
            if step % settings.save_every == 0 or step == total:
                _save_checkpoint(torch, peft, model, optimizer, checkpoint, fingerprint, step, losses)
    adapter_dir, merged_dir = out_dir / "adapter", out_dir / "merged"
    model.save_pretrained(adapter_dir)
    if merge:
        save_merged(model, tokenizer, merged_dir)
    report = TrainingReport(
        steps=step,
        examples=len(encoded),
        skipped_too_long=skipped,
        losses=losses,
        resumed_from_step=resumed,
        adapter_dir=str(adapter_dir),
        merged_dir=str(merged_dir) if merge else "",
        seconds=time.perf_counter() - started,
        fingerprint=fingerprint,
    )
    if max_steps is None:
        finished.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    return report


def _outputs_exist(report: TrainingReport, merge: bool) -> bool:
    """Whether a finished training's saved weights are still there: the merged model where one is wanted, else the
    adapter."""
    if merge:
        return bool(report.merged_dir) and Path(report.merged_dir, "config.json").exists()
    return Path(report.adapter_dir, "adapter_config.json").exists()


def save_merged(model: Any, tokenizer: Any, merged_dir: Path) -> None:
    """The LoRA merged into its base, saved as a plain transformers directory that `hf/<dir>` serves."""
    merged = model.merge_and_unload()
    if getattr(merged, "hf_quantizer", None) is not None:  # GGUF weights were dequantised on load: the merge is plain fp32
        merged.hf_quantizer = None
        if hasattr(merged.config, "quantization_config"):
            del merged.config.quantization_config
    merged.save_pretrained(merged_dir)
    tokenizer.save_pretrained(merged_dir)


def _save_checkpoint(
    torch: ModuleType, peft: ModuleType, model: Any, optimizer: Any, checkpoint: Path, fingerprint: str, step: int, losses: list[float]
) -> None:
    checkpoint.mkdir(parents=True, exist_ok=True)
    torch.save(peft.get_peft_model_state_dict(model), checkpoint / "adapter.pt")
    torch.save(optimizer.state_dict(), checkpoint / "optimizer.pt")
    temporary = checkpoint / "state.json.partial"
    temporary.write_text(json.dumps({"fingerprint": fingerprint, "step": step, "losses": losses}))
    temporary.replace(checkpoint / "state.json")
