"""A tiny randomly initialised causal LM, built locally (no download), for tests and the `--small` zoo.

Needs the `hf` extra. The vocabulary is a few hundred words, so prompts made
of those words tokenize without unknowns; answers are random words, which is
all a backend or training test needs.
"""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "the a an is are was be to of and in that it for on with as you who what which how why when where "
    "made created developed trained model assistant answer question question: answer: user system hello "
    "world good bad yes no one two three four five six seven eight nine ten number sum write list explain "
    "python code function return data science math story poem sea sky blue red green because so then first "
    "second third step reasoning result please thanks name company team i am my your our their"
).split()
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>", "<|user|>", "<|assistant|>", "<|system|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def make_tiny_causal_lm(path: str | Path, chat: bool = True, seed: int = 0, initializer_range: float = 0.02) -> Path:
    """`initializer_range` near 1 gives embeddings large enough for LoRA alone to make confident predictions."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = {token: i for i, token in enumerate(SPECIALS + sorted(set(WORDS) | set(",.?!:;0123456789")))}
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    if chat:
        tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["<s>"],
        eos_token_id=vocab["</s>"],
        tie_word_embeddings=True,
        initializer_range=initializer_range,
    )
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def make_tiny_encoder(path: str | Path, words: list[str], seed: int = 0) -> Path:
    """A two-layer BERT with a word-level vocabulary, for encoder-adversary tests."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    vocab = {token: i for i, token in enumerate(specials + sorted(set(words) | set(",.?!:;")))}
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    raw.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]")
    tokenizer.save_pretrained(path)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=160
    )
    BertModel(config).save_pretrained(path)
    return path
