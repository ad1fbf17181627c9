"""Topic vocabulary (zh + en) the simulator writes messages and salon texts with."""

from __future__ import annotations

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "ai": {
        "name": ("AI", "人工智能"),
        "en": (
            "large language models",
            "machine learning",
            "neural networks",
            "GPT prompts",
            "AI agents",
            "model fine-tuning",
        ),
        "zh": ("大模型", "机器学习", "神经网络", "提示词", "智能体", "模型微调"),
    },
    "reading": {
        "name": ("Reading", "读书"),
        "en": (
            "this novel",
            "book club",
            "the author",
            "reading list",
            "literature",
            "a new chapter",
        ),
        "zh": ("这本小说", "读书会", "作者", "书单", "文学", "章节"),
    },
    "investing": {
        "name": ("Investing", "投资"),
        "en": (
            "index funds",
            "the stock market",
            "portfolio",
            "dividends",
            "valuation",
            "interest rates",
        ),
        "zh": ("指数基金", "股市", "资产配置", "分红", "估值", "利率"),
    },
    "startups": {
        "name": ("Startups", "创业"),
        "en": (
            "fundraising",
            "product market fit",
            "founders",
            "seed round",
            "growth hacking",
            "a pitch deck",
        ),
        "zh": ("融资", "产品市场匹配", "创始人", "种子轮", "增长", "商业计划书"),
    },
    "design": {
        "name": ("Design", "设计"),
        "en": (
            "typography",
            "user experience",
            "Figma",
            "color palette",
            "visual design",
            "design systems",
        ),
        "zh": ("字体排版", "用户体验", "配色", "视觉设计", "设计系统", "交互原型"),
    },
    "health": {
        "name": ("Health", "健康"),
        "en": (
            "running",
            "sleep quality",
            "nutrition",
            "meditation",
            "strength training",
            "healthy habits",
        ),
        "zh": ("跑步", "睡眠质量", "营养", "冥想", "力量训练", "健康习惯"),
    },
}
TOPIC_KEYS: tuple[str, ...] = tuple(TOPICS)

EN_TEMPLATES: tuple[str, ...] = (
    "Has anyone tried {k}? Curious what you think.",
    "I spent the weekend on {k}, happy to share notes.",
    "Great thread about {k} today, thanks everyone!",
    "Quick question on {k}: where should a beginner start?",
    "My take on {k} changed a lot this year.",
)
ZH_TEMPLATES: tuple[str, ...] = (
    "有人研究过{k}吗？想听听大家的看法",
    "这周末一直在看{k}，可以分享一下笔记",
    "今天关于{k}的讨论太好了，谢谢大家",
    "请教一下{k}，新手应该从哪里开始？",
    "今年我对{k}的理解变化很大",
)
EN_SMALLTALK: tuple[str, ...] = (
    "Good morning everyone!",
    "Thanks for sharing",
    "Haha agreed",
    "See you all next week",
    "Nice weekend!",
)
ZH_SMALLTALK: tuple[str, ...] = ("大家早上好", "谢谢分享", "哈哈同意", "下周见", "周末愉快")
