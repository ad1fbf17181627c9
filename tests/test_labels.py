"""Segment, tag and model-state names in both languages, and read back in either."""

from __future__ import annotations

import pandas as pd
import pytest

from bot.common.i18n import translations
from bot.common.labels import SEGMENTS, canonical_tag, find_segment, segment_label, tag_label
from bot.stats.labels import model_reason_text, prior_reason_text
from recommender.model import fit_pairs
from recommender.segmentation import SEGMENT_NAMES

ZH, EN = translations("zh").gettext, translations("en").gettext


def test_every_segment_the_recommender_makes_has_a_name_in_both_languages():
    for name in SEGMENT_NAMES:
        assert name in SEGMENTS
        chinese = segment_label(name, ZH)
        assert chinese != name and not any("a" <= ch <= "z" for ch in chinese)
        assert segment_label(name, EN) == name


@pytest.mark.parametrize("name", sorted(SEGMENTS))
def test_a_segment_is_found_by_its_name_in_either_language(name):
    assert find_segment(segment_label(name, ZH)) == name
    assert find_segment(segment_label(name, EN).upper()) == name
    assert find_segment(name.replace(" ", "")) == name


def test_one_word_aliases_and_unknown_names():
    assert find_segment("活跃") == find_segment("active") == "active talkers"
    assert find_segment("潜水") == find_segment("Lurkers") == "lurkers"
    assert find_segment("新人") == "newcomers"
    assert find_segment("vips") is None and find_segment("") is None


def test_known_topics_are_shown_in_the_readers_language_others_as_typed():
    assert canonical_tag("人工智能") == canonical_tag("ai") == canonical_tag(" AI ") == "ai"
    assert tag_label("ai", ZH) == "人工智能" and tag_label("ai", EN) == "AI"
    assert canonical_tag("哲学") == "哲学" and tag_label("哲学", EN) == "哲学"


def test_a_new_communitys_model_state_is_in_the_readers_language():
    empty = pd.DataFrame({"event_id": [], "label": []})
    reason = fit_pairs(empty).reason
    chinese = prior_reason_text(reason, ZH)
    assert chinese.startswith("目前只有 0 场往期沙龙和 0 次报名，训练模型需要 3 场和 20 次")
    assert "prior" not in chinese and "base_rate" not in chinese
    assert prior_reason_text(reason, EN).startswith("only 0 past salons and 0 signups so far")
    assert model_reason_text(reason, ZH).startswith("先验估计：目前只有 0 场")


def test_a_trained_models_state_is_in_the_readers_language():
    reason = "model: gradient boosting on 658 pairs from 6 salons, calibrated"
    assert (
        model_reason_text(reason, ZH)
        == "模型：梯度提升，基于 6 场沙龙的 658 个成员–沙龙样本，已校准"
    )
    assert model_reason_text(reason + ", negatives sampled at 0.250", EN).endswith(
        "from 6 salons, calibrated, negatives sampled at 0.250"
    )
    assert model_reason_text("something new", ZH) == "something new"


def test_chinese_texts_use_chinese_quotes_and_punctuation():
    import re

    from babel.messages.pofile import read_po

    from bot.common.i18n import LOCALE_DIR

    with (LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "salonbot.po").open("rb") as f:
        catalog = read_po(f)
    han = r"[\u4e00-\u9fff]"
    wrong = []
    for message in catalog:
        text = message.string if isinstance(message.string, str) else ""
        # Placeholders and typed command arguments (segments=核心,潜水) are not prose.
        bare = re.sub(r"\{[^}]*\}|[a-z]+=[^\s（）]+", "X", text)
        if re.search(r"[«»“”\"]", bare) or re.search(f"{han}[,;?!]|[,;?!]{han}", bare):
            wrong.append(text)
    assert wrong == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_new_communitys_stats_read_in_the_readers_language(language):
    from datetime import UTC, date, datetime

    from bot.stats.texts import community_text
    from storage.stats import CommunityStats
    from storage.stats_salons import ModelFigures

    now = datetime(2026, 12, 4, 20, tzinfo=UTC)
    stats = CommunityStats(1, "读书会", "Asia/Shanghai", 7, now, date(2026, 11, 29))
    stats.segments = {"lurkers": 5, "active talkers": 3}
    reason = fit_pairs(pd.DataFrame({"event_id": [], "label": []})).reason
    stats.model = ModelFigures(run_at=now, kind="prior", reason=reason)
    text = community_text(stats, language)
    if language == "zh":
        assert (
            "按 Asia/Shanghai 时区的日期计" in text and "分群：潜水成员 5、活跃发言者 3。" in text
        )
        assert "目前只有 0 场往期沙龙和 0 次报名" in text
    else:
        assert "days in Asia/Shanghai" in text and "Segments: lurkers 5, active talkers 3." in text
        assert "only 0 past salons and 0 signups so far" in text
    for leak in ("UTC days", "base_rate", "prior: only"):
        assert leak not in text
