"""Maintain the gettext catalogs.

python scripts/i18n.py update          # extract strings, update both .po, fill English, compile
python scripts/i18n.py missing         # print msgids still without a Chinese translation
python scripts/i18n.py set-zh FILE     # merge {"msgid": "中文"} from a JSON file, compile
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "bot" / "locale"
POT = LOCALE / "salonbot.pot"


def po_path(locale: str) -> Path:
    return LOCALE / locale / "LC_MESSAGES" / "salonbot.po"


def load(locale: str):
    with po_path(locale).open("rb") as f:
        return read_po(f, locale=locale)


def save(catalog, locale: str) -> None:
    with po_path(locale).open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, no_location=True, sort_output=True)
    with po_path(locale).with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog)


def update() -> None:
    pybabel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(
        [
            *pybabel,
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "-o",
            str(POT),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    for locale in ("en", "zh_Hans"):
        # A fresh template per catalog: Catalog.update adds the template's own message objects.
        with POT.open("rb") as f:
            template = read_po(f)
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if locale == "en":
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        save(catalog, locale)


def missing() -> None:
    catalog = load("zh_Hans")
    ids = [m.id for m in catalog if m.id and not m.string]
    print(json.dumps({i: "" for i in ids}, ensure_ascii=False, indent=1))


def set_zh(path: str) -> None:
    catalog = load("zh_Hans")
    for msgid, text in json.loads(Path(path).read_text(encoding="utf-8")).items():
        if msgid not in catalog:
            sys.exit(f"not in the catalog (run update first): {msgid!r}")
        catalog[msgid].string = text
    save(catalog, "zh_Hans")


if __name__ == "__main__":
    verb = sys.argv[1] if len(sys.argv) > 1 else ""
    if verb == "update":
        update()
    elif verb == "missing":
        missing()
    elif verb == "set-zh" and len(sys.argv) == 3:
        set_zh(sys.argv[2])
    else:
        sys.exit(__doc__)
