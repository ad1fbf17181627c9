"""`salonbot plan` and the "plan" backtest of `salonbot evaluate` on imported history."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from recommender.sim.community import Dynamics, simulate_community, write_history_csv
from tests.test_training_cli import _config
from tests.updates import COMMUNITY_ID

AI = "AI 沙龙 | 2099-01-10 19:30 | 40 | 上海 | ai | 49 CNY"
BOOKS = "Reading night | 2099-01-12 14:00 | 30 | | books"
FREE = "Startup night | 2099-01-15 20:00 | 60"


def _import(tmp_path, db_url, capsys, n_salons: int):
    dynamics = Dynamics(trend=1.0, topic_drift=0.2, seed=3)
    community = simulate_community(n_members=150, weeks=24, n_salons=n_salons, seed=3,
                                   community_id=COMMUNITY_ID, with_texts=False,
                                   dynamics=dynamics)  # fmt: skip
    write_history_csv(community, tmp_path / "history")
    config = _config(tmp_path, db_url)
    assert main(["import", "history", str(tmp_path / "history"), "--config", str(config)]) == 0
    capsys.readouterr()
    return config


@pytest.fixture
def config(tmp_path, db_url, capsys):
    """A simulated community with 14 past salons."""
    return _import(tmp_path, db_url, capsys, 14)


def _plan(config, *options, community=COMMUNITY_ID):
    args = ["plan", "--config", str(config), "--community-id", str(community), "--json"]
    for option in options:
        args += ["--option", option]
    return main(args)


def test_plan_json_predicts_each_option_and_picks_the_best(config, capsys):
    assert _plan(config, AI, BOOKS, FREE) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [o["title"] for o in report["options"]] == ["AI 沙龙", "Reading night", "Startup night"]
    for option in report["options"]:
        assert 0 <= option["signups_low"] <= option["expected_signups"] <= option["signups_high"]
        seated = min(option["expected_signups"], option["capacity"])
        assert 0 < option["expected_attendance"] <= seated + 0.01
        assert sum(option["segments"].values()) == pytest.approx(option["expected_signups"],
                                                                 abs=0.1)  # fmt: skip
        assert option["seats_left"] == pytest.approx(
            max(option["capacity"] - option["expected_signups"], 0), abs=0.01
        )
    ai = report["options"][0]
    assert ai["expected_revenue"] == pytest.approx(49 * min(ai["expected_signups"], 40), abs=1)
    assert report["options"][2]["expected_revenue"] == 0
    assert report["basis"] == "revenue" and report["best"] == 0
    assert report["options"][0]["starts_at"] == "2099-01-10T19:30:00+00:00"
    assert 0 <= report["suggested_slot"]["weekday"] <= 6
    assert isinstance(report["unmet_tags"], list)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("Old | 2001-01-01 10:00 | 20", "in the past"),
        ("Empty | 2099-01-01 10:00 | 0", "at least 1"),
        ("No capacity | 2099-01-01 10:00", "3 to 6 parts"),
        ("Bad date | tomorrow | 20", "YYYY-MM-DD HH:MM"),
    ],
)
def test_bad_plans_exit_2_with_one_line_on_stderr(config, capsys, option, message):
    assert _plan(config, option) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and captured.err.count("\n") == 1


def test_unknown_community_exits_2(config, capsys):
    assert _plan(config, FREE, community=-42) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown community -42" in captured.err


def test_too_many_options_exit_2(config, capsys):
    assert _plan(config, *[FREE] * 7) == 2
    assert "1 to 6" in capsys.readouterr().err


def test_no_history_gets_a_clear_answer(tmp_path, db_url, capsys):
    config = _import(tmp_path, db_url, capsys, 3)
    assert _plan(config, FREE) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Not enough history" in captured.err and "not enough data" in captured.err


def test_evaluate_json_has_the_plan_backtest(config, capsys):
    assert main(["evaluate", "--config", str(config), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    assert plan["outcome"] == "ok" and plan["salons"] >= 2
    assert {"mae", "spearman", "coverage_80"} <= set(plan["model"])
    assert set(plan["baselines"]) == {"previous_mean", "sum_p", "salon_features_only"}
    assert plan["model"]["mae"] >= 0 and plan["baselines"]["sum_p"]["salons"] == plan["salons"]


def test_evaluate_on_a_tiny_history_reports_not_enough_data(tmp_path, db_url, capsys):
    config = _import(tmp_path, db_url, capsys, 3)
    assert main(["evaluate", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["outcome"] == "not enough data"
