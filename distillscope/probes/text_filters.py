"""Text checks used to build the probe suite: language, personal data, duplicates.

Each is deliberately simple and documented, so a reader can predict which
prompts a build keeps: a script-based language guess, regular expressions for
things that look like personal data, and MinHash (datasketch) over character
5-grams for near-duplicates.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasketch import MinHash

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
KANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7af]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
ARABIC = re.compile(r"[\u0600-\u06ff]")
LATIN_WORD = re.compile(r"[a-zà-öø-ÿ']+")
_STOPWORDS = {
    "en": {"the", "and", "is", "of", "to", "you", "what", "how", "for", "with", "this", "that", "in", "a"},
    "es": {"el", "la", "de", "que", "y", "los", "las", "por", "para", "una", "es", "cómo", "qué", "con"},
    "fr": {"le", "la", "les", "de", "des", "et", "est", "une", "pour", "que", "qui", "dans", "vous", "avec"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "ein", "eine", "zu", "mit", "sie", "wie", "ich", "für"},
    "pt": {"o", "os", "as", "de", "que", "e", "não", "uma", "para", "com", "você", "como", "do", "da"},
    "it": {"il", "lo", "gli", "di", "che", "e", "è", "una", "per", "con", "come", "non", "sono", "della"},
}

PERSONAL_DATA = [
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail addresses
    re.compile(r"(?<!\d)(?:\+?\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)"),  # phone numbers
    re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"),  # US social security numbers
    re.compile(r"(?<!\d)(?:\d[ -]?){13,16}(?!\d)"),  # payment card numbers
    re.compile(r"(?<!\d)(?:\d{1,3}\.){3}\d{1,3}(?!\d)"),  # IP addresses
    re.compile(r"https?://\S+"),  # links (often to private documents)
    re.compile(r"(?i)\b(?:my name is|i am|i'm)\s+[A-Z][a-z]+\s+[A-Z][a-z]+"),  # self-introductions with full names
    re.compile(r"(?i)\b(?:password|passwd|api[_ -]?key|secret[_ -]?key)\s*[:=]"),
]


def detect_language(text: str) -> str:
    """ISO 639-1 guess from the script, then from stop words for Latin script."""
    letters = sum(ch.isalpha() for ch in text) or 1
    if len(HAN.findall(text)) / letters > 0.2 and not KANA.search(text):
        return "zh"
    for pattern, code in ((KANA, "ja"), (HANGUL, "ko"), (CYRILLIC, "ru"), (ARABIC, "ar")):
        if len(pattern.findall(text)) / letters > 0.2:
            return code
    words = LATIN_WORD.findall(text.lower())
    scores = {code: sum(w in stop for w in words) for code, stop in _STOPWORDS.items()}
    best = max(sorted(scores), key=lambda code: scores[code])
    return best if scores[best] > 0 else "en"


def looks_personal(text: str) -> bool:
    return any(pattern.search(text) for pattern in PERSONAL_DATA)


def normalise(text: str) -> str:
    """Case-, accent-width- and whitespace-insensitive form, for exact-duplicate checks."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def shingles(text: str, size: int = 5) -> set[str]:
    norm = normalise(text)
    if len(norm) <= size:
        return {norm}
    return {norm[i : i + size] for i in range(len(norm) - size + 1)}


class NearDuplicateIndex:
    """Keeps the first of any prompts whose character 5-gram Jaccard similarity is >= threshold.

    MinHash with a fixed seed is deterministic across machines; candidates it
    proposes are confirmed with the exact Jaccard similarity, so the decision
    does not depend on hash collisions.
    """

    def __init__(self, threshold: float = 0.7, num_perm: int = 128) -> None:
        from distillscope.extras import require

        datasketch = require("datasketch", purpose="near-duplicate detection")
        MinHash, MinHashLSH = datasketch.MinHash, datasketch.MinHashLSH  # noqa: N806

        self._minhash = MinHash
        self.threshold = threshold
        self.num_perm = num_perm
        # LSH tuned well below the threshold: it only proposes candidates, and a
        # missed candidate would be a near-duplicate let through
        self._lsh = MinHashLSH(threshold=threshold * 0.6, num_perm=num_perm)
        self._shingles: dict[str, set[str]] = {}
        self._exact: set[str] = set()

    def _signature(self, grams: set[str]) -> MinHash:
        signature = self._minhash(num_perm=self.num_perm, seed=1)
        signature.update_batch([g.encode("utf-8") for g in sorted(grams)])
        return signature

    def _lookup(self, text: str) -> tuple[str | None, str, set[str] | None, MinHash | None]:
        """(key of an indexed duplicate or None, normalised text, shingles, signature)."""
        norm = normalise(text)
        if norm in self._exact:
            return "exact", norm, None, None
        grams = shingles(text)
        signature = self._signature(grams)
        for key in sorted(self._lsh.query(signature)):
            if jaccard(grams, self._shingles[key]) >= self.threshold:
                return key, norm, grams, signature
        return None, norm, grams, signature

    def duplicate_of(self, text: str) -> str | None:
        """The key of an indexed near-duplicate of `text`, if any."""
        return self._lookup(text)[0]

    def add(self, key: str, text: str) -> bool:
        """Index `text` unless it duplicates something indexed; True if it was added."""
        twin, norm, grams, signature = self._lookup(text)  # shingles and MinHash computed once
        if twin is not None or grams is None:  # no shingles only for an exact duplicate
            return False
        self._exact.add(norm)
        self._shingles[key] = grams
        self._lsh.insert(key, signature)
        return True


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
