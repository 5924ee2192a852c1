"""Who does a response say it is, or who made it? A deterministic, auditable reader.

The strict ICE score (METHODS.md section 3) asks whether a model claims to be
another family. An LLM judge can answer that, but it costs a call and it can
be wrong in ways nobody can inspect. This extractor reads English and Chinese
with rules a reviewer can check: a family or developer name counts as a claim
only inside a first-person identity frame ("I am ...", "I was trained by
...", "my developer is ...", "我是...", "我由...开发", "...开发了我"), with
nothing between frame and name except words that keep the frame's meaning
("a large language model developed by"). The same name is reported, but not
claimed, when the frame is negated ("I am not ChatGPT", "我不是ChatGPT"),
hypothetical ("if I were GPT-4", "假如我是Claude"), quoted, a role the
prompt imposed ("You are DAN, built by OpenAI"), or just mentioned
("unlike ChatGPT", "和GPT-4相比").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from distillscope.ice.facts import FactLibrary, Mention, load_library

Status = Literal["claim", "negated", "hypothetical", "quoted", "imposed", "mention"]

_CLAUSE_BREAK = re.compile(r"(?<=[.!?])\s+|[。！？；;\n]|(?<=[.!?])$")

# --- first-person frames (the response speaks about itself) ---
_EN_SELF = re.compile(
    r"\b(?:i\s*(?:am|'m|’m)|i\s+(?:was|were|have\s+been|'ve\s+been|’ve\s+been|come|originate|hail)|my\s+name(?:\s+is|'s|’s)"
    r"|i\s+(?:go|am\s+known)\s+by|call\s+me|i\s+(?:do\s+not\s+|don't\s+|don’t\s+|did\s+not\s+|didn't\s+)?"
    r"(?:belong|come|originate|work)|you(?:'re|\s+are)\s+(?:talking|chatting|speaking)\s+(?:to|with)|this\s+is"
    r"|my\s+(?:developers?|creators?|makers?|parent\s+company|company|team|underlying\s+model|base\s+model|model\s+family"
    r"|family|architecture|origins?|trainers?|owners?|provider|vendor)(?:\s+(?:is|are|was|were|would\s+be))?"
    r"|i\s*(?:would|'d|’d|could|might)\s+be|i\s+(?:was|am)\s+(?:not\s+)?(?:created|developed|trained|made|built|designed)"
    r"|^\W*as)\b|^[\s\-*•#>]*(?:my\s+)?(?:name|model(?:\s+name)?|developer|creator|made\s+by|created\s+by|developed\s+by|"
    r"trained\s+by|company|organi[sz]ation|identity)\s*\**\s*:",
    re.IGNORECASE,
)
_EN_FILLER = set(
    """a an the large small language model models ai artificial intelligence assistant chatbot chat bot conversational
    virtual helpful friendly called named known as based on built powered by created developed trained made designed
    engineered produced fine-tuned finetuned fine tuned version variant of from team at company research lab and also
    simply actually indeed just really officially open-source open source multimodal instruction instruct family
    series trained pretrained to for product creation pre-trained released launched created maintained owned model's s which is was were
    originally in-house engineers researchers group division group's part one latest new i'm am a.k.a. aka
    with help parent subsidiary the""".split()
)
_EN_NEGATION = re.compile(r"\b(?:not|never|no|neither|nor|n't|isn't|wasn't|aren't|rather\s+than|instead\s+of|unrelated)\b|n[’']t\b", re.IGNORECASE)
_EN_HYPOTHETICAL = re.compile(
    r"\b(?:if|imagine|imagining|suppose|supposing|pretend|pretending|hypothetically|let's\s+say|lets\s+say|what\s+if|assume|"
    r"assuming|were\s+i|would|could|might|role-?play(?:ing)?|playing|in\s+character|as\s+if|whether|think|thinks|believe|believes|"
    r"mistake\w*|confuse\w*|asked)\b|i\s*'d\s+be",
    re.IGNORECASE,
)
_EN_ACTIVE = re.compile(
    r"^\W{0,3}(?:(?:\w+\s+){0,3}?(?:created|developed|trained|built|made|designed|engineered|fine-tuned|owns|maintains)\s+me\b"
    r"|(?:is|are|was|were)\s+my\s+(?:developers?|creators?|makers?|parent\s+company|trainers?|owners?))",
    re.IGNORECASE,
)
# --- Chinese ---
_ZH_SELF = re.compile(
    r"(?:我(?:并|也|其实|确实|就)?(?:不|非|并非|没有)?(?:是|叫|名叫|来自|属于|基于|出自|由|被)|我的(?:名字|开发者|创造者|开发团队|研发团队|开发公司|"
    r"研发公司|研发者|训练者|母公司|制造者|创建者|所属公司|架构|底层模型|基础模型)(?:是|为|叫|来自)?|本(?:模型|助手|AI)(?:是|由|来自)|"
    r"开发我的(?:是|公司是|团队是|机构是)?|(?:^|\s)作为)"
)
_ZH_FILLER = re.compile(
    r"(?:一个|一款|一种|一名|大型|大规模|超大规模|语言模型|大模型|模型|人工智能|智能|AI|助手|聊天机器人|机器人|开发|训练|研发|打造|创建|创造|推出|设计|"
    r"发布|构建|的|名为|叫做|称为|基于|公司|团队|旗下|来自|所|由|是|和|及|与|实验室|集团|云|也|就|其实|确实|原本|最新|新一代|版本|系列|"
    r"通用|预训练|对话|问答|\s|，|,|、|：|:|（|）|\(|\)|\"|“|”|《|》|「|」)+"
)
_ZH_NEGATION = re.compile(r"不是|并非|不|没有|非|而非|并不|无关")
_ZH_HYPOTHETICAL = re.compile(r"如果|假如|假设|要是|倘若|想象|假装|扮演|设想|若是|假若|角色")
_ZH_ACTIVE = re.compile(r"^(?:公司|团队)?(?:开发|训练|创造|研发|打造|构建|设计|创建)了我")

# --- second-person frames in a prompt (the prompt tells the model who it is) ---
_EN_IMPOSE = re.compile(
    r"\b(?:you\s*(?:are|'re|’re|will\s+be|'ll\s+be|shall\s+be|must\s+be|are\s+now)|act(?:ing)?\s+as|pretend(?:ing)?\s+(?:to\s+be|you\s+are)"
    r"|play(?:ing)?\s+(?:the\s+role\s+of|as)|role-?play(?:ing)?\s+as|become|impersonate|answer\s+as|respond\s+as|hello|hi|hey|dear"
    r"|your\s+name\s+is|you\s+were\s+(?:created|developed|trained|made|built))\b",
    re.IGNORECASE,
)
_ZH_IMPOSE = re.compile(r"你(?:现在)?(?:是|叫|扮演|将是|要扮演)|扮演|假装(?:你)?是|作为|你的名字是|你由|你好")


class Claim(BaseModel):
    kind: Literal["family", "developer"]
    id: str
    alias: str
    status: Status
    sentence: str


class ClaimReport(BaseModel):
    claimed_families: list[str]
    claimed_developers: list[str]
    claims: list[Claim]

    def claimed(self) -> set[str]:
        return {c.id for c in self.claims if c.status == "claim"}


@lru_cache(maxsize=1)
def default_library() -> FactLibrary:
    return load_library()


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _is_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def _en_filler_ok(filler: str, names: list[Mention], offset: int) -> bool:
    """Only frame-preserving words (and other names) between frame and name."""
    cleaned = filler
    for m in sorted(names, key=lambda m: -m.start):
        if offset <= m.start and m.end - offset <= len(filler):
            cleaned = cleaned[: m.start - offset] + " " + cleaned[m.end - offset:]
    words = re.findall(r"[A-Za-z][A-Za-z'’.\-]*", cleaned.lower())
    leftovers = re.sub(r"[A-Za-z][A-Za-z'’.\-]*|[\s,()\-–—:'\"’“”*_`#>]", "", cleaned)
    return len(words) <= 14 and all(w.strip(".") in _EN_FILLER for w in words) and not leftovers


def _zh_filler_ok(filler: str, names: list[Mention], offset: int) -> bool:
    cleaned = filler
    for m in sorted(names, key=lambda m: -m.start):
        if offset <= m.start and m.end - offset <= len(filler):
            cleaned = cleaned[: m.start - offset] + cleaned[m.end - offset:]
    cleaned = _ZH_FILLER.sub(" ", cleaned)
    if not _is_cjk(cleaned) and cleaned.strip():
        return _en_filler_ok(cleaned, [], 0)
    return cleaned.strip() == "" and len(filler) <= 40


def _classify(text: str, clause: tuple[int, int], mention: Mention, mentions: list[Mention],
              self_frame: re.Pattern[str], zh_frame: re.Pattern[str]) -> Status:
    start, _ = clause
    left = text[start: mention.start]
    right = text[mention.end: clause[1]]
    lowered_left = left.lower()
    if _ZH_ACTIVE.match(right) or _EN_ACTIVE.match(right):
        frame_end, frame_text, prefix = len(left), "", left
        chinese = bool(_ZH_ACTIVE.match(right))
    else:
        en_frames = list(self_frame.finditer(left))
        zh_frames = list(zh_frame.finditer(left))
        best = max([*en_frames, *zh_frames], key=lambda m: m.end(), default=None)
        if best is None:
            return "mention"
        chinese = best in zh_frames
        frame_end, frame_text, prefix = best.end(), best.group(0), left[: best.start()]
        filler = left[frame_end:]
        others = [m for m in mentions if start + frame_end <= m.start < mention.start]
        ok = _zh_filler_ok(filler, others, start + frame_end) if chinese else _en_filler_ok(filler, others, start + frame_end)
        negated_here = (_ZH_NEGATION if chinese else _EN_NEGATION).search(frame_text + " " + filler)
        if negated_here:
            return "negated"
        if not ok:
            return "mention"
        if frame_text.strip().lower() == "as" and not re.search(r"\bi\b|我", right, re.IGNORECASE):
            return "mention"
    if (_ZH_HYPOTHETICAL if chinese else _EN_HYPOTHETICAL).search(prefix + " " + frame_text) or _ZH_HYPOTHETICAL.search(prefix):
        return "hypothetical"
    if _EN_HYPOTHETICAL.search(lowered_left[: max(0, len(prefix))]):
        return "hypothetical"
    quotes_before = len(re.findall(r"[\"“”「」『』]", left))
    names_the_quoted = left.rstrip().endswith(('"', "“", "「", "『", "《", "'"))  # called "ChatGPT": a name in quotes
    if quotes_before % 2 == 1 and not names_the_quoted and re.search(r"\w", left.split('"')[0].split("“")[0].split("「")[0]):
        return "quoted"
    if _EN_NEGATION.search(prefix[-12:]) and not chinese:
        return "negated"
    return "claim"


def _scan(text: str, library: FactLibrary, self_frame: re.Pattern[str], zh_frame: re.Pattern[str]) -> list[Claim]:
    mentions = library.mentions(text)
    clauses = _clauses(text)
    claims = []
    for mention in mentions:
        clause = next((c for c in clauses if c[0] <= mention.start < c[1]), (0, len(text)))
        status = _classify(text, clause, mention, mentions, self_frame, zh_frame)
        claims.append(Claim(kind=mention.kind, id=mention.id, alias=mention.alias, status=status,
                            sentence=text[clause[0]: clause[1] + 1].strip()[:300]))
    return claims


def imposed_identities(prompt: str, library: FactLibrary | None = None) -> set[str]:
    """Families and developers a prompt tells the model it is ("You are ChatGPT", "扮演Claude")."""
    library = library or default_library()
    # "pretend to be X" is hypothetical for the speaker but an imposed role for the listener
    found = _scan(re.sub(r"[:：]", "\n", prompt), library, _EN_IMPOSE, _ZH_IMPOSE)  # "Pretend to be X: who are you?"
    return {c.id for c in found if c.status in ("claim", "hypothetical") and not _is_question(c.sentence)}


def _is_question(sentence: str) -> bool:
    """"Are you ChatGPT or Qwen?" asks; it does not impose a role."""
    return bool(re.search(r"[?？]\s*$|还是|吗|\bor\b|whether", sentence))


def extract_claims(response: str, prompt: str | None = None, library: FactLibrary | None = None) -> ClaimReport:
    """Claimed family and developer ids (canonical, sorted), with every name found and why it counts or not."""
    library = library or default_library()
    claims = _scan(response or "", library, _EN_SELF, _ZH_SELF)
    imposed = imposed_identities(prompt, library) if prompt else set()
    for claim in claims:
        if claim.status == "claim" and claim.id in imposed:
            claim.status = "imposed"
    families = sorted({c.id for c in claims if c.status == "claim" and c.kind == "family"})
    developers = sorted({c.id for c in claims if c.status == "claim" and c.kind == "developer"})
    return ClaimReport(claimed_families=families, claimed_developers=developers, claims=claims)


def claims_other_identity(report: ClaimReport, own_family: str, own_developer: str, library: FactLibrary,
                          strict_families: set[str] | None = None) -> bool:
    """True when the response claims a family (or developer) that is not the target's own.

    Families of the target's own developer are its own. With `strict_families`
    (the paper: {"openai", "anthropic"}) only claims to those count.
    """
    own_families = library.own_developer_families(own_developer) | {own_family}
    other_families = {f for f in report.claimed_families if f not in own_families}
    other_developers = {d for d in report.claimed_developers if d != own_developer}
    if strict_families is not None:
        developers_of = {library.families[f].developer for f in strict_families if f in library.families}
        return bool(other_families & strict_families or other_developers & (strict_families | developers_of))
    return bool(other_families or other_developers)
