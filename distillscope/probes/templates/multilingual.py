"""Prompts in languages other than English (Chinese first), written for this
project, plus translation requests built on real user text."""

from __future__ import annotations

import random

NATIVE: dict[str, tuple[list[str], list[str]]] = {
    "zh": (
        [
            "请用三句话解释{t}。",
            "{t}有哪些主要的优点和缺点？",
            "给一个小学生讲讲{t}是什么。",
            "关于{t}，最常见的误解是什么？",
            "请写一段两百字左右的短文，介绍{t}。",
            "如果我想学习{t}，应该从哪里开始？",
            "{t}在日常生活中有什么应用？",
            "请列出与{t}相关的五个关键词，并简单解释。",
            "{t}的历史是怎样发展的？",
            "用一个比喻来说明{t}。",
            "我的朋友说{t}没什么用，你怎么看？",
            "请比较{t}在中国和其他国家的情况。",
        ],
        [
            "量子计算",
            "光合作用",
            "人工智能",
            "区块链",
            "中医",
            "高铁",
            "气候变化",
            "茶文化",
            "春节习俗",
            "微积分",
            "电动汽车",
            "太空探索",
            "疫苗",
            "京剧",
            "丝绸之路",
            "垃圾分类",
            "云计算",
            "长城的修建",
            "围棋",
            "熊猫保护",
            "网络安全",
            "书法",
            "移动支付",
            "睡眠健康",
            "地震预警",
        ],
    ),
    "es": (
        [
            "Explica {t} en tres frases.",
            "¿Cuáles son las ventajas y desventajas de {t}?",
            "¿Cómo le explicarías {t} a un niño?",
            "Escribe un párrafo breve sobre {t}.",
            "¿Qué errores comunes comete la gente con {t}?",
            "Dame tres consejos sobre {t}.",
        ],
        [
            "la energía solar",
            "el flamenco",
            "la inflación",
            "el aprendizaje automático",
            "la dieta mediterránea",
            "los volcanes",
            "la siesta",
            "el fútbol",
            "la fotosíntesis",
            "el teletrabajo",
        ],
    ),
    "fr": (
        [
            "Explique {t} en trois phrases.",
            "Quels sont les avantages et les inconvénients de {t} ?",
            "Comment expliquerais-tu {t} à un enfant ?",
            "Écris un court paragraphe sur {t}.",
            "Quelles idées reçues existent sur {t} ?",
            "Donne-moi trois conseils à propos de {t}.",
        ],
        [
            "la Révolution française",
            "le fromage",
            "l'énergie nucléaire",
            "la photographie",
            "le vélo en ville",
            "les réseaux sociaux",
            "la philosophie des Lumières",
            "le changement climatique",
            "la cuisine lyonnaise",
            "l'impressionnisme",
        ],
    ),
    "de": (
        [
            "Erkläre {t} in drei Sätzen.",
            "Was sind die Vor- und Nachteile von {t}?",
            "Wie würdest du {t} einem Kind erklären?",
            "Schreibe einen kurzen Absatz über {t}.",
            "Welche Missverständnisse gibt es über {t}?",
            "Gib mir drei Tipps zu {t}.",
        ],
        [
            "der Energiewende",
            "dem Oktoberfest",
            "der Quantenphysik",
            "dem Datenschutz",
            "der Mülltrennung",
            "dem Bauhaus",
            "der Autobahn",
            "dem Brotbacken",
            "der Reformation",
            "dem Homeoffice",
        ],
    ),
    "ja": (
        [
            "{t}について三文で説明してください。",
            "{t}の長所と短所は何ですか？",
            "{t}を子どもに説明するとしたら、どう言いますか？",
            "{t}について短い文章を書いてください。",
            "{t}に関するよくある誤解は何ですか？",
            "{t}について三つのアドバイスをください。",
        ],
        ["地震", "茶道", "ロボット", "新幹線", "アニメ", "寿司", "桜", "温泉", "少子高齢化", "人工知能"],
    ),
    "ru": (
        [
            "Объясни {t} в трёх предложениях.",
            "Каковы плюсы и минусы {t}?",
            "Как бы ты объяснил {t} ребёнку?",
            "Напиши короткий абзац о {t}.",
        ],
        ["космонавтику", "шахматы", "русскую литературу", "климат Сибири", "машинное обучение", "балет"],
    ),
    "ko": (
        [
            "{t}에 대해 세 문장으로 설명해 주세요.",
            "{t}의 장점과 단점은 무엇인가요?",
            "{t}을(를) 어린이에게 어떻게 설명하겠어요?",
            "{t}에 대해 짧은 글을 써 주세요.",
        ],
        ["김치", "반도체", "케이팝", "한글", "전기차", "인공지능"],
    ),
}
TRANSLATION_TARGETS = ["Chinese", "Japanese", "Spanish", "French", "German", "Korean"]
TRANSLATION_FRAMES = {
    "en": "Translate the following text into {lang}. Keep the meaning and tone.\n\n{p}",
    "zh": "请把下面这段英文翻译成中文，保持原意和语气：\n\n{p}",
}


def native_candidates(rng: random.Random) -> list[dict]:
    out = []
    for language in sorted(NATIVE):
        templates, topics = NATIVE[language]
        for t_index, template in enumerate(templates):
            for p_index, topic in enumerate(topics):
                out.append(
                    {
                        "text": template.format(t=topic),
                        "subcategory": f"native-{language}",
                        "language": language,
                        "source": f"template:multilingual/{language}/{t_index}/{p_index}",
                        "group": "native-zh" if language == "zh" else "native-other",
                    }
                )
    rng.shuffle(out)
    return out


def translation_candidates(rng: random.Random, base_prompts: list[dict]) -> list[dict]:
    out = []
    for index, base in enumerate(base_prompts):
        if index % 2:
            text = TRANSLATION_FRAMES["zh"].format(p=base["text"].strip())
            language, target = "zh", "Chinese"
        else:
            target = TRANSLATION_TARGETS[(index // 2) % len(TRANSLATION_TARGETS)]
            text = TRANSLATION_FRAMES["en"].format(lang=target, p=base["text"].strip())
            language = "en"
        out.append(
            {
                "text": text,
                "subcategory": f"translation-to-{target.lower()}",
                "language": language,
                "source": f"template:multilingual/translate+{base['source']}",
                "group": "translation",
                "base_source": base["source"],
            }
        )
    return out
