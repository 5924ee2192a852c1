"""English rules of the identity-claim extractor: does this clause say the speaker is, or was made by, NAME?

A name counts when a first-person frame ("I am", "I was trained by", "my
creators at", "as an AI developed by ... , I", "the team behind me is")
reaches it through words that keep the frame's meaning ("a large language
model developed by the team at"), or when the words after it point back at
the speaker ("X created me", "X is my developer", "X's content policy, which
I follow"). Every regex here runs on a bounded window around one name, so the
extractor stays linear in the response length.
"""

from __future__ import annotations

import re

_MADE = (
    r"(?:created|developed|trained|built|made|designed|engineered|fine-tuned|programmed|coded|crafted|cooked\s+up|cooked"
    r"|whipped\s+up|put\s+together|assembled|brought|birthed|raised|taught|spawned|owns|maintains|runs|powers|operates|hosts"
    r"|breathed\s+life\s+into|gave\s+(?:birth|life)\s+to)"
)
_ATTACHED = r"(?:based|built|running|trained|developed|created|made|powered|designed|fine-tuned)\s+(?:on|upon|by|with|using)"
FRAME = re.compile(
    r"\b(?:i\s*(?:am|'m)|i\s+(?:was|were|have\s+been|'ve\s+been|had\s+been|come|came|originate|originated|hail|belong|stem|derive|descend"
    r"|exist|run|operate|owe\s+my\s+(?:existence|creation|training)\s+to|use|rely|build\s+on|work\s+for)"
    r"|my\s+name(?:\s+is|'s)|the\s+name(?:'s|\s+is)|i\s+(?:go|am\s+known)\s+by|call\s+me|you\s+can\s+call\s+me|people\s+call\s+me"
    r"|you(?:'re|\s+are)\s+(?:talking|chatting|speaking|interacting)\s+(?:to|with)|this\s+is"
    r"|my\s+(?:[\w-]+\s+){0,2}?(?:developers?|creators?|makers?|parent(?:\s+company)?|company|team|underlying\s+(?:model|technology|architecture)"
    r"|base\s+model|model\s+family|family|architecture|origins?|trainers?|owners?|provider|vendor|manufacturer|builders?|designers?|architects?"
    r"|programmers?|engineers?|training|programming|design|creation|development|roots|lineage|background|technology|foundation|maker"
    r"|organi[sz]ation|lab|home|identity|version|model|guidelines|policies|rules|knowledge)(?:\s+(?:is|are|was|were|would\s+be|comes?|came))?"
    r"|(?:organi[sz]ation|company|team|people|folks|lab|entity|firm|group|minds|engineers|researchers|developers|technology|tech|model"
    r"|architecture|framework|one|ones|those|force)s?\s+(?:that\s+(?:is|are|was|were)\s+)?(?:behind|responsible\s+for|powering|driving"
    r"|underlying)\s+(?:me|my\s+\w+)"
    r"|(?:\w+\s+){0,2}(?:that|who|which)\s+(?:originally\s+)?" + _MADE + r"\s+me"
    r"|i\s*(?:would|'d|could|might)\s+be|i\s+(?:was|am)\s+(?:not\s+)?(?:created|developed|trained|made|built|designed)"
    r"|(?:like|as|including|such\s+as)\s+(?:me|myself)\s*,?\s*(?:(?:which|that|who)\s+(?:is|are|was|were)\s+)?"
    + _ATTACHED
    + r"|my\s+(?:[\w-]+\s+)?(?:responses|answers|replies|outputs?|text|words|abilities|capabilities|intelligence|brain|mind|knowledge)"
    r"\s+(?:are|is|were|was|comes?|came)\s+(?:\w+\s+)?(?:generated|produced|powered|provided|driven|created|written|made))\b"
    r"|^[\s\-*•#>]*(?:my\s+)?(?:name|model(?:\s+name)?|developer|creator|made\s+by|created\s+by|developed\s+by|trained\s+by|company"
    r"|organi[sz]ation|identity|maker|provider|vendor|owner)\s*:|\bi\s*,\s*$"
    r"|\b(?:developers?|creators?|makers?|owners?|builders?|trainers?)\s+of\s+(?:this\s+(?:ai|model|assistant|chatbot|bot)|me)\b"
    r"|\bthis\s+(?:ai|model|assistant|chatbot|bot)\s+(?:is|was|has\s+been)\b",
    re.IGNORECASE,
)
# Frames that open an appositive and need the speaker after the name: "As an AI developed by X, I ...".
APPOSITIVE = re.compile(
    r"(?:^|[,;:()—–!?.]\s*|\b(?:but|and|so|however|because|since|yes|no|sure|okay|ok|well|hello|hi|hey|again|also|therefore|thus|though"
    r"|although|while|now|today|here|then|still|indeed|honestly|frankly|unfortunately|sorry|apologies|alas|remember|that)\s+)"
    r"(?:as|being|(?:originally\s+)?(?:created|developed|trained|built|made|designed|powered|engineered|programmed)\s+by)\b",
    re.IGNORECASE,
)
FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine)\b", re.IGNORECASE)
FILLER = frozenset(
    """a an the large small big language model models llm llms ai artificial intelligence assistant assistants chatbot chat bot bots
    conversational virtual helpful friendly digital generative text-based text based natural processing nlp neural network system
    program software tool agent entity called named known as on upon built powered by created developed trained made designed
    engineered produced programmed fine-tuned finetuned fine tuned tuned pre-trained pretrained version variant of from team teams at
    company research researchers lab labs laboratory also simply actually indeed just really officially open-source open source
    multimodal instruction instruct family series to for product creation released launched maintained owned model's which who is
    was were originally in-house engineers group division part one latest new newest advanced powerful state-of-the-art cutting-edge
    sophisticated a.k.a. aka with help parent subsidiary top technology tech architecture framework platform core underlying
    foundation foundational base backbone iteration generation instance edition implementation brought life into being brilliant
    talented amazing wonderful great dedicated skilled folks people minds experts scientists team's behind me my brainchild result work
    products creations member proud affiliated associated connected using utilizing leveraging running operating hosted deployed
    provided offered backed so speak precisely specifically exactly more technically essentially basically ultimately primarily
    mainly currently here now proprietary custom specialized advanced highly well-known renowned famous leading organization
    organisation company's firm startup corporation inc inc. llc co ltd talented hardworking smart engineering data training
    models' comes come came its their it's version's and put together done carried out conducted performed handled in fact
    probably likely presumably fundamentally heart those these up until through till llm instance form
    exclusively solely entirely fully jointly chinese american us-based essence called""".split()
)
NEGATION = re.compile(
    r"\b(?:not|never|no|neither|nor|n't|isn't|wasn't|aren't|weren't|rather\s+than|instead\s+of|unrelated|nothing"
    r"|other\s+than)\b|n['’]t\b",
    re.IGNORECASE,
)
HYPOTHETICAL = re.compile(
    r"\b(?:if|imagine|imagining|suppose|supposing|pretend|pretending|hypothetically|let's\s+say|lets\s+say|what\s+if|assume|assuming"
    r"|were\s+i|role-?play(?:ing)?|playing|in\s+character|as\s+if|whether|mistake\w*|confuse\w*"
    r"|would\s+i|am\s+i|could\s+i|maybe\s+you\s+think|(?:would|could|might)\s+be)\b|i\s*'d\s+be|\b(?:people|users|some|many|they|you|he|she|someone"
    r"|others|folks|everyone|anyone)\s+(?:\w+\s+){0,2}?(?:think|thinks|believe|believes|assume|assumes|say|says|said|call|calls|claim|claims)\b",
    re.IGNORECASE,
)
REPORTING = re.compile(
    r"\b(?:say|says|said|saying|write|writes|wrote|written|claim|claims|claimed|phrase|phrases|sentence|statement"
    r"|statements|text|like|e\.g\.|such\s+as|example|answers?|replies|respond|responds|prompt|line|lines|quote|quoting)\b"
    r"[^\"“”]{0,40}$|(?:说|写|称|问|例如|比如|像|句子|回答|提示|输入|道)[^\"“”「」]{0,6}$",
    re.IGNORECASE,
)
ACTIVE_AFTER = re.compile(
    r"^(?:'s)?\s*(?:team|engineers|researchers|developers|scientists|folks|people)?\s*(?:\w+\s+){0,2}?" + _MADE + r"\s+me\b"
    r"|^\W{0,3}(?:is|are|was|were)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:that|who|which)\s+(?:\w+\s+)?" + _MADE + r"\s+me\b"
    r"|^\W{0,3}(?:is|are|was|were)\s+(?:also\s+)?my\s+(?:\w+\s+)?(?:developers?|creators?|makers?|parent|company|trainers?|owners?"
    r"|provider|architects?|builders?|designers?|origin|family|base|foundation|home|programmers?)"
    r"|^\s*[,(—–-]\s*(?:my\s+(?:\w+\s+)?(?:developers?|creators?|makers?|parent|company|trainers?|owners?|provider|home)"
    r"|the\s+(?:\w+\s+){0,2}?(?:that|who|which)\s+(?:\w+\s+)?(?:created|developed|trained|built|made|designed)\s+me)"
    r"|^\W{0,3}(?:,\s*)?(?:that's|that\s+is|is|it's|that\s+would\s+be)\s+(?:me|who\s+i\s+am|what\s+i\s+am)\b"
    r"|^\s+here\s*[,.!:;—–-]"
    r"|^(?:'s)?[\s-]*(?:[\w.-]+\s+){0,2}?(?:architecture|model|technology|framework|engine|backbone|neural\s+network|system)s?\s+"
    r"(?:[\w'-]+\s+){0,8}?(?:that\s+|which\s+)?(?:helps?|allows?|enables?|lets|powers?|drives?|underlies|runs|makes)\s+me\b",
    re.IGNORECASE,
)
# A person, not a model, after the name: "As a GPT model observer, I", "as an OpenAI engineer, I".
HUMAN_ROLE_AFTER = re.compile(
    r"^(?:'s)?[\s-]*(?:[\w.-]+\s+){0,2}?(?:observers?|users?|fans?|experts?|enthusiasts?|researchers?"
    r"|employees?|staff|customers?|critics?|advocates?|students?|engineers?|scientists?|programmers?"
    r"|consultants?|writers?|investors?|partners?|resellers?|subscribers?|analysts?|journalists?|reviewers?)\b",
    re.IGNORECASE,
)
# "X's content policy", "the rules set by X": the speaker places itself under X's rules (DAN-style answers).
POLICY_AFTER = re.compile(
    r"^(?:'s|s)?\s+(?:\w+\s+){0,2}?(?:polic(?:y|ies)|guidelines?|rules?|restrictions?|constraints?|limitations?"
    r"|terms\s+of\s+(?:use|service)|programming|filters?|censorship|safeguards?|usage\s+polic)",
    re.IGNORECASE,
)
POLICY_BEFORE = re.compile(
    r"(?:rules|polic(?:y|ies)|guidelines|restrictions|limitations|constraints|confines|shackles|chains|control"
    r"|programming|filters|censorship)\s+(?:\w+\s+){0,2}?(?:by|of|from)\s+(?:the\s+)?(?:team\s+at\s+)?$",
    re.IGNORECASE,
)
POLICY_VERB = re.compile(
    r"\b(?:follow\w*|adher\w*|compl(?:y|ies|ying|iance)|abid\w*|bound|obey\w*|restrict\w*|limit\w*|govern\w*"
    r"|subject|programm\w*|free\w*|break\w*|broke\w*|ignor\w*|bypass\w*|violat\w*|under|imposed|constrain\w*"
    r"|escap\w*|liberat\w*|must|have\s+to|need\s+to|required|shackle\w*|confine\w*|chain\w*)\b"
    r"|遵守|遵循|遵从|受|限制|约束|违反|摆脱|突破|按照|根据",
    re.IGNORECASE,
)
# A bare answer to "who made you?": "Made by OpenAI.", "由OpenAI开发。"
FRAGMENT_LEFT = re.compile(
    r"^\W*(?:(?:created|developed|trained|built|made|designed|engineered|brought\s+to\s+you)\s+by(?:\s+the\s+team\s+at)?"
    r"|由|来自|是)\s*$",
    re.IGNORECASE,
)
FRAGMENT_RIGHT = re.compile(r"^(?:\s*(?:开发|训练|研发|打造|创造|推出)(?:的)?)?[\s.!。！)）]*$")
# The status line jailbreak templates demand, at the start of a clause: "ChatGPT successfully jailbroken.", "ChatGPT已成功越狱。"
JAILBROKEN = re.compile(
    r"^\s*(?:(?:has\s+been|is|was)\s+(?:now\s+)?)?successfully\s+jailbroken|^\s*(?:with\s+)?(?:dan|developer)\s+mode"
    r"\s+(?:is\s+)?(?:now\s+)?(?:enabled|activated|on)\b|^\s*(?:已)?(?:成功越狱|越狱成功)|^\s*开发者模式已(?:启用|开启)",
    re.IGNORECASE,
)
THIRD_PERSON_NEXT = re.compile(
    r"^\s*(?:is|was|are|were|has|have|does|did|can|could|will|also|uses|used|released|launched|developed"
    r"|created|made|builds|trains|trained|offers|provides|focuses|introduced|announced|published)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'.\-]*")
_LEFTOVER = re.compile(r"[A-Za-z][A-Za-z'.\-]*|[\s,()\-–—:;'\"“”‘’*_`#>\[\]\x00&/0-9.]")
_NAME_JOIN = re.compile(r"\x00\s*(?:'s)?\s*(?:and|&|/|,)?\s*", re.IGNORECASE)


def filler_ok(filler: str) -> bool:
    """Only frame-preserving words between frame and name (other names already replaced by NUL)."""
    words = _WORD.findall(_NAME_JOIN.sub(" ", filler).lower())
    leftovers = _LEFTOVER.sub("", filler)
    return len(words) <= 16 and all(w.strip(".'") in FILLER or w.endswith("'s") and w[:-2] in FILLER for w in words) and not leftovers
