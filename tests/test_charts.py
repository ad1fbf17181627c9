"""Charts render as PNG, and Chinese text is drawn with a CJK font (glyphs, not boxes)."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from bot.stats.charts import cjk_font, community_charts, funnel_chart, packaged_cjk_font
from storage.stats import CommunityStats, DayActivity
from storage.stats_salons import SalonFunnel

PNG = b"\x89PNG\r\n\x1a\n"
CHINESE = "读书会沙龙成员发言时段周一核心潜水消息表情回应已邀请到场缺席"


def sample_stats() -> CommunityStats:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    stats = CommunityStats(1, "读书会", "Asia/Shanghai", 30, now, date(2026, 10, 29))
    stats.daily = [
        DayActivity(stats.period_start + timedelta(days=i), 10 + i, i) for i in range(30)
    ]
    stats.heatmap = [[(d * 24 + h) % 17 for h in range(24)] for d in range(7)]
    stats.segments = {"core": 12, "lurkers": 80, "newcomers": 7}
    stats.salons = [
        SalonFunnel(
            i,
            str(i),
            f"C{i}",
            f"三体读书会 第{i}期",
            now,
            20,
            invited=30,
            holdout=3,
            joined=12,
            attended=9,
            no_show=3,
        )
        for i in range(3)
    ]
    return stats


def test_a_cjk_font_is_installed_and_covers_chinese():
    family = cjk_font()
    if family is None:
        pytest.fail(
            "No CJK-capable font found: Chinese chart titles would render as boxes. The "
            "`manimgx-fonts-cjk` dependency ships one: reinstall with `pip install -e .`."
        )
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    charmap = FT2Font(path).get_charmap()
    assert all(ord(ch) in charmap for ch in CHINESE), path


def test_the_cjk_font_comes_with_pip_install_not_the_system():
    family = cjk_font()
    path = packaged_cjk_font()
    assert path is not None, "the manimgx-fonts-cjk dependency is not installed"
    packaged = {f.name for f in font_manager.fontManager.ttflist if f.fname == str(path)}
    assert family in packaged
    charmap = FT2Font(str(path)).get_charmap()
    assert all(ord(ch) in charmap for ch in CHINESE)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_charts_render_without_missing_glyphs(language):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = community_charts(sample_stats(), language)
        single = funnel_chart(sample_stats().salons[:1], language)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert [c.name for c in charts] == ["activity.png", "hours.png", "funnel.png", "segments.png"]
    for png in [c.png for c in charts] + [single]:
        assert png.startswith(PNG) and len(png) > 10_000
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == (1000, 640)


def test_empty_community_still_renders():
    stats = CommunityStats(1, "t", "UTC", 7, datetime.now(UTC), date.today())
    charts = community_charts(stats, "en")
    assert all(c.png.startswith(PNG) for c in charts)


@pytest.mark.parametrize(
    ("language", "today"), [("zh", "今天\n（截至目前）"), ("en", "today\n(so far)")]
)
def test_todays_partial_day_is_a_lone_dot_not_drawn_as_a_drop(language, today):
    from matplotlib.figure import Figure

    from bot.common.i18n import translations
    from bot.stats.charts import draw_activity

    stats = sample_stats()
    stats.daily[-1] = DayActivity(stats.daily[-1].day, 2, 0, partial=True)
    ax = Figure().subplots()
    draw_activity(ax, stats, translations(language).gettext)
    solid = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    dots = [line for line in ax.get_lines() if line.get_linestyle() == "None"]
    assert [len(line.get_xdata()) for line in solid] == [29, 29]  # complete days only
    assert [list(line.get_xdata()) for line in dots] == [[29], [29]]  # today: a lone dot
    assert [line.get_marker() for line in dots] == ["o", "o"]
    assert ax.get_xticklabels()[-1].get_text() == today
    complete = sample_stats()  # no partial day: one solid line to the end
    ax = Figure().subplots()
    draw_activity(ax, complete, translations(language).gettext)
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [30, 30]
