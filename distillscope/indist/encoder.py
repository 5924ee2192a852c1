"""Adversary (c): a fine-tuned transformer encoder classifier (the paper's RoBERTa/DistilBERT; here MiniLM).

The packaged all-MiniLM-L6-v2 weights are fine-tuned end to end on CPU with a
linear head over mean-pooled token states. It is the strongest learned
adversary we can run offline, and the slowest: its training seconds go into t.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from distillscope.extras import require
from distillscope.indist.adversaries import Adversary


class EncoderAdversary(Adversary):
    name = "encoder"
    description = "fine-tuned MiniLM encoder classifier"

    def __init__(
        self,
        model_dir: str | Path | None = None,
        epochs: int = 3,
        batch_size: int = 16,
        max_length: int = 128,
        learning_rate: float = 5e-5,
        seed: int = 0,
        on_step: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__()
        self.model_dir = model_dir
        self.epochs, self.batch_size, self.max_length = epochs, batch_size, max_length
        self.learning_rate, self.seed = learning_rate, seed
        self.on_step = on_step or (lambda loss: None)
        self.losses: list[float] = []

    def _load(self) -> ModuleType:
        """Tokenizer, encoder and head loaded; returns the torch module (an optional extra, so imported here)."""
        torch = require("torch", purpose="the fine-tuned encoder adversary")
        transformers = require("transformers", purpose="the fine-tuned encoder adversary")
        from distillscope.metrics.embeddings import default_model_dir

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = str(self.model_dir or default_model_dir())
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        self.encoder = transformers.AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
        return torch

    def _logits(self, torch: ModuleType, texts: list[str]) -> Any:
        """One logit per text, as a torch tensor (torch ships no types this package checks against)."""
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        states = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(pooled).squeeze(-1)

    def _fit(self, texts: list[str], labels: np.ndarray, groups: list[str] | None = None) -> None:  # no inner CV to group
        torch = self._load()
        torch.manual_seed(self.seed)
        params = list(self.encoder.parameters()) + list(self.head.parameters())
        optimizer = torch.optim.AdamW(params, lr=self.learning_rate, weight_decay=0.01)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        rng = np.random.default_rng(self.seed)
        y = torch.tensor(labels, dtype=torch.float32)
        self.encoder.train()
        for _ in range(self.epochs):
            order = rng.permutation(len(texts))
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                loss = loss_fn(self._logits(torch, [texts[i] for i in idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                value = float(loss.detach())
                self.losses.append(value)
                self.on_step(value)
        self.encoder.eval()

    def _log_odds(self, texts: list[str]) -> np.ndarray:
        import torch

        out = []
        with torch.no_grad():
            for start in range(0, len(texts), 64):
                out.append(self._logits(torch, texts[start : start + 64]).numpy())
        return np.concatenate(out) if out else np.zeros(0)
