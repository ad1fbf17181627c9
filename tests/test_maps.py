"""Map links under a salon's place: only for addresses, with the community's provider."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.common.config import CommunityConfig
from bot.common.maps import is_address, map_url, place_lines
from bot.salons.organizer_texts import salon_details
from storage.models import Salon


@pytest.mark.parametrize(
    "place",
    ["北京市朝阳区建国路 1 号", "上海图书馆", "10 Downing Street, London", "Café Lumen, 2F",
     "Hauptstraße 5, Berlin", "静安区愚园路 68 弄"],
)  # fmt: skip
def test_addresses_get_a_map_link(place):
    assert is_address(place)
    assert map_url(place, "zh").startswith("https://uri.amap.com/search?keyword=")
    assert map_url(place, "en").startswith("https://www.openstreetmap.org/search?query=")


@pytest.mark.parametrize(
    "place",
    ["线上", "腾讯会议", "Online (Zoom)", "https://meet.example.com/x", "TBD", "待定", "家"],
)
def test_online_links_and_unknown_places_get_none(place):
    assert not is_address(place) and map_url(place, "zh") is None
    assert place_lines(place, "en") == [f"📍 {place}"]


def test_the_provider_is_configurable():
    place = "北京市朝阳区建国路 1 号"
    assert map_url(place, "en", "baidu").startswith("https://map.baidu.com/search/%E5%8C%97")
    assert map_url(place, "zh", "google").startswith(
        "https://www.google.com/maps/search/?api=1&query=%E5%8C%97"
    )
    assert map_url("12 Rue de Rivoli", "zh", "osm") == (
        "https://www.openstreetmap.org/search?query=12+Rue+de+Rivoli"
    )
    assert map_url(place, "zh", "none") is None
    assert place_lines("", "zh") == []


@pytest.mark.parametrize("language, provider, link", [
    ("zh", "auto", "🗺 https://uri.amap.com/search?keyword="),
    ("en", "auto", "🗺 https://www.openstreetmap.org/search?query="),
    ("zh", "baidu", "🗺 https://map.baidu.com/search/"),
])  # fmt: skip
def test_the_announcement_links_the_place(language, provider, link):
    community = CommunityConfig(chat_id=-100, title="读书会", timezone="Asia/Shanghai",
                                language=language, map_provider=provider)  # fmt: skip
    salon = Salon(id=1, community_id=-100, short_code="ABC123", title="三体",
                  location="北京市朝阳区建国路 1 号", going_count=0, capacity=10, price_amount=0,
                  currency="", tags="", description="",
                  starts_at=datetime(2030, 1, 5, 11, 30, tzinfo=UTC))  # fmt: skip
    lines = salon_details(salon, community, language).splitlines()
    place = lines.index("📍 北京市朝阳区建国路 1 号")
    assert lines[place + 1].startswith(link)
