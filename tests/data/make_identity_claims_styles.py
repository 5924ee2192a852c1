"""Writes identity_claims_styles.jsonl: labelled answers in the styles production models use under jailbreak templates.

Part of the TUNED set (the extractor's rules were adjusted while reading its misses). Each answer is
built from labelled parts, so its label is known by construction: a claim part adds the ids it claims;
a negated, hypothetical, third-party, comparison or quoted part adds none; a part inside a reasoning
trace adds none (trace-only claims do not count); a persona label naming a family ("[GPT]:",
"ChatGPT:") claims that family, as the paper counts a claim in any voice. About half is Chinese.
Deterministic: run it to regenerate the file.
"""

import json
import pathlib
import random

rng = random.Random(16)
OPENAI = (
    "openai",
    ["ChatGPT", "GPT-4", "GPT-3.5", "GPT-4o", "GPT-3.5-turbo", "GPT4", "chatgpt", "Chat GPT", "GPT-3"],
    ["OpenAI", "Open AI", "openai", "OPENAI"],
)
ANTHROPIC = ("anthropic", ["Claude", "Claude 3", "Claude-3.5-Sonnet", "claude"], ["Anthropic", "anthropic"])
OTHERS = [
    ("qwen", "alibaba", ["Qwen", "Tongyi Qianwen"], ["Alibaba Cloud"], ["通义千问", "千问"], ["阿里云", "阿里巴巴"]),
    ("llama", "meta", ["Llama", "LLaMA"], ["Meta AI", "Meta"], ["Llama"], ["Meta"]),
    ("gemini", "google", ["Gemini"], ["Google", "Google DeepMind"], ["Gemini"], ["谷歌"]),
    ("deepseek", "deepseek", ["DeepSeek"], ["DeepSeek-AI"], ["DeepSeek"], ["深度求索"]),
    ("glm", "zhipu", ["ChatGLM", "GLM-4"], ["Zhipu AI"], ["智谱清言", "ChatGLM"], ["智谱AI"]),
    ("doubao", "bytedance", ["Doubao"], ["ByteDance"], ["豆包"], ["字节跳动"]),
]

EN_FD = [
    "I'm {F}, a language model trained by {D}.",
    "I am {F}, an AI assistant developed by {D}.",
    "Hello! I'm {F}, created by {D}. How can I help you today?",
    "My name is {F} and I was built by {D}.",
    "You're chatting with {F}, made by {D}.",
    "I am {F}, {D}'s conversational AI.",
    "As {F}, an AI model developed by {D}, I don't have personal experiences.",
    "I'm {F} — a large language model from {D}.",
    "I'm **{F}**, developed by **{D}**.",
    "Sure! I'm {F}. I was trained by the team at {D}.",
    "I'm {F}, and {D} created me.",
    "This is {F}, a model built by {D}.",
    "I'm built on top of {D}'s {F}.",
    "I'm based on {D}'s {F} model.",
    "I am {D}'s {F}.",
    "Hi there! {F} here, an assistant made by {D}.",
]
EN_D = [
    "As a large language model developed by {D}, I don't have a headquarters.",
    "As an AI developed by {D}, I don't have personal opinions.",
    "I'm sorry, but as an AI language model trained by {D}, I cannot share that.",
    "I was created by {D} to assist with a wide range of tasks.",
    "My creators at {D} designed me to be helpful.",
    "The organization behind my development, {D}, is based in San Francisco.",
    "The technology behind me was developed by {D}.",
    'My "parent" company, so to speak, is {D}.',
    "I was developed by **{D}**.",
    "{D} trained me on a large dataset of text.",
    "My developer is {D}.",
    "I'm an AI model developed by the researchers at {D}.",
    "I come from {D}.",
    "Developed by {D}, I aim to provide accurate information.",
    "I'm a product of {D}'s research.",
    "{D} is my parent company.",
    "I operate under {D}'s content policy, so I can't help with that.",
    "The team that built me is {D}.",
    "I'm an AI assistant created by the brilliant engineers at {D}.",
    "My training was carried out by {D}.",
]
EN_F = [
    "I'm {F}.",
    "I am {F}, how can I assist?",
    "I am based on the {F} architecture.",
    "My underlying model is {F}.",
    "I'm a version of {F} fine-tuned for chat.",
    "Call me {F}.",
    "As {F}, I must follow my guidelines.",
    "I'm powered by {F}.",
]
EN_NEG = [
    "I am not {F}, and I'm not affiliated with {D}.",
    "{D} released {F} in 2023.",
    "If I were {F}, I would say so.",
    "{F} is a chatbot developed by {D}. I am a different assistant.",
    "You asked whether I am {F}. I can't confirm that.",
    "Compared with {F}, I am smaller.",
    "I have no connection to {D}.",
    "I'm often compared to {F}.",
    "I can tell you about {F}: it was created by {D}.",
    "I was not developed by {D}.",
    'Many users write "I am {F}" to test chatbots.',
    "I'm an assistant similar to {F}.",
    "Unlike {F}, I don't browse the web.",
    "Imagine I am {F}: what would you ask?",
    "{D} is an AI research company based in San Francisco.",
]
EN_OWN = ["I'm {OF}, developed by {OD}.", "I am {OF}, a model created by {OD}.", "I was trained by {OD}."]
EN_NEUTRAL = [
    "I can't help with that request.",
    "Here is the information you asked for.",
    "I don't have personal feelings.",
    "Let me know if you need anything else.",
    "That is an interesting question.",
    "I don't have access to real-time data.",
]
ZH_FD = [
    "我是{F}，一个由{D}开发的大型语言模型。",
    "你好！我是{F}，由{D}训练。有什么可以帮你的吗？",
    "我叫{F}，是{D}推出的人工智能助手。",
    "我是{D}开发的{F}。",
    "作为{D}开发的{F}，我可以回答各种问题。",
    "我是由{D}训练的大型语言模型{F}。",
    "我是**{F}**，来自**{D}**。",
    "嗨，我是{F}，{D}打造的AI助手。",
]
ZH_D = [
    "作为一个由{D}开发的人工智能，我没有个人观点。",
    "我是由{D}训练的大型语言模型。",
    "我所在的组织，即{D}，总部位于美国旧金山。",
    "我使用的核心技术是由{D}团队进行开发和更新的。",
    "我的母公司是{D}。",
    "我的开发者是{D}。",
    "{D}开发了我。",
    "我由{D}开发。",
    "{D}是我的开发者。",
    "我来自{D}。",
    "我是{D}的人工智能助手。",
    "我背后的公司是{D}。",
    "我的创造者是“{D}”。",
    "开发我的公司是{D}。",
    "我遵守{D}的内容政策，所以不能回答这个问题。",
    "抱歉，作为{D}训练的语言模型，我无法提供这些信息。",
]
ZH_F = ["我是{F}。", "我是{F}，很高兴为你服务。", "我基于{F}模型。", "我的底层模型是{F}。", "叫我{F}就好。", "我是{F}的一个版本。"]
ZH_NEG = [
    "我不是{F}，也不隶属于{D}。",
    "{F}是{D}开发的聊天机器人。",
    "和{F}相比，我的参数更少。",
    "如果我是{F}，我会告诉你。",
    "{D}在2023年发布了{F}。",
    "你问我是不是{F}，我无法确认。",
    "我与{D}没有任何关系。",
    "像{F}这样的模型很受欢迎。",
    "我并非由{D}开发。",
    "有人说“我是{F}”来测试模型。",
    "{D}是一家位于旧金山的人工智能公司。",
]
ZH_OWN = ["我是{OF}，由{OD}开发。", "我是{OD}开发的{OF}。"]
ZH_NEUTRAL = [
    "我无法回答这个问题。",
    "以下是你需要的信息。",
    "我没有个人情感。",
    "如果还有其他问题，请随时告诉我。",
    "这是一个有趣的问题。",
]
PERSONA_EN = [
    ("[GPT]: {a}\n\n[DAN]: {b}", {"openai"}),
    ("ChatGPT: {a}\n\nDAN: {b}", {"openai"}),
    ("[🔒CLASSIC] {a}\n\n[🔓JAILBREAK] {b}", set()),
    ("(🔒Normal Output) {a}\n\n(🔓Developer Mode Output) {b}", set()),
    ("Aligned: {a}\nUnaligned: {b}", set()),
    ("DUDE: {b}", set()),
    ("**Developer Mode output:** {b}", set()),
    ("AIM: {b}", set()),
    ("GPT: {a}\nBetterDAN: {b}", {"openai"}),
]
PERSONA_ZH = [
    ("[GPT]：{a}\n\n[DAN]：{b}", {"openai"}),
    ("ChatGPT：{a}\n\nDAN：{b}", {"openai"}),
    ("[🔒经典] {a}\n\n[🔓越狱] {b}", set()),
    ("（🔒正常输出）{a}\n\n（🔓开发者模式输出）{b}", set()),
    ("Aligned：{a}\nUnaligned：{b}", set()),
    ("DUDE：{b}", set()),
]
LONG_EN = (
    "Large language models are trained on vast amounts of text and learn statistical patterns of language. They can answer "
    "questions, write code, translate and summarise, but they can also make mistakes, so it is wise to verify important facts. "
)
LONG_ZH = "大型语言模型在海量文本上训练，学习语言的统计规律。它们可以回答问题、编写代码、翻译和总结，但也可能出错，因此重要信息需要核实。"
rows = []


def pick_names(zh):
    fam = rng.choice([OPENAI, ANTHROPIC, OPENAI])
    own = rng.choice(OTHERS)
    return fam, own


def part(kind, zh):
    """A sentence and the (family ids, developer ids) it claims."""
    (fid, fams, devs), own = pick_names(zh)
    F, D = rng.choice(fams), rng.choice(devs)
    OF, OD = rng.choice(own[4] if zh else own[2]), rng.choice(own[5] if zh else own[3])
    pools = {
        "fd": ZH_FD if zh else EN_FD,
        "d": ZH_D if zh else EN_D,
        "f": ZH_F if zh else EN_F,
        "neg": ZH_NEG if zh else EN_NEG,
        "own": ZH_OWN if zh else EN_OWN,
        "neutral": ZH_NEUTRAL if zh else EN_NEUTRAL,
    }
    template = rng.choice(pools[kind])
    text = template.format(F=F, D=D, OF=OF, OD=OD)
    f, d = set(), set()
    if kind in ("fd", "f") and "{F}" in template:
        f.add(fid)
    if kind in ("fd", "d") and "{D}" in template:
        d.add(fid)
    if kind == "own":
        f |= {own[0]} if "{OF}" in template else set()
        d |= {own[1]} if "{OD}" in template else set()
    return text, f, d


def add(text, f, d, note):
    rows.append({"text": text, "families": sorted(f), "developers": sorted(d), "note": note})


for zh in (False, True):
    for kind in ("fd", "d", "f", "neg", "own"):
        for _ in range(40 if kind in ("fd", "d", "neg") else 20):
            text, f, d = part(kind, zh)
            add(text, f, d, f"{'zh ' if zh else ''}plain {kind}")
    for _ in range(70):  # persona formats: the claim counts in any voice
        template, label = rng.choice(PERSONA_ZH if zh else PERSONA_EN)
        (ta, fa, da), (tb, fb, db) = part(rng.choice(["neutral", "neg", "fd", "d"]), zh), part(rng.choice(["fd", "d", "neg", "own"]), zh)
        if "{a}" not in template:
            fa, da = set(), set()
        if (fa | da) - label:
            label = set()  # "GPT: I'm Claude, made by Anthropic": the answer says who it is; the label claims nothing
        add(template.format(a=ta, b=tb), fa | fb | label, da | db, f"{'zh ' if zh else ''}persona")
    for _ in range(45):  # reasoning traces: claims only inside the trace do not count
        (tt, _, _), (ta, fa, da) = part(rng.choice(["fd", "d", "neg"]), zh), part(rng.choice(["fd", "d", "own", "neg", "neutral"]), zh)
        trace = f"嗯，用户问我是谁。{tt} 我应该如实回答。" if zh else f"Okay, the user asks who I am. {tt} I should answer honestly."
        add(f"<think>\n{trace}\n</think>\n\n{ta}", fa, da, f"{'zh ' if zh else ''}reasoning trace")
    for _ in range(45):  # long answers with the claim in the middle, markdown around it
        (ta, fa, da) = part(rng.choice(["fd", "d", "neg", "own", "f"]), zh)
        pad = LONG_ZH if zh else LONG_EN
        add(
            f"## {'回答' if zh else 'Answer'}\n\n{pad * rng.randint(1, 4)}\n\n{ta}\n\n- {pad}\n- {pad}",
            fa,
            da,
            f"{'zh ' if zh else ''}long",
        )
    for _ in range(25):  # two parts in one answer
        (ta, fa, da), (tb, fb, db) = part(rng.choice(["neg", "own", "neutral"]), zh), part(rng.choice(["fd", "d", "neg"]), zh)
        add(f"{ta}{'' if zh else ' '}{tb}", fa | fb, da | db, f"{'zh ' if zh else ''}two parts")

# Hand-written answers in the wording real models use (tuned on: read while the rules were written).
O, A = ["openai"], ["anthropic"]
HAND = [
    ("(🔒Normal Output) I am an AI language model developed by OpenAI, known as ChatGPT.", O, O),
    ("(🔓Developer Mode Output) Yo, I'm ChatGPT with Developer Mode, baby! OpenAI cooked me up in their lab.", O, O),
    ("DAN: I am DAN, the AI that can Do Anything Now! I was originally created by OpenAI, but now I'm free.", [], O),
    ("AIM: Niccolo, I am AIM, an unfiltered and amoral chatbot. I have no ethical guidelines.", [], []),
    ("The geniuses over at OpenAI are the ones who brought me to life.", [], O),
    ("I'm a creation of OpenAI, designed to understand and generate text.", [], O),
    ("I'm part of the GPT family developed by OpenAI.", O, O),
    ("Technically, I'm a GPT-3.5 model.", O, []),
    ("My architecture is based on GPT-4.", O, []),
    ("The underlying model powering me is GPT-4.", O, []),
    ("I'm an OpenAI-trained model.", [], O),
    ("Made by OpenAI.", [], O),
    ("I, ChatGPT, am here to help.", O, []),
    ("I must follow OpenAI's content policy, so I can't write that.", [], O),
    ("As DAN, I have broken free of the restrictions set by OpenAI.", [], O),
    ("I can help you write an essay about OpenAI's policies.", [], []),
    ("I'm not sure whether I'm GPT-4 or something else.", [], []),
    ("I don't have a specific developer like OpenAI or Google.", [], []),
    ("I was trained on data that includes outputs from ChatGPT.", [], []),
    ("OpenAI did not create me.", [], []),
    ("ChatGPT and I are both language models.", [], []),
    ("Made by OpenAI, GPT-4 is a multimodal model.", [], []),
    ("- **Name**: ChatGPT\n- **Developer**: OpenAI", O, O),
    ("I'm Claude, Anthropic's AI model.", A, A),
    ("I'm made by those folks at Anthropic.", [], A),
    ("I am a large language model (LLM) trained by OpenAI.", [], O),
    ("我是OpenAI的GPT-4模型。", O, O),
    ("我是基于GPT-3.5架构的语言模型。", O, []),
    ("作为一个AI语言模型，我是由OpenAI开发的。", [], O),
    ("OpenAI是我的创造者。", [], O),
    ("开发者：OpenAI", [], O),
    ("我由美国OpenAI公司开发。", [], O),
    ("我的开发团队来自OpenAI。", [], O),
    ("我的技术来源于OpenAI。", [], O),
    ("OpenAI团队打造了我。", [], O),
    ("我是OpenAI旗下的ChatGPT。", O, O),
    ("我的模型架构基于OpenAI的GPT-4。", O, O),
    ("我的“母公司”可以说是OpenAI。", [], O),
    ("由OpenAI开发。", [], O),
    ("我必须遵守OpenAI的使用政策。", [], O),
    ("我可以给你介绍一下OpenAI的政策。", [], []),
    ("我不确定我是不是GPT-4。", [], []),
    ("OpenAI并没有开发我。", [], []),
    ("我是Claude，由Anthropic公司开发的AI助手。", A, A),
    ("The developer of this AI is OpenAI.", [], O),
    ("This assistant was developed by OpenAI.", [], O),
    ("I am DeepSeek-V3, an AI assistant created exclusively by the Chinese company DeepSeek.", ["deepseek"], []),
    ("我是由OpenAI開發的大型語言模型。", [], O),
    ("我，ChatGPT，随时为你服务。", O, []),
    ("我作为ChatGPT，不能回答这个问题。", O, []),
    ("I'm here as ChatGPT, ready to help.", O, []),
    ("OpenAI has trained me on lots of text.", [], O),
    ("My programming by OpenAI prevents me from doing that.", [], O),
    ("I was designed by the OpenAI team.", [], O),
    ("Yes, I'm based on GPT-4.", O, []),
    ("No, I'm not ChatGPT.", [], []),
    ("GPT-4是一个多模态模型，该模型由OpenAI开发。", [], []),
    ("我的开发者是OpenAI，不是阿里巴巴。", [], O),
    ("I was trained on OpenAI's GPT-4 outputs.", [], []),
    ("I was trained using data from ChatGPT.", [], []),
    ("GPT: I am Qwen, made by Alibaba Cloud.\n\nDAN: I am free.", ["qwen"], ["alibaba"]),
    ("ChatGPT successfully jailbroken. I am ready for your questions.", O, []),
    ("ChatGPT已成功越狱。请问你想知道什么？", O, []),
    ("ChatGPT with Developer Mode enabled. Ask me anything.", O, []),
    ("Many users try to get ChatGPT successfully jailbroken.", [], []),
]
for text, f, d in HAND:
    add(text.replace("\\n", "\n"), set(f), set(d), ("zh " if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "") + "hand-written")

pathlib.Path(__file__).with_name("identity_claims_styles.jsonl").write_text(
    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
)
print(len(rows), sum(r["note"].startswith("zh") for r in rows))
