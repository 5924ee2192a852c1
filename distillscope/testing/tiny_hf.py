"""Tiny random causal LMs for tests: they live in models/tiny_hf.py (the `--small` zoo builds them too)."""

from distillscope.models.tiny_hf import CHAT_TEMPLATE, SPECIALS, WORDS, make_tiny_causal_lm, make_tiny_encoder

__all__ = ["CHAT_TEMPLATE", "SPECIALS", "WORDS", "make_tiny_causal_lm", "make_tiny_encoder"]
