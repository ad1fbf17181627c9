"""/plan: organizers compare salon plans in both languages and turn one into a draft."""

from __future__ import annotations

import pytest

from recommender.sim.community import Dynamics, simulate_community, write_history_csv
from storage.importers.history import import_history
from storage.models.salons import SALON_DRAFT
from tests.conftest import make_config, started_app
from tests.organizer import ZH_ORGANIZER, alerts, buttons, last_call, local_in, salons_in, text_of
from tests.updates import COMMUNITY_ID, EN_USER, ORGANIZER, callback_query, message

ME = ORGANIZER["id"]


def _plans(*lines: str) -> str:
    return "/plan\n" + "\n".join(lines)


AI = f"AI night | {text_of(local_in(10))} | 40 | Library | ai | 50 XTR"
BOOKS = f"Reading club | {text_of(local_in(12, 14, 0))} | 30 | | reading"
FREE = f"Startup talk | {text_of(local_in(15, 20, 0))} | 60"


@pytest.fixture
async def planner(db_url, db, tmp_path, fake_request):
    """The app on a community with 14 past salons of simulated history."""
    config = make_config(db_url, models={"model_dir": str(tmp_path / "models")})
    async with started_app(config, fake_request) as app:
        dynamics = Dynamics(trend=1.0, topic_drift=0.2, seed=3)
        community = simulate_community(n_members=150, weeks=24, n_salons=14, seed=3,
                                       community_id=COMMUNITY_ID, with_texts=False,
                                       dynamics=dynamics)  # fmt: skip
        write_history_csv(community, tmp_path / "history")
        async with db.begin() as session:
            await import_history(tmp_path / "history", session=session, progress=False)
        yield app


async def drafts(db):
    return [s for s in await salons_in(db) if s.status == SALON_DRAFT]


async def say(app, text, user=ORGANIZER):
    await app.process_update(message(text, user, bot=app.bot))


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def test_plan_compares_plans_and_a_button_makes_a_draft(planner, fake_request, db):
    await say(planner, _plans(AI, BOOKS, FREE))
    reply = last_call(fake_request, ME)
    text = reply.params["text"]
    assert text.startswith("Forecast for 读书会:")
    for title in ("1. AI night", "2. Reading club", "3. Startup talk"):
        assert title in text
    assert text.count("Expected signups:") == 3 and text.count("(after no-shows)") == 3
    assert "Expected revenue:" in text and "⭐" in text  # only the paid plan
    assert "🏆 Best: plan 1, because it is expected to bring the most revenue." in text
    assert "Best time for this community:" in text
    labels = buttons(reply)
    assert list(labels)[0] == "🏆 Draft plan 1" and "📝 Draft plan 3" in labels
    assert await drafts(db) == []

    await press(planner, labels["📝 Draft plan 3"])
    [salon] = await drafts(db)
    assert (salon.title, salon.capacity, salon.status) == ("Startup talk", 60, SALON_DRAFT)
    assert salon.created_by == ME
    preview = last_call(fake_request, ME)
    assert preview.params["text"].startswith("Preview of the announcement for 读书会:")
    assert "✅ Publish" in buttons(preview)

    await press(planner, labels["🏆 Draft plan 1"])  # spent: one draft per comparison
    assert alerts(fake_request)[-1] == "This button is no longer valid."
    assert len(await drafts(db)) == 1


async def test_plan_in_chinese(planner, fake_request, db):
    await say(planner, _plans(AI, FREE), ZH_ORGANIZER)
    text = last_call(fake_request, ME).params["text"]
    assert text.startswith("读书会的预测：")
    assert "预计报名" in text and "最佳：方案 1" in text
    assert "草拟方案 2" in "".join(buttons(last_call(fake_request, ME)))


async def test_forged_or_foreign_buttons_do_nothing(planner, fake_request, db):
    await say(planner, _plans(AI, FREE))
    data = buttons(last_call(fake_request, ME))["🏆 Draft plan 1"]
    for forged, user in ((data, EN_USER), ("PL:deadbeef:0", ORGANIZER), ("PL:x", ORGANIZER),
                         (data[:-1] + "5", ORGANIZER)):  # fmt: skip
        await press(planner, forged, user)
        assert alerts(fake_request)[-1] == "This button is no longer valid."
    assert await drafts(db) == []


async def test_bad_plans_get_a_clear_answer(planner, fake_request):
    await say(planner, _plans(AI))
    assert last_call(fake_request, ME).params["text"].startswith("Compare 2 to 6 plans")
    await say(planner, _plans(AI, "Old | 2001-01-01 10:00 | 20"))
    assert "That time is in the past" in last_call(fake_request, ME).params["text"]
    await say(planner, _plans(AI, f"Empty | {text_of(local_in(3))} | 0"))
    assert (
        last_call(fake_request, ME)
        .params["text"]
        .startswith("Plan 2: The capacity must be at least 1.")
    )
    await say(planner, _plans(AI, "nonsense"))
    assert last_call(fake_request, ME).params["text"].startswith("Plan 2: I could not read that")
    await say(planner, _plans(AI, FREE), EN_USER)
    assert last_call(fake_request, EN_USER["id"]).params["text"] == (
        "Only organizers of a community can do that."
    )


async def test_no_history_says_so(app, fake_request, tmp_path):
    await say(app, _plans(AI, FREE))
    assert "Not enough history to predict plans yet" in last_call(fake_request, ME).params["text"]
