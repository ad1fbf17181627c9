"""The import rules of the layout (docs/development.md): one direction, thin handlers.

bot → storage and bot → recommender, never back; recommender/ is pure pandas/scikit-learn;
storage/ imports recommender/ only in its frame adapters (storage/frames*.py); a handler
module (one whose functions app.py registers) never imports another handler module. Read
from the source with `ast`, so a forbidden import fails here before anything runs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """The absolute module names a file imports (relative imports resolved)."""
    inside = path.is_relative_to(ROOT)
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1]) if inside else ""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]).strip(".")
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


def modules(package: str) -> list[Path]:
    """Every .py file of a top-level package."""
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


def handler_modules() -> set[str]:
    """Modules whose handlers bot/app.py registers (`import bot.x.y as name`)."""
    source = (ROOT / "bot" / "app.py").read_text(encoding="utf-8")
    return set(re.findall(r"^import (bot\.[\w.]+) as \w+$", source, flags=re.M))


def test_the_layout_is_found():
    assert len(modules("recommender")) >= 10 and len(modules("storage")) >= 20
    assert len(handler_modules()) >= 10


def forbidden_in_recommender(path: Path) -> set[str]:
    """What a recommender module imports that it must not."""
    forbidden = {"telegram", "sqlalchemy", "alembic", "asyncpg", "aiosqlite", "storage", "bot"}
    return {top(n) for n in imports_of(path)} & forbidden


@pytest.mark.parametrize("path", modules("recommender"), ids=lambda p: str(p.relative_to(ROOT)))
def test_recommender_imports_no_telegram_database_storage_or_bot(path):
    assert not forbidden_in_recommender(path)


@pytest.mark.parametrize("path", modules("storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_imports_no_bot_no_telegram_and_recommender_only_in_frames(path):
    tops = {top(n) for n in imports_of(path)}
    assert not tops & {"bot", "telegram"}
    if "recommender" in tops:
        assert path.parent == ROOT / "storage" and path.name.startswith("frames"), path


def test_no_handler_module_imports_another():
    handlers = handler_modules()
    for name in sorted(handlers):
        path = ROOT / (name.replace(".", "/") + ".py")
        others = {n for n in imports_of(path) for h in handlers - {name}
                  if n == h or n.startswith(h + ".")}  # fmt: skip
        assert not others, f"{name} imports the handler module(s) {sorted(others)}"


def test_services_do_not_import_telegram():
    for path in sorted((ROOT / "bot").rglob("service.py")):
        assert "telegram" not in {top(n) for n in imports_of(path)}, path


def test_at_most_a_dozen_modules_directly_in_bot():
    direct = [p for p in (ROOT / "bot").glob("*.py") if p.name != "__init__.py"]
    assert len(direct) <= 12, sorted(p.name for p in direct)


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The rules would fail: imports written in any of the usual forms are all seen."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import numpy\nfrom storage.db import create_engine\nimport telegram.ext as ext\n"
        "def f():\n    from bot import callbacks\n",
        encoding="utf-8",
    )
    assert forbidden_in_recommender(probe) == {"storage", "telegram", "bot"}
