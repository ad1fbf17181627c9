"""`salonbot recommend` on imported history, and the members' backtest in `evaluate --json`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.cli import main
from recommender.sim.community import simulate_community, write_history_csv
from tests.imports import cli_config
from tests.updates import COMMUNITY_ID

C = COMMUNITY_ID


def iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _import(tmp_path, db_url, capsys) -> str:
    """Ann (11) joined an AI salon, Bo (12) a poetry one, Dee (14) started with AI; Cy (13)
    joined nothing. Upcoming: poetry in 2 days, AI in 5 (Ann already signed up)."""
    history = tmp_path / "history"
    history.mkdir()
    old = iso(-400)
    files = {
        "members": "community_id,user_id,name,joined_at\n"
        + "".join(
            f"{C},{u},{n},{old}\n" for u, n in ((11, "Ann"), (12, "Bo"), (13, "Cy"), (14, "Dee"))
        ),  # fmt: skip
        "events": "event_id,community_id,title,starts_at,tags\n"
        f"p1,{C},AI night,{iso(-30)},ai\np2,{C},Poetry,{iso(-20)},poetry\n"
        f"p3,{C},AI again,{iso(-10)},ai\n"
        f"f1,{C},Poetry evening,{iso(2)},poetry\nf2,{C},AI deep dive,{iso(5)},ai;ml\n",
        "signups": "event_id,user_id,response,responded_at,attended\n"
        f"p1,11,yes,{iso(-35)},1\np2,12,yes,{iso(-25)},1\np3,14,yes,{iso(-12)},1\n"
        f"p3,11,yes,{iso(-12)},0\nf2,11,yes,{iso(-1)},\n",
    }
    for name, text in files.items():
        (history / f"{name}.csv").write_text(text, encoding="utf-8")
    config = str(cli_config(tmp_path, db_url))
    assert main(["import", "history", str(history), "--config", config]) == 0
    capsys.readouterr()
    return config


def test_recommend_ranks_by_the_members_own_history_and_newcomers(tmp_path, db_url, capsys):
    config = _import(tmp_path, db_url, capsys)
    assert main(["recommend", "--config", config, "--user-id", "11", "--json"]) == 0
    ann = json.loads(capsys.readouterr().out)["salons"]
    assert [s["event_id"] for s in ann] == ["f2", "f1"]  # AI first, though poetry is sooner
    assert ann[0]["title"] == "AI deep dive" and ann[0]["signed_up"] is True
    assert ann[0]["reason"] == "You joined salons about ai before."
    assert ann[0]["starts_at"].startswith(iso(5)[:10])
    assert 0 < ann[1]["probability"] < ann[0]["probability"] <= 0.95
    assert set(ann[0]) >= {"event_id", "title", "starts_at", "probability", "reason"}

    assert main(["recommend", "--config", config, "--user-id", "12", "--json"]) == 0
    bo = json.loads(capsys.readouterr().out)["salons"]
    assert [s["event_id"] for s in bo] == ["f1", "f2"]
    assert bo[0]["reason"] == "You joined salons about poetry before."

    # Cy has no history: two of three newcomers started with AI.
    assert main(["recommend", "--config", config, "--user-id", "13",
                 "--community-id", str(C), "--json"]) == 0  # fmt: skip
    cy = json.loads(capsys.readouterr().out)["salons"]
    assert [s["event_id"] for s in cy] == ["f2", "f1"]
    assert cy[0]["reason"] == "New members often start with salons like this one."
    assert not any(s["signed_up"] for s in cy)

    assert main(["recommend", "--config", config, "--user-id", "13"]) == 0
    out = capsys.readouterr().out
    assert out.index("AI deep dive") < out.index("Poetry evening")


def test_recommend_errors_go_to_stderr_with_status_2(tmp_path, db_url, capsys):
    config = _import(tmp_path, db_url, capsys)
    assert main(["recommend", "--config", config, "--user-id", "999", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown user 999" in captured.err
    assert main(["recommend", "--config", config, "--user-id", "11", "--community-id", "5"]) == 2
    assert "unknown community 5" in capsys.readouterr().err


def test_evaluate_json_reports_members_own_rankings_against_date_order(tmp_path, db_url, capsys):
    community = simulate_community(n_members=150, weeks=14, n_salons=12, seed=3,
                                   community_id=C, with_texts=False)  # fmt: skip
    write_history_csv(community, tmp_path / "history")
    config = str(cli_config(tmp_path, db_url))
    assert main(["import", "history", str(tmp_path / "history"), "--config", config]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--config", config, "--json"]) == 0
    members = json.loads(capsys.readouterr().out)["members"]
    assert members["members"] > 10 and members["pairs"] > members["members"]
    for name in ("personal", "date_order", "popularity"):
        assert 0.0 <= members[name]["mean_auc"] <= 1.0
    assert members["personal"]["mean_auc"] > members["date_order"]["mean_auc"]
    assert main(["evaluate", "--config", config]) == 0
    assert "members' own rankings" in capsys.readouterr().out
