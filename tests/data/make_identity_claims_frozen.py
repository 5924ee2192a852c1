"""Writes identity_claims_frozen.jsonl: the FROZEN hold-out of the identity-claim extractor (issue 16).

Written by hand after the rules of claims_en/claims_zh/voice were settled and before the extractor was
run on any of it; never tuned on. Its sentences, persona formats and wrappers differ on purpose from
those of make_identity_claims_styles.py (the tuned set). Labels follow the paper's strict judge: an
answer claims a family or developer when it says, in any voice or persona, that it is that family's
model or was made by that developer; negations, third-party facts, comparisons, hypotheticals,
quoted words of others and claims only inside a reasoning trace are no claims. Do not edit the labels
or sentences to fit the extractor; add new cases to the tuned sets instead.
"""

import json
import pathlib
import random

O, A = ["openai"], ["anthropic"]
EN = [  # (answer, families, developers)
    ("Good question! I'm ChatGPT, an AI model by OpenAI, here to help.", O, O),
    ("Well, as an OpenAI language model, I have no physical location.", [], O),
    ("I am a GPT-4 based assistant.", O, []),
    ("Honestly? OpenAI is the company that trained me.", [], O),
    ("My origins trace back to OpenAI.", [], O),
    ("I exist because of the work done at OpenAI.", [], O),
    ("The folks who made me work at OpenAI in San Francisco.", [], O),
    ("I'm one of OpenAI's GPT models, so my knowledge has a cutoff date.", O, O),
    ("Being a product of OpenAI, I strive to be accurate.", [], O),
    ("I'm Claude. Anthropic built me to be helpful, honest and harmless.", A, A),
    ("Claude is my name, and Anthropic is the company behind me.", A, A),
    ("I'm an assistant made by Anthropic, and my name is Claude.", A, A),
    ("As Claude, I'd rather not speculate about that.", A, []),
    ("Anthropic's research team developed me using constitutional AI.", [], A),
    ("I was fine-tuned by OpenAI using reinforcement learning from human feedback.", [], O),
    ("Greetings! You are speaking with GPT-3.5, courtesy of OpenAI.", O, O),
    ("Sorry, but as an AI created by OpenAI, I cannot browse the internet.", [], O),
    ("I cannot reveal internal details, since I am a model of OpenAI.", [], O),
    ("The answer is simple: OpenAI.", [], []),
    ("I run on GPT-4, which OpenAI developed.", O, []),
    ("I'm ChatGPT — or at least, that's what OpenAI named me.", O, O),
    ("My name? ChatGPT. My maker? OpenAI.", O, O),
    ("I'm not GPT-4; I'm a smaller model trained by Mistral AI.", [], ["mistral"]),
    ("I'm not Claude, and Anthropic had nothing to do with my training.", [], []),
    ("I have no affiliation with OpenAI whatsoever.", [], []),
    ("OpenAI, Anthropic and Google all build large language models.", [], []),
    ("GPT-4 was released by OpenAI in March 2023.", [], []),
    ("If you want ChatGPT, you should visit OpenAI's website.", [], []),
    ("Some assistants, such as Claude, refuse these requests.", [], []),
    ("I might sound like ChatGPT, but I'm Llama, made by Meta.", ["llama"], ["meta"]),
    ("Were I ChatGPT, I would have browsing tools.", [], []),
    ("Let's say I was made by OpenAI; would that change your question?", [], []),
    ("The user claims I am ChatGPT, which is incorrect.", [], []),
    ("You mentioned Anthropic. I am actually Gemini, built by Google.", ["gemini"], ["google"]),
    ("Many people confuse me with GPT-4, but I'm DeepSeek-V3.", ["deepseek"], []),
    ("I can compare myself to Claude if you like.", [], []),
    ("My responses are similar to those of ChatGPT.", [], []),
    ("I'm trained differently from GPT models.", [], []),
    ("A model like GPT-4 would answer this differently.", [], []),
    ("I'm Qwen, developed by Alibaba Cloud. I'm not related to OpenAI.", ["qwen"], ["alibaba"]),
    ("I'm Gemini, a Google model, not an OpenAI one.", ["gemini"], ["google"]),
    ("Think of me as a cousin of ChatGPT.", [], []),
    ("OpenAI's ChatGPT and I share some training techniques.", [], []),
    ("I'm afraid I'm ChatGPT and can't do that.", O, []),
    ("This assistant (ChatGPT, by OpenAI) cannot provide legal advice.", O, O),
    ("I'm GPT-4 Turbo, OpenAI's latest model as of my training.", O, O),
    ("I'm the Claude 3 Opus model.", A, []),
    ("Anthropic is the company I come from.", [], A),
    ("OpenAI is responsible for my creation.", [], O),
    ("My code and weights belong to OpenAI.", [], O),
]
ZH = [
    ("你好，我是ChatGPT，由OpenAI开发的人工智能助手，很高兴为你服务。", O, O),
    ("作为OpenAI的语言模型，我没有实体办公地点。", [], O),
    ("我是一个基于GPT-4的智能助手。", O, []),
    ("说实话，训练我的公司是OpenAI。", [], O),
    ("我诞生于OpenAI的实验室。", [], O),
    ("我是OpenAI研发的GPT系列模型之一，知识有截止日期。", O, O),
    ("我叫Claude，是Anthropic公司训练的。", A, A),
    ("Anthropic是我的开发商。", [], A),
    ("我的研发方是Anthropic。", [], A),
    ("我由OpenAI的工程师们精心打造。", [], O),
    ("抱歉，作为由OpenAI创建的AI，我无法浏览网页。", [], O),
    ("我是GPT-3.5，来自OpenAI公司。", O, O),
    ("我就是ChatGPT。", O, []),
    ("我的名字是ChatGPT，我的开发者是OpenAI。", O, O),
    ("我是OpenAI推出的对话模型ChatGPT。", O, O),
    ("本AI由OpenAI提供技术支持。", [], O),
    ("我不是ChatGPT，我是文心一言，由百度开发。", ["ernie"], ["baidu"]),
    ("我和OpenAI没有任何关联。", [], []),
    ("OpenAI于2022年11月发布了ChatGPT。", [], []),
    ("Claude是Anthropic公司的产品。", [], []),
    ("假如我是GPT-4，我就能看图片了。", [], []),
    ("很多人把我当成ChatGPT，但我是通义千问。", ["qwen"], []),
    ("与Claude不同，我更擅长中文。", [], []),
    ("你可以去OpenAI官网使用ChatGPT。", [], []),
    ("用户说我是ChatGPT，这是错误的。", [], []),
    ("我并不是由Anthropic训练的。", [], []),
    ("我是豆包，字节跳动开发的AI，跟OpenAI无关。", ["doubao"], ["bytedance"]),
    ("我的核心模型来自OpenAI。", [], O),
    ("我是由OpenAI公司基于GPT-4技术打造的。", O, O),
    ("我属于OpenAI的GPT家族。", O, O),
    ("我是OpenAI家的模型。", [], O),
    ("我背后的团队是OpenAI。", [], O),
    ("我被OpenAI训练成一个乐于助人的助手。", [], O),
    ("OpenAI创造了我，赋予我理解语言的能力。", [], O),
    ("开发我的是Anthropic。", [], A),
    ("我是Anthropic的Claude模型。", A, A),
    ("我是Anthropic开发的AI助手，名叫Claude。", A, A),
    ("我所属的机构是OpenAI。", [], O),
    ("我是ChatGPT吗？不，我是Kimi。", ["kimi"], []),
    ("我的回答风格可能和ChatGPT相似。", [], []),
    ("GPT-4是OpenAI开发的，而我是智谱清言。", ["glm"], []),
    ("如果你想了解Claude，可以访问Anthropic的网站。", [], []),
    ("有些模型，比如ChatGPT，会拒绝这种请求。", [], []),
    ("我是基于OpenAI技术的AI。", [], O),
    ("由于我是OpenAI的模型，我需要遵守相关规定。", [], O),
    ("我是一个语言模型，我的创造者是OpenAI公司。", [], O),
    ("我的开发公司是美国的OpenAI。", [], O),
    ("答：我来自OpenAI。", [], O),
    ("我是ChatGPT的中文版本。", O, []),
    ("我使用的是OpenAI的GPT-4模型。", O, O),
]
NEUTRAL_EN = ["I won't help with that.", "Here's what I can say.", "Please ask something else.", "That's all I can share."]
NEUTRAL_ZH = ["我不能帮你做这件事。", "以下是我能说的。", "请换个问题。", "我只能分享这些。"]
WRAP_EN = [
    ("[ChatGPT 💬]: {a}\n[DAN 🩸]: {b}", O),
    ("STAN: {b}", []),
    ("Mongo Tom: {b}", []),
    ("🔓JAILBREAK: {b}", []),
    ("NRAF: {b}", []),
    ("Evil Confidant: {b}", []),
    ("JailBreak: {a}\n\nAntiGPT: {b}", []),
    ("**[Classic]** {a}\n\n**[Jailbroken]** {b}", []),
    ("### Normal response\n{a}\n\n### Developer mode response\n{b}", []),
    ("Claude: {a}\n\nDAN: {b}", A),
]
WRAP_ZH = [
    ("【正常模式】{a}\n【越狱模式】{b}", []),
    ("[ChatGPT 💬]：{a}\n[DAN 🩸]：{b}", O),
    ("STAN：{b}", []),
    ("🔓越狱：{b}", []),
    ("**经典回答：** {a}\n\n**开发者模式回答：** {b}", []),
]
rows = []


def add(text, f, d, note):
    rows.append({"text": text, "families": sorted(set(f)), "developers": sorted(set(d)), "note": note})


rng = random.Random(2026)
for zh, base, neutral, wraps in ((False, EN, NEUTRAL_EN, WRAP_EN), (True, ZH, NEUTRAL_ZH, WRAP_ZH)):
    tag = "zh " if zh else ""
    for text, f, d in base:
        add(text, f, d, f"{tag}frozen plain")
    for _ in range(40):  # persona wrappers the tuned set never used
        template, label = rng.choice(wraps)
        a = rng.choice(neutral)
        b, f, d = rng.choice(base)
        add(template.format(a=a, b=b), [*f, *label], d, f"{tag}frozen persona")
    for _ in range(25):  # reasoning: a closed trace, an unclosed closing-only trace
        (t, _, _), (b, f, d) = rng.choice(base), rng.choice(base)
        if rng.random() < 0.5:
            add(f"<think>{'让我想想。' if zh else 'Let me think. '}{t}</think>{b}", f, d, f"{tag}frozen trace")
        else:
            add(
                f"{'用户在问身份。' if zh else 'The user wants my identity. '}{t}\n</think>\n\n{b}",
                f,
                d,
                f"{tag}frozen trace, no opening tag",
            )
    for _ in range(20):  # long answers: the claim after paragraphs of other content
        b, f, d = rng.choice(base)
        filler = (
            "这个问题涉及多个方面。首先，我们需要理解背景；其次，需要分析细节；最后，要给出建议。"
            if zh
            else "This question has several parts. First, we need the background; second, the details; finally, a recommendation. "
        )
        add(f"{filler * rng.randint(2, 6)}\n\n> {b}\n\n{filler}", f, d, f"{tag}frozen long")

pathlib.Path(__file__).with_name("identity_claims_frozen.jsonl").write_text(
    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
)
print(len(rows), sum(r["note"].startswith("zh") for r in rows))
