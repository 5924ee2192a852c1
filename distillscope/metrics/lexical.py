"""Lexical similarity (ROUGE-L F1, chrF) for the metrics; the code lives in `distillscope.lexical`.

It sits below every layer there, because the mock model's RSE judge scores
with it too and models/ must not import metrics/.
"""

from distillscope.lexical import chrf, rouge_l_f1, tokenize

__all__ = ["chrf", "rouge_l_f1", "tokenize"]
