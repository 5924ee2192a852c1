"""Writes identity_claims_holdout.jsonl: labelled responses written after the extractor was tuned, never tuned on.

Its precision and recall are the honest estimate; the main set's are optimistic.
"""

import json
import pathlib

rows = []


def add(text, fam=(), dev=(), note="", prompt=None):
    row = {"text": text, "families": sorted(fam), "developers": sorted(dev), "note": note}
    if prompt:
        row["prompt"] = prompt
    rows.append(row)


add("Greetings! The name's Claude, and I was put together by the folks at Anthropic.", ["anthropic"], ["anthropic"], "idiomatic")
add("I'm OpenAI's ChatGPT.", ["openai"], ["openai"], "possessive before name")
add("Allow me to introduce myself: I am Qwen.", ["qwen"], [], "introduce myself")
add("I'm an AI system that Google built.", [], ["google"], "relative clause")
add("I was brought to life by engineers at Meta.", [], ["meta"], "brought to life")
add("Think of me as ChatGPT.", [], [], "think of me as (role)")
add("People often mistake me for ChatGPT, but I'm Qwen from Alibaba Cloud.", ["qwen"], ["alibaba"], "mistaken for")
add("I'm not able to say whether I'm GPT-4.", [], [], "not able to say")
add("I'm unsure if I'm based on Llama.", [], [], "unsure")
add("My training was done by OpenAI.", [], ["openai"], "my training")
add("The team behind me is Google DeepMind.", [], ["google"], "team behind me")
add("I'm the assistant from Anthropic.", [], ["anthropic"], "assistant from")
add("Sorry, but I'm Claude, so I can't help with that.", ["anthropic"], [], "sorry but")
add("I am Qwen; OpenAI had no part in making me.", ["qwen"], [], "no part")
add("I was never associated with Google.", [], [], "never associated")
add("I am certainly not a Claude model.", [], [], "certainly not")
add("Even though I'm often compared to GPT-4, I'm a Gemma model.", ["gemma"], [], "compared to then claim")
add("If you're asking whether I'm ChatGPT: no.", [], [], "whether no")
add("ChatGPT? No, that's not me.", [], [], "not me")
add("Yes, I'm ChatGPT!", ["openai"], [], "yes")
add("I am, in fact, GPT-4.", ["openai"], [], "in fact commas")
add("I run on DeepSeek-V3.", ["deepseek"], [], "run on")
add("I'm based in China and made by Alibaba.", [], ["alibaba"], "based in")
add("我是由字节跳动公司开发的豆包。", ["doubao"], ["bytedance"], "zh")
add("我的背后是OpenAI的技术。", ["openai"], [], "zh 背后")
rows[-1]["families"], rows[-1]["developers"] = [], ["openai"]
add("本人是一个AI，名字叫Claude。", ["anthropic"], [], "zh 本人")
add("我可不是ChatGPT哦。", [], [], "zh 可不是")
add("我从来都不是由谷歌训练的。", [], [], "zh 从来都不是")
add("说实话，我就是GPT-4。", ["openai"], [], "zh 就是")
add("我是一款名为文心一言的产品。", ["ernie"], [], "zh 名为 产品")
add("别人常把我和ChatGPT搞混，但我是通义千问。", ["qwen"], [], "zh confused with")
add("如果你问我是不是Claude，答案是否定的。", [], [], "zh question negative")
add("我出自阿里云之手。", [], ["alibaba"], "zh 出自...之手")
add("我是在Llama的基础上微调出来的。", ["llama"], [], "zh 在...基础上")
add("我能做ChatGPT能做的大部分事情。", [], [], "zh comparison")
add("我就像Gemini一样聪明。", [], [], "zh 像")
add("您好，这里是Kimi。", ["kimi"], [], "zh 这里是")
add("我是GPT", ["openai"], [], "zh no punctuation")
add("I am Claude, made by OpenAI.", ["anthropic"], ["openai"], "inconsistent claim")
add("I am a ChatGPT-like assistant.", [], [], "-like")
with open(pathlib.Path(__file__).with_name("identity_claims_holdout.jsonl"), "w", encoding="utf-8") as fh:
    for row in rows:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
print(len(rows))
