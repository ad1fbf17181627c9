"""A map link for a salon's place, when the place reads like an address.

The provider is set per community (`map_provider`): "auto" picks Amap for Chinese readers and
OpenStreetMap for everyone else; "amap", "baidu", "osm" or "google" fix one; "none" turns
links off. A place that is a link already, "online", or too short to be an address gets none.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

PROVIDERS = ("auto", "amap", "baidu", "osm", "google", "none")
_URLS = {
    "amap": "https://uri.amap.com/search?keyword={query}",
    "baidu": "https://map.baidu.com/search/{path}",
    "osm": "https://www.openstreetmap.org/search?query={query}",
    "google": "https://www.google.com/maps/search/?api=1&query={query}",
}
_NOT_A_PLACE = re.compile(
    r"https?://|www\.|\b(online|zoom|tbd|tba|to be (announced|decided)|telegram|voice chat)\b"
    r"|线上|在线|腾讯会议|待定|另行通知|群内|语音",
    re.IGNORECASE,
)
# Something an address has: a number, or a word for a street, a building or a district.
_ADDRESS_HINT = re.compile(
    r"\d|路|街|道|巷|弄|号|区|市|县|镇|村|楼|层|室|大厦|广场|中心|公园|馆|"
    r"\b(street|st|road|rd|avenue|ave|lane|ln|square|sq|plaza|building|floor|park|station|"
    r"strasse|straße|rue|via|platz)\b",
    re.IGNORECASE,
)


def is_address(place: str) -> bool:
    """Whether `place` reads like a street address or a named venue (not a link, not online)."""
    place = place.strip()
    if len(place) < 4 or _NOT_A_PLACE.search(place):
        return False
    return bool(_ADDRESS_HINT.search(place))


def provider_for(setting: str, language: str) -> str:
    """The provider a community's setting means for a reader of `language`."""
    if setting != "auto":
        return setting
    return "amap" if language == "zh" else "osm"


def map_url(place: str, language: str, setting: str = "auto") -> str | None:
    """A link that opens `place` on a map, or None (not an address, or links are off)."""
    provider = provider_for(setting, language)
    if provider not in _URLS or not is_address(place):
        return None
    place = " ".join(place.split())
    return _URLS[provider].format(query=quote_plus(place), path=quote(place, safe=""))


def place_lines(place: str, language: str, setting: str = "auto") -> list[str]:
    """'📍 place' and, for an address, '🗺 <map link>' (nothing for no place)."""
    if not place:
        return []
    url = map_url(place, language, setting)
    return [f"📍 {place}"] + ([f"🗺 {url}"] if url else [])
