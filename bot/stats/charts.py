"""/stats charts: figures in, PNG bytes out (matplotlib's Agg backend, no display needed).

Sized for a phone (1000 × 640 px), titles in the reader's language. Chinese needs a font with
CJK glyphs: `cjk_font()` registers Noto Sans CJK from the `manimgx-fonts-cjk` package (a
dependency, SIL Open Font License), so no system font is needed; system CJK fonts are only a
fallback. Without any, Chinese would show as boxes.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from PIL import Image  # noqa: E402

from bot.common.i18n import translations  # noqa: E402
from bot.stats.labels import segment_label  # noqa: E402
from storage.stats import CommunityStats  # noqa: E402
from storage.stats_salons import SalonFunnel  # noqa: E402

CJK_FAMILIES = (
    "Noto Sans CJK SC",  # the packaged font's Simplified Chinese face
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
CJK_PACKAGE, CJK_PACKAGE_FILE = "manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc"
CJK_FILES = ("notosanscjk", "wqymicrohei", "wqyzenhei", "droidsansfallback", "sourcehansans")
SIZE, DPI = (10, 6.4), 100
COLORS = ("#3b6fb6", "#e08a2e", "#4a9b5c", "#b64a4a", "#7d5ba6", "#8a8a8a")


@dataclass(frozen=True)
class Chart:
    """One rendered chart."""

    name: str  # file name, e.g. "activity.png"
    png: bytes


def packaged_cjk_font() -> Path | None:
    """Noto Sans CJK as the `manimgx-fonts-cjk` package ships it, or None if it is missing."""
    try:
        path = Path(str(files(CJK_PACKAGE) / CJK_PACKAGE_FILE))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def _register_packaged_font() -> None:
    path = packaged_cjk_font()
    if path is None:
        return
    try:
        font_manager.fontManager.addfont(str(path))
    except (OSError, RuntimeError):
        return
    # The variable font's only face is its default instance (weight 100): list it as the
    # normal weight too, or matplotlib warns "Failed to find font weight normal" on every text.
    font_manager.fontManager.ttflist = [
        dataclasses.replace(entry, weight=400) if Path(entry.fname) == path else entry
        for entry in font_manager.fontManager.ttflist
    ]


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a CJK-capable font (the packaged Noto Sans CJK first), or None."""
    _register_packaged_font()
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    # Fonts installed after matplotlib built its cache: register the files directly.
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(key in name for key in CJK_FILES):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def _figure(right: float = 0.97) -> Figure:
    # Fixed margins, not a layout engine: the charts' text is short, and constrained layout
    # doubles the drawing time.
    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.subplots_adjust(left=0.12, right=right, top=0.9, bottom=0.14)
    return figure


class _Canvas(FigureCanvasAgg):
    """An Agg canvas sharing one renderer per image size with every chart of this process.

    matplotlib caches text measurements per renderer: with a new renderer per chart, every
    label was measured again (about an eighth of the drawing time). Charts are drawn one at a
    time per process (`_drawing`), so sharing the renderer is safe.
    """

    def get_renderer(self) -> RendererAgg:
        """The shared renderer of this size."""
        width, height = self.get_width_height(physical=True)
        key = (width, height, self.figure.dpi)
        if key not in _RENDERERS:
            _RENDERERS[key] = RendererAgg(*key)
        self.renderer = _RENDERERS[key]
        self._lastKey = key
        return self.renderer


_RENDERERS: dict[tuple, RendererAgg] = {}
_DRAWING = threading.Lock()


@contextmanager
def _drawing() -> Iterator[None]:
    # matplotlib's settings and the shared renderers are process-wide: one chart at a time.
    with _DRAWING, matplotlib.rc_context(_rc()):
        yield


def _png(figure: Figure) -> bytes:
    canvas = _Canvas(figure)
    canvas.draw()
    size = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    # Opaque charts: RGB encodes faster and smaller than RGBA; a fast zlib level, as the
    # flat colours compress well anyway.
    image.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _rc() -> dict:
    family = cjk_font()
    families = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    return {
        "font.family": families,
        "font.size": 14,
        "axes.titlesize": 18,
        # A fixed title position: the automatic one measures every tick label on each draw.
        "axes.titley": 1.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def activity_chart(stats: CommunityStats, language: str) -> bytes:
    """Messages and reactions per local day over the period."""
    _ = translations(language).gettext
    with _drawing():
        figure = _figure()
        draw_activity(figure.subplots(), stats, _)
        return _png(figure)


def draw_activity(ax, stats: CommunityStats, _: Callable[[str], str]) -> None:
    """The activity lines; today's unfinished day a separate hollow dot, not read as a drop."""
    xs = list(range(len(stats.daily)))
    partial = bool(stats.daily) and stats.daily[-1].partial
    done = len(xs) - 1 if partial else len(xs)
    for i, (name, label) in enumerate((("messages", _("Messages")), ("reactions", _("Reactions")))):
        values = [getattr(d, name) for d in stats.daily]
        ax.plot(xs[:done], values[:done], color=COLORS[i], lw=2.5, label=label)
        if partial:  # a hollow dot, not joined: a line down to it would read as a drop
            ax.plot(
                xs[-1:], values[-1:], "o", color=COLORS[i], mfc="white", ms=8, mew=2, clip_on=False
            )
    # A handful of date labels on a plain axis (a date axis costs more than the rest).
    ticks = xs[:: max(1, len(xs) // 5)]
    labels = [stats.daily[i].day.strftime("%m-%d") for i in ticks]
    if partial:  # the last tick is "today", without a date label crowding it
        keep = [
            (tick, label) for tick, label in zip(ticks, labels, strict=True) if xs[-1] - tick >= 3
        ]
        ticks = [tick for tick, _label in keep] + [xs[-1]]
        labels = [label for _tick, label in keep] + [_("today\n(so far)")]
    ax.set_xticks(ticks, labels)
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.set_title(_("Activity, last {days} days").format(days=stats.days))
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left")
    ax.grid(axis="y", alpha=0.3)


def heatmap_chart(stats: CommunityStats, language: str) -> bytes:
    """Messages by weekday and hour in the community's timezone."""
    _ = translations(language).gettext
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    with _drawing():
        figure = _figure(right=1.0)
        ax = figure.subplots()
        image = ax.imshow(stats.heatmap, aspect="auto", cmap="YlOrRd", interpolation="nearest")
        ax.set_yticks(range(7), weekdays)
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)])
        ax.set_xlabel(_("Hour ({timezone})").format(timezone=stats.timezone))
        ax.set_title(_("When members write"))
        colorbar = figure.colorbar(image, ax=ax, label=_("Messages"))
        colorbar.locator = MaxNLocator(4, integer=True)
        return _png(figure)


def funnel_chart(salons: list[SalonFunnel], language: str) -> bytes:
    """Invited, joined, attended and no-show per salon (the latest eight)."""
    _ = translations(language).gettext
    shown = salons[-8:]
    steps = [
        (_("Invited"), "invited"),
        (_("Joined"), "joined"),
        (_("Waitlisted"), "waitlisted"),
        (_("Attended"), "attended"),
        (_("No-show"), "no_show"),
    ]
    with _drawing():
        figure = _figure()
        ax = figure.subplots()
        width = 0.8 / len(steps)
        for i, (label, name) in enumerate(steps):
            xs = [j + (i - len(steps) / 2 + 0.5) * width for j in range(len(shown))]
            ax.bar(xs, [getattr(s, name) for s in shown], width, label=label, color=COLORS[i])
        labels = [f"{_short(s.title)}\n{s.starts_at.strftime('%m-%d')}" for s in shown]
        ax.set_xticks(range(len(shown)), labels, fontsize=11)
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_title(_("Salon funnel"))
        if not shown:
            ax.text(
                0.5,
                0.5,
                _("No salons in this period"),
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        else:
            ax.legend(loc="upper left", ncols=3, fontsize=11)
        ax.grid(axis="y", alpha=0.3)
        return _png(figure)


def segments_chart(segments: dict[str, int], language: str) -> bytes:
    """Members per segment (latest segmentation)."""
    _ = translations(language).gettext
    ordered = sorted(segments.items(), key=lambda item: item[1])
    with _drawing():
        figure = _figure()
        figure.subplots_adjust(left=0.22, right=0.92)
        ax = figure.subplots()
        labels = [segment_label(name, _) for name, _count in ordered]
        bars = ax.barh(labels, [count for _name, count in ordered], color=COLORS[0])
        ax.bar_label(bars, padding=4)
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.set_title(_("Members by segment"))
        if not ordered:
            ax.text(
                0.5, 0.5, _("No segments yet"), ha="center", va="center", transform=ax.transAxes
            )
        return _png(figure)


def _short(title: str, limit: int = 8) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


def community_chart_jobs(stats: CommunityStats, language: str) -> list[tuple[str, Callable, tuple]]:
    """The four /stats charts: file name, drawing function (module-level) and its arguments."""
    return [
        ("activity.png", activity_chart, (stats, language)),
        ("hours.png", heatmap_chart, (stats, language)),
        ("funnel.png", funnel_chart, (stats.salons, language)),
        ("segments.png", segments_chart, (stats.segments, language)),
    ]


def community_charts(stats: CommunityStats, language: str) -> list[Chart]:
    """The four /stats charts, drawn here one after the other."""
    return [Chart(name, draw(*args)) for name, draw, args in community_chart_jobs(stats, language)]


def warm_up() -> None:
    """Draw the four charts of an empty community once (fonts loaded, caches filled)."""
    stats = CommunityStats(0, "", "UTC", 1, datetime(2000, 1, 1, tzinfo=UTC), date(2000, 1, 1))
    community_charts(stats, "zh")
