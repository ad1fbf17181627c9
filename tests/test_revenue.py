"""Revenue from payments: gross, refunds and net per currency, salon and period, in /stats,
`salonbot stats --json` and /export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from bot.cli import main
from bot.stats.texts import revenue_lines
from storage.models import Payment
from storage.stats import get_community_stats
from storage.types import utcnow
from storage.users import CommunityInfo, upsert_communities
from tests.payment_helpers import paid_salon
from tests.updates import COMMUNITY_ID, ORGANIZER, message

# (salon, user, amount, currency, status, paid days ago, refund requested days ago)
ROWS = [
    ("a", 1, 50, "XTR", "paid", 1, None),
    ("a", 2, 50, "XTR", "refunded", 2, 1),
    ("a", 3, 50, "XTR", "refund_due", 3, 0),
    ("b", 4, 30, "XTR", "paid", 40, None),  # before a 30-day period
    ("b", 5, 30, "XTR", "refunded", 40, 5),  # paid before, refunded within
    ("c", 6, 4990, "CNY", "manual_refund", 2, 1),
    ("c", 7, 4990, "CNY", "paid", 2, None),
]


async def _seed(db) -> dict[str, object]:
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(COMMUNITY_ID, "读书会", "UTC", "zh")],
                                 session=session)  # fmt: skip
    salons = {
        "a": await paid_salon(db, price=50, title="Stars salon"),
        "b": await paid_salon(db, price=30, title="Older salon", starts_in=timedelta(days=2)),
        "c": await paid_salon(db, price=4990, currency="CNY", title="Yuan salon"),
    }
    now = utcnow()
    async with db.begin() as session:
        for index, (key, user, amount, cur, status, paid, refund) in enumerate(ROWS):
            session.add(Payment(
                community_id=COMMUNITY_ID, salon_id=salons[key].id, user_id=user, currency=cur,
                amount=amount, telegram_payment_charge_id=f"c{index}", status=status,
                provider_payment_charge_id="", paid_at=now - timedelta(days=paid),
                refund_requested_at=None if refund is None else now - timedelta(days=refund),
            ))  # fmt: skip
    return salons


async def test_revenue_per_currency_salon_and_period(db):
    salons = await _seed(db)
    async with db.begin() as session:
        stats = await get_community_stats(COMMUNITY_ID, session=session, days=30)
    revenue = stats.revenue
    # Stars over 30 days: paid 3 × 50 in the period; refunds 50 + 50 + 30 requested in it.
    stars = next(m for m in revenue.currencies if m.currency == "XTR")
    assert (stars.gross, stars.refunds, stars.net, stars.refunds_pending, stars.payments) == (
        150, 130, 20, 50, 3)  # fmt: skip
    yuan = next(m for m in revenue.currencies if m.currency == "CNY")
    assert (yuan.gross, yuan.refunds, yuan.net) == (9980, 4990, 4990)
    # The main currency is the one with the most gross (yuan here, in cents).
    assert (revenue.currency, revenue.gross, revenue.net, revenue.note) == ("CNY", 9980, 4990, "")
    by_salon = {m.salon_id: (m.gross, m.refunds, m.net) for m in revenue.salons}
    assert by_salon == {salons["a"].id: (150, 100, 50), salons["b"].id: (0, 30, -30),
                        salons["c"].id: (9980, 4990, 4990)}  # fmt: skip
    # A 90-day period takes in the older payments too.
    async with db.begin() as session:
        longer = (await get_community_stats(COMMUNITY_ID, session=session, days=90)).revenue
    stars = next(m for m in longer.currencies if m.currency == "XTR")
    assert (stars.gross, stars.refunds, stars.net) == (210, 130, 80)
    text = "\n".join(revenue_lines(revenue, "en"))
    assert "gross 150 ⭐, refunds 130 ⭐, net 20 ⭐ (3 payments)" in text
    assert "50 ⭐ of the refunds are still being sent" in text
    assert "gross 99.80 CNY, refunds 49.90 CNY, net 49.90 CNY" in text
    assert "«Older salon»" in text and "net -30 ⭐" in text
    data = stats.to_json()["revenue"]
    assert json.loads(json.dumps(data)) == data
    assert (data["gross"], data["net"], data["currency"]) == (9980, 4990, "CNY")
    assert {m["currency"]: m["net"] for m in data["currencies"]} == {"XTR": 20, "CNY": 4990}
    assert len(data["salons"]) == 3 and data["salons"][0]["code"]


async def test_no_payments_says_so(db):
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(COMMUNITY_ID, "读书会", "UTC", "zh")],
                                 session=session)  # fmt: skip
        stats = await get_community_stats(COMMUNITY_ID, session=session)
    assert revenue_lines(stats.revenue, "en") == ["💰 Revenue: no payments in this period."]
    assert stats.revenue.to_json()["net"] == 0


async def test_export_has_payments_and_salon_money(app, fake_request, db):
    salons = await _seed(db)
    await app.process_update(message("/export", ORGANIZER, bot=app.bot))
    docs = {
        c.params["document"]["filename"]: c.params["document"]["data"]
        for c in fake_request.calls_to("sendDocument", chat_id=ORGANIZER["id"])
    }
    table = {n: list(csv.DictReader(io.StringIO(d.decode("utf-8-sig")))) for n, d in docs.items()}
    assert [(r["user_id"], r["amount"], r["status"]) for r in table["payments.csv"]] == [
        (str(u), str(a), s) for _k, u, a, _c, s, _p, _r in ROWS]  # fmt: skip
    row = next(r for r in table["salons.csv"] if r["salon_id"] == str(salons["a"].id))
    assert (row["price"], row["currency"], row["payments"]) == ("50", "XTR", "3")
    assert (row["gross"], row["refunds"], row["net"]) == ("150", "100", "50")


def test_stats_json_on_the_command_line_has_the_revenue(tmp_path, db_url, capsys):
    import asyncio

    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade
    from tests.imports import cli_config

    config = str(cli_config(tmp_path, db_url))
    upgrade(db_url)

    async def seed() -> None:
        engine = create_engine(db_url)
        try:
            await _seed(session_factory(engine))
        finally:
            await engine.dispose()

    asyncio.run(seed())
    assert main(["stats", "--config", config, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["revenue"]
    assert {m["currency"]: (m["gross"], m["refunds"]) for m in data["currencies"]} == {
        "XTR": (150, 130), "CNY": (9980, 4990)}  # fmt: skip
