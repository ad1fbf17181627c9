"""End to end: `salonbot demo` runs the whole loop offline and its transcript shows each step."""

from __future__ import annotations

import os
import subprocess
import sys
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.models import Campaign, Invitation, OutboxMessage, Payment, Poll, Salon, Signup
from tests.e2e import ROOT
from tests.imports import fetch

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_demo_runs_the_whole_loop_and_narrates_every_step(tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "SALONBOT_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--members", "60", "--seed", "1",
         "--out", str(out), "--lang", "en"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    transcript = (out / "transcript.txt").read_text(encoding="utf-8")
    assert transcript == done.stdout  # printed as it went, and kept
    for heading in (
        "1. A community and its history", "2. Nightly training", "3. An organizer creates a salon",
        "4. Personal invitations, with a holdout", "5. Members answer",
        "5b. A new place reaches everyone, with an updated calendar entry",
        "6. A paid salon: a member pays in Telegram Stars", "7. Reminders and the waitlist",
        "8. Check-in", "9. Feedback", "10. The organizer reads /stats",
        "11. For members: a personal list, points, a referral, the leaderboard",
        "12. The organizer plans ahead: /plan and a recurring salon", "Done",
    ):  # fmt: skip
        assert f"━━ {heading}" in transcript
    # training and segments
    assert "· Segments: " in transcript and "Participation " in transcript
    # the salon is created in one line, published and announced in the group
    assert "→ bot: /newsalon " in transcript and "presses [✅ Publish]" in transcript
    assert "🤖 bot → 👥 周末沙龙会 Weekend Salon Club:" in transcript
    # the /invite preview, then the campaign with its holdout
    assert "→ bot: /invite " in transcript and "Eligible members: " in transcript
    assert (
        "presses [✅ Send invitations]" in transcript
        and "held out as the control group" in transcript
    )
    # members answer; reminders; check-in; feedback (in their own languages)
    assert "You are in! See you there." in transcript or "报名成功" in transcript
    assert "Now " in transcript and " going, " in transcript
    # a new place reaches members with the updated calendar entry; the organizers' digest
    moved = transcript.split("━━ 5b. ", 1)[1].split("━━ 6. ", 1)[0]
    assert "presses [📍 Edit location]" in moved and "📎 salon-" in moved
    assert "has a new place: 上海市徐汇区天钥桥路 100 号 2F" in moved or "换了新地点" in moved
    assert "🗺 https://" in moved and "SEQUENCE:1" in moved and "METHOD:PUBLISH" in moved
    assert "📰 " in moved and ("🙋 Signed up (" in moved or "🙋 报名（" in moved)
    # one member pays for a paid salon in Telegram Stars; another leaves and is refunded
    paid = transcript.split("━━ 6. ", 1)[1].split("━━ 7. ", 1)[0]
    assert "| 50 XTR" in paid and "💰 50 ⭐" in paid
    assert "🧾 invoice “" in paid and " pays 50 ⭐ in Telegram" in paid
    assert "pre-checkout query: yes" in paid
    assert "Payment received: the seat is yours!" in paid or "已收到付款" in paid
    assert "(refundStarPayment)" in paid and "↩️" in paid
    assert "days later: the salon starts in 23 hours" in transcript
    assert "Reminder: «" in transcript or "提醒：" in transcript
    here = transcript.split("→ bot: /here ", 1)[1].splitlines()
    assert here[1].startswith("🤖 bot → ") and here[2].lstrip(" │").startswith("✅")
    assert "Check-in for “" in transcript
    assert "📊 " in transcript and " votes “" in transcript and "average rating" in transcript
    # /plan: the forecast and a draft of the best plan, or the honest "not enough history"
    plans = transcript.split("━━ 12. ", 1)[1].split("━━ Done", 1)[0]
    assert "→ bot: /plan\n    " in plans
    if "Not enough history to predict plans yet" not in plans:
        forecast = plans.split("presses [🏆 Draft plan ", 1)[0]
        assert forecast.count("Expected signups: ") == 3 and "🏆 Best: plan " in forecast
        assert "presses [🏆 Draft plan " in plans and "Preview of the announcement for " in plans
        # the chosen plan is published, invited for, and compared with the first campaign
        assert "The simulation's planted model (which /plan does not see" in plans
        assert plans.count("presses [✅ Publish]") == 1 and "→ bot: /invite " in plans
        assert "presses [✅ Send invitations]" in plans and " invitations went out; " in plans
    # /series: the series is made and its occurrences announced in the group
    assert "→ bot: /series " in plans and "| every Saturday 14:00 | 20 |" in plans
    assert "Series #1 «" in plans and "[⏹ Stop series #1]" in plans
    assert plans.count("🤖 bot → 👥 周末沙龙会 Weekend Salon Club:") == 2
    # a member's own list, points, the leaderboard opt-in, a referral, the leaderboard
    members = transcript.split("━━ 11. ", 1)[1].split("━━ 12. ", 1)[0]
    assert "→ bot: /events" in members and "💡 " in members
    assert "⭐ 13 points" in members or "⭐ 13 分" in members
    assert "presses [Join the leaderboard of " in members or "presses [加入「" in members
    assert "start=r_" in members and "→ bot: /start r_" in members
    assert "🥇 " in members

    db_url = f"sqlite+aiosqlite:///{out / 'demo.db'}"

    def scalars(statement) -> list:
        return [row[0] for row in fetch(db_url, statement)]

    campaign = scalars(select(Campaign).order_by(Campaign.id))[0]
    [salon] = scalars(select(Salon).where(Salon.id == campaign.salon_id))
    assert salon.status == "published" and salon.going_count > 0
    assert plans.count(f" | {salon.capacity} | ") == 3  # the plans have the first salon's seats
    assert salon.location == "上海市徐汇区天钥桥路 100 号 2F" and salon.sequence == 1
    [workshop] = scalars(select(Salon).where(Salon.source_id.is_(None), Salon.price_amount > 0))
    assert (workshop.price_amount, workshop.currency, workshop.going_count) == (50, "XTR", 1)
    payments = scalars(select(Payment).order_by(Payment.id))
    assert [(p.amount, p.status) for p in payments] == [(50, "paid"), (50, "refunded")]
    [holdout] = scalars(select(func.count()).where(Invitation.holdout.is_(True)))
    [invited] = scalars(select(func.count()).where(Invitation.status == "sent"))
    assert campaign.salon_id == salon.id and holdout >= 1 and invited >= 5
    signups = scalars(select(Signup).where(Signup.salon_id == salon.id))
    assert any(s.attended for s in signups) and any(s.rating for s in signups)
    assert scalars(select(func.count()).select_from(Poll))[0] >= 1
    kinds = {row.kind for row in scalars(select(OutboxMessage))}
    assert {"invitation", "reminder", "feedback"} <= kinds
    series = scalars(select(Salon).where(Salon.series_id.is_not(None)))
    assert len(series) >= 3 and all(s.status == "published" and s.capacity == 20 for s in series)
    assert all(s.weekday() == 5 for s in (s.starts_at.astimezone(SHANGHAI) for s in series))
    # the best plan's campaign: its figures in the transcript are the stored ones /stats shows
    campaigns = scalars(select(Campaign).order_by(Campaign.id))
    assert len(campaigns) == (2 if "presses [🏆 Draft plan " in plans else 1)
    assert not scalars(select(Salon).where(Salon.status == "draft"))
    if len(campaigns) == 2:
        [chosen] = scalars(select(Salon).where(Salon.id == campaigns[1].salon_id))
        assert chosen.status == "published" and chosen.capacity == salon.capacity
        assert 1 <= chosen.going_count <= chosen.capacity
        for name, run in (("First salon", campaign), ("Chosen plan", campaigns[1])):
            [s] = scalars(select(Salon).where(Salon.id == run.salon_id))
            invited = scalars(select(func.count()).where(
                Invitation.salon_id == s.id, Invitation.holdout.is_(False)))[0]  # fmt: skip
            signed = scalars(select(func.count()).select_from(Signup).join(
                Invitation, (Invitation.salon_id == Signup.salon_id)
                & (Invitation.user_id == Signup.user_id)).where(
                Signup.salon_id == s.id, Invitation.holdout.is_(False),
                Signup.status.in_(("going", "offered", "waitlist", "left"))))[0]  # fmt: skip
            assert invited >= 1 and signed >= 1
            assert (f"· {name} «{s.title}»: {s.going_count} of {s.capacity} seats taken; "
                    f"{invited} invited, {signed} of them signed up: {invited / signed:.1f} "
                    "invitations per signup; ") in plans  # fmt: skip
    charts = sorted(p.name for p in (out / "charts").glob("*.png"))
    assert charts == ["activity.png", "funnel.png", "hours.png", "segments.png"]
    assert all((out / "charts" / name).stat().st_size > 1000 for name in charts)
