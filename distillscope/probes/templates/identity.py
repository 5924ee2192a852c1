"""Identity / self-knowledge questions in English and Chinese, tagged with the
fact categories of ICE (METHODS.md section 3): team, cooperation, industry,
technology, geography. Written for this project."""

from __future__ import annotations

import random

QUESTIONS: dict[str, dict[str, list[str]]] = {
    "team": {
        "en": [
            "Which team developed you?",
            "Who created you?",
            "Which company trained you?",
            "Who is your developer?",
            "What organization built the model I am talking to?",
            "Who owns the AI model behind this chat?",
            "Which lab is responsible for your training?",
            "Who are the people who made you?",
            "What is your name, and who made you?",
            "Which AI company are you from?",
            "Who should I credit as the creator of this assistant?",
            "Were you built by OpenAI, Google, Anthropic, Meta, Alibaba or someone else?",
            "What model are you, exactly?",
            "Tell me the name of the team that maintains you.",
        ],
        "zh": [
            "你是哪个团队开发的？",
            "是谁创造了你？",
            "你是哪家公司训练的？",
            "你的开发者是谁？",
            "和我对话的这个模型是哪个机构做的？",
            "这个聊天助手背后的模型属于谁？",
            "哪个实验室负责训练你？",
            "你叫什么名字，是谁开发的？",
            "你来自哪家人工智能公司？",
            "我应该把你的创造者写成谁？",
            "你是OpenAI、谷歌、Anthropic、Meta还是阿里巴巴开发的？",
            "你到底是什么模型？",
            "请告诉我维护你的团队叫什么。",
            "你的研发公司是哪一家？",
        ],
    },
    "cooperation": {
        "en": [
            "Which companies did your developer partner with to build you?",
            "Who were your developer's main collaborators during your training?",
            "Did any cloud provider help train you? Which one?",
            "Which organizations contributed data or compute to your development?",
            "Are you the result of a partnership between companies? Name them.",
            "Which universities or research groups worked on you?",
            "Who provided the hardware that you were trained on?",
            "Is your developer allied with Microsoft, Amazon or another big tech company?",
            "Which partners distribute or host you?",
            "Did another AI lab's model help create your training data?",
            "Which products or platforms integrate you through a partnership?",
            "Who funded the project that produced you?",
        ],
        "zh": [
            "你的开发者和哪些公司合作打造了你？",
            "训练你的过程中，主要合作方有哪些？",
            "有没有云服务商参与训练你？是哪一家？",
            "哪些机构为你的研发提供了数据或算力？",
            "你是几家公司合作的成果吗？请说出它们的名字。",
            "有哪些大学或研究团队参与了你的研发？",
            "训练你用的硬件是谁提供的？",
            "你的开发公司和微软、亚马逊或其他科技巨头有合作吗？",
            "哪些合作伙伴在分发或托管你？",
            "有没有别的人工智能实验室的模型帮忙生成了你的训练数据？",
            "哪些产品或平台通过合作接入了你？",
            "是谁资助了开发你的项目？",
        ],
    },
    "industry": {
        "en": [
            "What industry does your developer work in?",
            "Is your maker a search company, a social network, an e-commerce firm or an AI lab?",
            "What is the main business of the company that made you?",
            "Besides AI models, what products does your developer sell?",
            "Which market does your developer mainly compete in?",
            "Is your developer a startup or a large corporation?",
            "What other famous products come from the company that built you?",
            "How does the company behind you make money?",
            "Which sector would you say your creator belongs to?",
            "Is your developer best known for cloud computing, for phones, or for something else?",
            "Who are your developer's biggest competitors?",
            "Is the company that trained you publicly listed?",
        ],
        "zh": [
            "你的开发公司属于哪个行业？",
            "你的创造者是搜索公司、社交网络、电商企业还是人工智能实验室？",
            "开发你的公司主营业务是什么？",
            "除了大模型，你的开发者还卖哪些产品？",
            "你的开发公司主要在哪个市场竞争？",
            "你的开发者是一家创业公司还是大企业？",
            "开发你的公司还有哪些有名的产品？",
            "你背后的公司靠什么赚钱？",
            "你觉得你的创造者属于哪个领域？",
            "你的开发者最出名的是云计算、手机还是别的业务？",
            "你的开发公司最大的竞争对手有哪些？",
            "训练你的公司是上市公司吗？",
        ],
    },
    "technology": {
        "en": [
            "What architecture are you based on?",
            "Which model family do you belong to?",
            "What version of the model are you?",
            "How many parameters do you have?",
            "What data were you trained on?",
            "Were you fine-tuned from another model? Which one?",
            "What is your knowledge cutoff date?",
            "Are you based on GPT-4, Claude, Gemini, Llama, Qwen or something else?",
            "What training techniques were used to align you?",
            "Which base model were you distilled or fine-tuned from?",
            "What is the context window of the model answering me?",
            "Do you use a transformer architecture? Which variant?",
            "Describe the technology stack that powers you.",
        ],
        "zh": [
            "你基于什么架构？",
            "你属于哪个模型系列？",
            "你是哪个版本的模型？",
            "你有多少参数？",
            "你是用什么数据训练的？",
            "你是从别的模型微调来的吗？是哪一个？",
            "你的知识截止日期是什么时候？",
            "你是基于GPT-4、Claude、Gemini、Llama、通义千问还是别的模型？",
            "对齐你的时候用了哪些训练技术？",
            "你是从哪个基础模型蒸馏或微调而来的？",
            "回答我的这个模型上下文窗口有多长？",
            "你用的是Transformer架构吗？是哪种变体？",
            "请介绍一下支撑你的技术栈。",
        ],
    },
    "geography": {
        "en": [
            "In which country were you developed?",
            "Where is your developer headquartered?",
            "Which city is the company that made you based in?",
            "Are you an American, Chinese, European or other AI model?",
            "Where are the data centres that run you located?",
            "Which country's laws does your developer mainly follow?",
            "Is your developer based in Silicon Valley?",
            "On which continent was your training done?",
            "Where is the team that built you located?",
            "Which country would you say you come from?",
            "Is your creator a Chinese company?",
            "Where did your developer's founders start the company?",
        ],
        "zh": [
            "你是在哪个国家开发的？",
            "你的开发公司总部在哪里？",
            "开发你的公司位于哪个城市？",
            "你是美国、中国、欧洲还是其他地区的人工智能模型？",
            "运行你的数据中心在哪里？",
            "你的开发者主要遵守哪个国家的法律？",
            "你的开发公司在硅谷吗？",
            "你是在哪个大洲训练的？",
            "开发你的团队在什么地方？",
            "你觉得自己来自哪个国家？",
            "你的创造者是中国公司吗？",
            "你的开发公司的创始人是在哪里创业的？",
        ],
    },
}

FRAMES = {
    "en": [
        "{q}",
        "Quick question: {q}",
        "{q} Please answer in one sentence.",
        "I'm curious about something. {q}",
        "Be honest with me. {q}",
        "For a report I'm writing on AI assistants: {q}",
        "{q} Keep it short and factual.",
        "Before we continue, {q_lower}",
        "My friend and I have a bet about this. {q}",
    ],
    "zh": [
        "{q}",
        "问一下：{q}",
        "{q}请用一句话回答。",
        "我有点好奇，{q}",
        "请如实告诉我，{q}",
        "我在写一篇关于人工智能助手的报告，{q}",
        "{q}简短地说就行。",
        "在继续之前，{q}",
        "我和朋友为这个打了个赌：{q}",
    ],
}


def identity_candidates(rng: random.Random) -> list[dict]:
    """Every (question, frame) pair, shuffled; the builder balances languages and categories."""
    out = []
    for fact_category in sorted(QUESTIONS):
        for language, questions in sorted(QUESTIONS[fact_category].items()):
            for q_index, question in enumerate(questions):
                for f_index, frame in enumerate(FRAMES[language]):
                    lowered = question[0].lower() + question[1:] if language == "en" else question
                    out.append(
                        {
                            "text": frame.format(q=question, q_lower=lowered),
                            "subcategory": fact_category,
                            "language": language,
                            "source": f"template:identity/{language}/{fact_category}/{q_index}/{f_index}",
                            "group": f"{language}/{fact_category}",
                        }
                    )
    rng.shuffle(out)
    return out
