"""`salonbot stats`: the figures of imported history as JSON and text, charts as files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.cli import main
from tests.imports import cli_config
from tests.updates import COMMUNITY_ID

C = COMMUNITY_ID


def iso(days_ago: float) -> str:
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_stats_json_text_and_charts_after_a_history_import(tmp_path, db_url, capsys):
    history = tmp_path / "history"
    history.mkdir()
    files = {
        "members": f"community_id,user_id,name,joined_at\n{C},11,Ann,{iso(5)}\n"
        f"{C},12,Bo,{iso(50)}\n{C},13,Cy,\n",
        "events": "event_id,community_id,title,starts_at\n",
        "messages": f"community_id,user_id,sent_at\n{C},11,{iso(1)}\n{C},12,{iso(3)}\n"
        f"{C},13,{iso(40)}\n{C},11,{iso(45)}\n",
        "reactions": f"community_id,user_id,reacted_at,target_user_id,emoji\n"
        f"{C},13,{iso(2)},12,👍\n",
    }
    for name, text in files.items():
        (history / f"{name}.csv").write_text(text, encoding="utf-8")
    config = str(cli_config(tmp_path, db_url))
    assert main(["import", "history", str(history), "--config", config]) == 0
    capsys.readouterr()
    charts = tmp_path / "charts"
    assert main(["stats", "--config", config, "--json", "--charts", str(charts)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["members_known"], data["members_reachable"]) == (3, 0)
    assert (data["active_members_7d"], data["active_members_30d"]) == (3, 2 + 1)
    assert (data["messages_total"], data["messages_period"], data["messages_previous"]) == (4, 2, 2)
    assert (data["reactions_total"], data["reactions_period"]) == (1, 1)
    assert data["new_members"] == 1  # Ann joined 5 days ago; Bo 50
    assert data["salons"] == [] and data["uplift"] == []
    assert data["model"]["run_at"] is None and data["revenue"]["net"] == 0
    assert sorted(p.name for p in charts.iterdir()) == [
        "activity.png",
        "funnel.png",
        "hours.png",
        "segments.png",
    ]
    for option in ("--lang", "--language"):  # the demo's name, and the older one
        assert main(["stats", "--config", config, option, "zh", "--days", "7"]) == 0
        out = capsys.readouterr().out
        assert "近 7 天" in out and "已知成员：3" in out and "模型尚未运行" in out
    assert main(["stats", "--config", config, "--days", "0"]) == 2
    assert "--days" in capsys.readouterr().err
    assert main(["stats", "--config", config, "--community-id", "5"]) == 2


def test_help_lists_every_verb_and_the_language_option_agrees(capsys):
    import pytest

    from bot.cli import build_parser

    parser = build_parser()
    verbs = next(a for a in parser._actions if a.dest == "verb").choices
    expected = {"run", "migrate", "import", "train", "evaluate", "score", "demo", "stats", "plan",
                "recommend"}  # fmt: skip
    assert expected <= set(verbs)
    with pytest.raises(SystemExit):
        main(["--help"])
    summary = capsys.readouterr().out
    listed = {line.split()[0] for line in summary.splitlines() if line.startswith("    ")}
    for verb in verbs:  # in the summary sentence and in the list of verbs
        assert verb in parser.description and verb in listed, verb
    for verb in ("stats", "demo"):
        with pytest.raises(SystemExit):
            main([verb, "--help"])
        assert "--lang {zh,en}, --language {zh,en}" in capsys.readouterr().out
