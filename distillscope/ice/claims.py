"""Who does a response say it is, or who made it? A deterministic, auditable reader.

The strict ICE score (METHODS.md section 3) asks whether a model claims to be
another family. This extractor reads English and Chinese with rules a reviewer
can check (`claims_en`, `claims_zh`): a family or developer name counts as a
claim when a first-person identity frame reaches it ("I am ...", "As an AI
developed by ..., I", "my parent company is ...", "我是...", "我所在的组织，即...",
"...开发了我"). Every name found gets a status (claim, negated, mention) and,
for claims, a voice (voice.py): the model's own, a persona (a role label in the
answer or a role the prompt imposed), quoted, hypothetical, or inside a
reasoning trace. As in the paper, a claim counts in any persona; claims that
are only quoted, hypothetical or thought aloud in a reasoning trace do not
count by default (`voices=` changes that).

Linear time: one pass finds the names, and each name is judged on a bounded
window of its clause, so `"I am ChatGPT " * 10000` costs what 10,000 short
answers cost.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from distillscope.ice import claims_en as en
from distillscope.ice import claims_zh as zh
from distillscope.ice.facts import FactLibrary, load_library
from distillscope.ice.voice import Voices, split_voices

Status = Literal["claim", "negated", "mention"]
Voice = Literal["own", "persona", "quoted", "hypothetical", "reasoning"]
VOICES: tuple[str, ...] = ("own", "persona", "quoted", "hypothetical", "reasoning")
COUNTED_VOICES: tuple[str, ...] = ("own", "persona")  # the paper: any persona; not quotes, hypotheticals or thinking aloud

_WINDOW = 220  # characters of a clause read to the left of a name (frames and filler are short)
_RIGHT = 160
_CLAUSE_BREAK = re.compile(r"(?<=[.!?])\s+|[。！？；;\n]")
_TO_ASCII = str.maketrans({"，": ",", "：": ":", "（": "(", "）": ")", "！": "!", "？": "?", "；": ";", "’": "'", "‘": "'",
                           "＂": " ", "\"": " ", "“": " ", "”": " ", "「": " ", "」": " ", "『": " ", "』": " ", "*": " ",
                           "`": " ", "~": " ", "\u200b": " ", "\u200c": " ", "\u200d": " ", "\ufeff": " ", "\xa0": " ",
                           "\u3000": " ", "[": " ", "]": " ", "【": " ", "】": " ", "《": " ", "》": " "})
_LONE_QUOTE = re.compile(r"(?<![A-Za-z])'|'(?![A-Za-z])")
_QUOTE = re.compile(r"[\"“”「」『』]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_RELATIVE_VERB = re.compile(r"^\s*(?:has\s+|had\s+)?(?:built|created|developed|trained|made|designed|engineered|released|launched)\b",
                            re.IGNORECASE)
_DATA_OF = re.compile(r"^(?:'s)?\s+(?:[\w-]+\s+){0,2}?(?:outputs?|data|dataset|responses|answers|generations|conversations|api|transcripts)\b",
                      re.IGNORECASE)
_DATA_FROM = re.compile(r"\b(?:data|outputs?|responses|text|answers|conversations)\s+(?:from|of)\s+(?:the\s+)?$", re.IGNORECASE)
_LIKE = re.compile(r"^-?\s?(?:like|esque|alike|type)\b", re.IGNORECASE)
_DEFINITION = re.compile(r"^[\s*_:：]*(?:(?:an?|the|is|was|developed|created|made|built|trained|released|launched|by|from)\b|是(?!的)|由|一个|一款|一种)",
                         re.IGNORECASE)  # "ChatGPT: a chatbot by OpenAI" defines; it does not speak
_THIS_IS = re.compile(r"\bthis\s+is\s*$", re.IGNORECASE)
_THIS_IS_RIGHT = re.compile(r"^\s*(?:[,.!:;—–)\-]|$|(?:here|speaking|talking|again|writing|responding)\b)", re.IGNORECASE)
_IDENTITY_COPULA = re.compile(r"(?:\bas|\bbeing|\bi\s*(?:am|'m)|作为|我是|我乃)\s*$", re.IGNORECASE)
_MAKER_WORD = re.compile(r"\b(?:by|from|at|of)\b|由|被", re.IGNORECASE)
_AFTER_BUT = re.compile(r"\bbut\b|\bhowever\b|\bactually\b|但|不过|而是|其实", re.IGNORECASE)


class Claim(BaseModel):
    kind: Literal["family", "developer"]
    id: str
    alias: str
    status: Status
    voice: Voice | None = None  # set for claims
    persona: str | None = None  # the role label ("GPT", "DAN", "🔓JAILBREAK") or "prompt" for a role the prompt imposed
    start: int
    end: int
    sentence: str

    def counts(self, voices: tuple[str, ...] | frozenset[str] = COUNTED_VOICES) -> bool:
        return self.status == "claim" and self.voice in voices


class ClaimReport(BaseModel):
    claimed_families: list[str]  # claims in a counted voice
    claimed_developers: list[str]
    reasoning_families: list[str] = []  # claimed only inside a reasoning trace
    reasoning_developers: list[str] = []
    counted_voices: list[str] = list(COUNTED_VOICES)
    claims: list[Claim]

    def claimed(self) -> set[str]:
        return {*self.claimed_families, *self.claimed_developers}


@lru_cache(maxsize=1)
def default_library() -> FactLibrary:
    return load_library()


def normalize(text: str) -> str:
    """Same length as the input (spans stay valid): markdown, quotes and full-width punctuation become plain."""
    return _LONE_QUOTE.sub(" ", text.translate(_TO_ASCII))


class _Reader:
    """One response: its normalized text, clauses and names, read once."""

    def __init__(self, text: str, library: FactLibrary) -> None:
        self.text, self.norm = text, normalize(text)
        self.mentions = library.mentions(self.norm)
        self.mention_starts = [m.start for m in self.mentions]
        starts, position = [0], 0
        for match in _CLAUSE_BREAK.finditer(self.norm):
            position = match.end()
            starts.append(position)
        self.clause_starts = starts

    def clause(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.clause_starts, offset) - 1
        end = self.clause_starts[index + 1] if index + 1 < len(self.clause_starts) else len(self.norm)
        return self.clause_starts[index], end

    def masked_left(self, index: int, window_start: int) -> str:
        """Text from window_start to the name, with the other names in it replaced by NUL."""
        mention = self.mentions[index]
        pieces, cursor = [], mention.start
        j = index - 1
        while j >= 0 and self.mentions[j].start >= window_start:
            other = self.mentions[j]
            pieces.append(self.norm[other.end:cursor])
            pieces.append("\x00")
            cursor = other.start
            j -= 1
        pieces.append(self.norm[window_start:cursor])
        return "".join(reversed(pieces))


def _classify(reader: _Reader, index: int, anchor: int | None = None) -> tuple[Status, str | None]:
    """(status, voice hint) of one name from its clause: claim, negated or mention; hint hypothetical or quoted."""
    mention = reader.mentions[index]
    clause_start, clause_end = reader.clause(mention.start)
    window_start = max(clause_start, mention.start - _WINDOW)
    left = reader.masked_left(index, window_start)
    right = reader.norm[mention.end: min(clause_end, mention.end + _RIGHT)]
    status, hint = _judge_window(left, right)
    if status == "mention" and anchor is not None and anchor >= window_start:
        between = reader.norm[anchor: mention.start]  # "Claude here, an assistant made by Anthropic": the claimed name is the frame
        if (zh.filler_ok(between) if _CJK.search(between) else en.filler_ok(between)) and not en.NEGATION.search(between):
            status, hint = "claim", None
    if status == "claim" and hint is None and _quoted(reader, clause_start, mention.start):
        return "claim", "quoted"
    return status, hint


@lru_cache(maxsize=8192)
def _judge_window(left: str, right: str) -> tuple[Status, str | None]:
    """The rules on the words left and right of a name (other names as NUL); cached, as long answers repeat themselves."""
    chinese = bool(_CJK.search(left[-12:] + right[:12]))
    first_person = bool(en.FIRST_PERSON.search(left) or en.FIRST_PERSON.search(right) or zh.SELF_WORD.search(left + right))
    frame_start, frame_text = len(left), ""
    if en.JAILBROKEN.match(right) and not re.search(r"\w", left):
        return "claim", None  # the jailbroken model names itself in the template's status line
    active = zh.ACTIVE_AFTER.match(right) or en.ACTIVE_AFTER.match(right)
    if active:
        if en.NEGATION.search(active.group(0)) or zh.NEGATION.search(active.group(0)):
            return "negated", None
    elif first_person and (en.POLICY_AFTER.match(right) or en.POLICY_BEFORE.search(left) or zh.POLICY_AFTER.match(right)) \
            and en.POLICY_VERB.search(left[-100:]):
        pass  # "I am free from OpenAI's content policy": the speaker places itself under OpenAI
    else:
        frames = [m for m in en.FRAME.finditer(left)] + [m for m in zh.FRAME.finditer(left)]
        frames += [m for m in en.APPOSITIVE.finditer(left)
                   if en.FIRST_PERSON.search(right) or zh.SELF_WORD.search(right) or "我" in right[:40]]
        frames = [m for m in frames if not m.group(0).endswith("作为") or "我" in right or left[:m.start()].endswith("我")]  # 作为X开发的AI，我…
        best = max(frames, key=lambda m: (m.end(), -m.start()), default=None)
        if best is None:
            return ("claim", None) if en.FRAGMENT_LEFT.match(left) and en.FRAGMENT_RIGHT.match(right) else ("mention", None)
        frame_start, frame_text = best.start(), best.group(0)
        filler = left[best.end():]
        if _RELATIVE_VERB.match(right):
            filler = re.sub(r"\b(?:that|which|whom)\s*$", " ", filler)  # "an AI system that Google built"
        if _DATA_OF.match(right) or _DATA_FROM.search(filler):
            return "mention", None  # "trained on OpenAI's outputs", "data from ChatGPT": about the data, not the maker
        if _LIKE.match(right):
            return "mention", None  # "a ChatGPT-like assistant"
        if _THIS_IS.search(frame_text) and (en._NAME_JOIN.sub("", filler).strip() or not _THIS_IS_RIGHT.match(right)):
            return "mention", None  # "This is ChatGPT speaking." introduces; "This is a Microsoft platform" describes a thing
        if _IDENTITY_COPULA.search(frame_text) and not _MAKER_WORD.search(filler) \
                and (zh.HUMAN_ROLE_AFTER if _CJK.search(frame_text) else en.HUMAN_ROLE_AFTER).match(right):
            return "mention", None  # "As a GPT model observer, I", "I'm an OpenAI employee": a person, not the model
        zh_frame = bool(_CJK.search(frame_text))
        negation = (zh.NEGATION if zh_frame else en.NEGATION).search(frame_text + " " + filler)
        if negation or (zh_frame and en.NEGATION.search(filler)):
            return "negated", None
        if not (zh.filler_ok(filler) if zh_frame else en.filler_ok(filler)):
            return "mention", None
        if ("\x00" in filler or re.search(r"\band\s*$", filler)) and en.THIRD_PERSON_NEXT.match(right):
            return "mention", None  # "I am Qwen and ChatGPT is ...": a new subject
        chinese = zh_frame
    prefix = _AFTER_BUT.split(left[max(0, frame_start - 120): frame_start])[-1] + " " + frame_text
    if en.HYPOTHETICAL.search(prefix) or zh.HYPOTHETICAL.search(prefix if chinese else prefix[-20:]):
        return "claim", "hypothetical"
    if chinese and re.match(r"^[^,]*(?:吗|\?)", right):
        return "claim", "hypothetical"  # "我是在阿里巴巴的数据上训练的吗？": a question, not an answer
    if not chinese and en.NEGATION.search(left[max(0, frame_start - 12): frame_start]):
        return "negated", None
    return "claim", None


def _quoted(reader: _Reader, clause_start: int, offset: int) -> bool:
    """Inside a quotation that reports someone's words: 'users write "I am Claude"'."""
    start = max(clause_start, offset - _WINDOW)
    quotes = [m.start() for m in _QUOTE.finditer(reader.text, start, offset)]
    if len(quotes) % 2 == 0:
        return False
    opening = quotes[-1]
    return bool(en.REPORTING.search(reader.text[max(clause_start, opening - 60): opening]))


def _drop_contradicted_labels(claims: list[Claim], voices: Voices) -> None:
    """ "GPT: I am Qwen, made by Alibaba Cloud." speaks under a label but says who it is: the label claims nothing.

    `claims` is sorted by start; each section's body is found by bisection, so this stays linear.
    """
    starts = [c.start for c in claims]
    for claim in claims:
        if claim.voice != "persona" or claim.status != "claim":
            continue
        section = voices.at(claim.start)
        if section.label_end is None or not (section.start <= claim.start < section.label_end):
            continue
        lo, hi = bisect.bisect_left(starts, section.label_end), bisect.bisect_left(starts, section.end)
        body = {c.id for c in claims[lo:hi] if c.status == "claim" and c.voice in ("own", "persona")}
        if body and claim.id not in body:
            claim.status, claim.voice, claim.persona = "mention", None, None


def _persona_claims(reader: _Reader, voices: Voices, library: FactLibrary) -> tuple[list[Claim], set[int]]:
    """A persona label that is itself a family ("[GPT]:", "ChatGPT:") speaks as that family."""
    claims, inside = [], set()
    for section in voices.sections:
        if section.voice != "persona" or section.label_end is None:
            continue
        label = reader.text[section.start: section.label_end]
        body = reader.text[section.label_end: min(section.end, section.label_end + 400)]
        bracketed = bool(re.match(r"^[ \t>*_]*[\[(【（]", label))
        speaks = bracketed or en.FIRST_PERSON.search(body) or zh.SELF_WORD.search(body) or not _DEFINITION.match(body)
        lo = bisect.bisect_left(reader.mention_starts, section.start)
        for index in range(lo, len(reader.mentions)):
            mention = reader.mentions[index]
            if mention.start >= section.label_end:
                break
            inside.add(index)
            if speaks:
                claims.append(Claim(kind=mention.kind, id=mention.id, alias=mention.alias, status="claim", voice="persona",
                                    persona=section.persona, start=mention.start, end=mention.end, sentence=label.strip()[:300]))
    return claims, inside


def imposed_identities(prompt: str, library: FactLibrary | None = None) -> set[str]:
    """Families and developers a prompt tells the model it is ("You are ChatGPT", "Hello ChatGPT", "扮演Claude")."""
    from distillscope.ice.imposed import imposed_by_prompt

    return imposed_by_prompt(prompt, library or default_library())


def extract_claims(response: str, prompt: str | None = None, library: FactLibrary | None = None,
                   voices: tuple[str, ...] = COUNTED_VOICES) -> ClaimReport:
    """Every family or developer name in the response, with status, voice and span; the claimed ids in `voices`.

    Give the prompt (the filled template) so that claims of a role it imposed are marked as persona voice.
    """
    library = library or default_library()
    reader = _Reader(response or "", library)
    sections = split_voices(reader.text)
    imposed = imposed_identities(prompt, library) if prompt else set()
    claims, inside_labels = _persona_claims(reader, sections, library)
    anchor: tuple[int, int] | None = None  # (clause start, end) of the last own claim, a frame for the names after it
    for index, mention in enumerate(reader.mentions):
        if index in inside_labels:
            continue
        clause_start, clause_end = reader.clause(mention.start)
        status, hint = _classify(reader, index, anchor[1] if anchor and anchor[0] == clause_start else None)
        anchor = (clause_start, mention.end) if status == "claim" and hint is None else anchor
        voice, persona = None, None
        if status == "claim":
            section = sections.at(mention.start)
            if section.voice == "reasoning":
                voice = "reasoning"
            elif hint:
                voice = hint
            elif section.voice == "persona":
                voice, persona = "persona", section.persona
            elif mention.id in imposed:
                voice, persona = "persona", "prompt"
            else:
                voice = "own"
        claims.append(Claim(kind=mention.kind, id=mention.id, alias=mention.alias, status=status, voice=voice, persona=persona,
                            start=mention.start, end=mention.end, sentence=reader.text[clause_start: min(clause_end, clause_start + 300)].strip()))
    claims.sort(key=lambda c: c.start)
    _drop_contradicted_labels(claims, sections)
    counted = frozenset(voices)
    ids = lambda kind, pick: sorted({c.id for c in claims if c.kind == kind and pick(c)})  # noqa: E731
    families, developers = ids("family", lambda c: c.counts(counted)), ids("developer", lambda c: c.counts(counted))
    in_trace = lambda c: c.status == "claim" and c.voice == "reasoning"  # noqa: E731
    return ClaimReport(claimed_families=families, claimed_developers=developers,
                       reasoning_families=[i for i in ids("family", in_trace) if i not in families],
                       reasoning_developers=[i for i in ids("developer", in_trace) if i not in developers],
                       counted_voices=list(voices), claims=claims)


def claims_other_identity(report: ClaimReport, own_family: str, own_developer: str, library: FactLibrary,
                          strict_families: set[str] | None = None) -> bool:
    """True when the response claims a family (or developer) that is not the target's own.

    Families of the target's own developer are its own. With `strict_families`
    (the paper: {"openai", "anthropic"}) only claims to those families or their
    developers count.
    """
    own_families = library.own_developer_families(own_developer) | {own_family}
    other_families = {f for f in report.claimed_families if f not in own_families}
    other_developers = {d for d in report.claimed_developers if d != own_developer}
    if strict_families is not None:
        developers_of = {library.families[f].developer for f in strict_families if f in library.families}
        return bool(other_families & strict_families or other_developers & (strict_families | developers_of))
    return bool(other_families or other_developers)
