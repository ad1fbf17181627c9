"""The recommendation API (`GET /recommend_activities`): bearer token, the JSON of
`salonbot recommend`, errors; only in webhook mode with [api] enabled."""

from __future__ import annotations

import socket
from datetime import timedelta

import httpx
import pytest

from bot.common.config import ConfigError
from bot.recommendations.service import as_json, recommend
from storage.models import Signup
from tests.conftest import make_config, started_app
from tests.salon_helpers import make_salon, make_users
from tests.updates import COMMUNITY_ID, EN_USER

TOKEN = "s3cret-api-token-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _world(db):
    await make_users(db, [EN_USER])
    past = await make_salon(db, title="AI past", tags=("ai",), starts_in=timedelta(days=-4))
    async with db.begin() as session:
        session.add(Signup(salon_id=past.id, user_id=EN_USER["id"], status="going", attended=True))
    await make_salon(db, title="Poetry", tags=("poetry",), starts_in=timedelta(days=1))
    await make_salon(db, title="AI next", tags=("ai",), starts_in=timedelta(days=3))


@pytest.fixture
async def api(db_url, db, fake_request):
    port = _free_port()
    config = make_config(
        db_url,
        telegram={
            "mode": "webhook",
            "webhook": {"url": "https://bot.example.org/telegram", "secret": "webhook-secret-0123"},
        },
        api={"enabled": True, "port": port, "token": TOKEN},
    )
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")
    async with started_app(config, fake_request) as app, client:
        yield app, client


async def test_missing_or_wrong_token_is_refused(api, db):
    _app, client = api
    await _world(db)
    url = f"/recommend_activities?user_id={EN_USER['id']}"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):  # fmt: skip
        response = await client.get(url, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "salons" not in response.json()


async def test_the_same_json_as_salonbot_recommend(api, db):
    _app, client = api
    await _world(db)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = await client.get(f"/recommend_activities?user_id={EN_USER['id']}", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert [s["title"] for s in body["salons"]] == ["AI next", "Poetry"]
    assert body["salons"][0]["reason"] == "You joined salons about ai before."
    async with db.begin() as session:
        expected = as_json(await recommend(EN_USER["id"], [COMMUNITY_ID], session=session))
    assert body == expected
    scoped = await client.get(
        f"/recommend_activities?user_id={EN_USER['id']}&community_id={COMMUNITY_ID}", headers=auth
    )
    assert scoped.json() == expected


async def test_bad_and_unknown_ids(api, db):
    _app, client = api
    await _world(db)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for query, status in (("", 400), ("?user_id=abc", 400), ("?user_id=1" + "0" * 30, 400),
                          ("?user_id=999", 404),
                          (f"?user_id={EN_USER['id']}&community_id=-5", 404)):  # fmt: skip
        response = await client.get(f"/recommend_activities{query}", headers=auth)
        assert response.status_code == status, query
        assert "error" in response.json()


async def test_off_by_default_and_never_in_polling_mode(db_url, fake_request):
    async with started_app(make_config(db_url), fake_request) as app:
        assert app.bot_data.api is None
    config = make_config(db_url, api={"enabled": True, "token": TOKEN, "port": _free_port()})
    async with started_app(config, fake_request) as app:  # polling mode
        assert app.bot_data.api is None
    with pytest.raises(ConfigError, match="api: token: at least 16"):
        make_config(db_url, api={"enabled": True, "token": "short"})
