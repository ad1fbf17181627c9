"""Demo steps up to the invitations: history, training, a new salon, the campaign."""

from __future__ import annotations

from datetime import timedelta

from bot.common.labels import segment_label
from bot.demo.driver import Demo, button_with
from bot.demo.world import CHAT_ID, plan_salon
from bot.models.training import train_community
from bot.stats.labels import model_reason_text
from recommender.sim.community import write_history_csv
from storage.campaigns import CampaignCounts, count_campaign, get_salon_campaign
from storage.importers.history import import_history
from storage.models import Campaign, Salon
from storage.runs import count_segments, get_latest_run
from storage.salons import get_salon
from storage.types import utcnow


async def community_step(demo: Demo) -> None:
    """Import the simulated history; the reachable members start the bot."""
    _, t, world = demo.gettext, demo.transcript, demo.world
    t.heading(_("1. A community and its history"))
    history = demo.out / "history"
    write_history_csv(world.community, history, seed=int(world.rng.integers(2**31)))
    async with demo.db.begin() as session:
        result = await import_history(
            history, session=session, store_text=demo.config.privacy.store_text,
            text_since=utcnow() - timedelta(days=demo.config.privacy.retention_days),
            progress=False,
        )  # fmt: skip
    rows = {name.removesuffix(".csv"): counts.rows for name, counts in result.files.items()}
    t.note(_("Simulated: {members} members, 8 weeks of chat ({messages} messages, {reactions} "
             "reactions) and {salons} past salons with {signups} signups.").format(**{
                 **rows, "salons": rows["events"]}))  # fmt: skip
    t.note(_("Imported as `salonbot import history {directory}` does.").format(directory=history))
    reachable = [p for p in world.members.values() if p.reachable]
    t.note(_("{count} of them have pressed Start in a private chat with the bot, so it may "
             "write to them:").format(count=len(reachable)))  # fmt: skip
    examples = [
        next(p for p in reachable if p.language_code == code)
        for code in ("zh-hans", "en")
        if any(p.language_code == code for p in reachable)
    ]
    for person in examples:
        demo.say(person, "/start")
        await demo.settle()
        demo.show_new()
    for person in reachable:
        if person not in examples:
            demo.say(person, "/start", show=False)
    await demo.settle()
    demo.new_calls()
    rest = len(reachable) - len(examples)
    t.more(rest, _("{count} more members did the same.").format(count=rest))


async def training_step(demo: Demo) -> None:
    """The nightly training: segments, the participation model and its backtest."""
    _, t = demo.gettext, demo.transcript
    t.heading(_("2. Nightly training: segments and the participation model"))
    t.note(_("The nightly job (or `salonbot train`) learns from the history just imported."))
    await train_community(demo.db, demo.config, CHAT_ID)
    async with demo.db.begin() as session:
        segments = await count_segments(CHAT_ID, session=session)
        run = await get_latest_run(CHAT_ID, session=session)
    ordered = sorted(segments.items(), key=lambda item: -item[1])
    t.note(_("Segments: {segments}").format(
        segments=" · ".join(f"{segment_label(name, _)} {count}"
                            for name, count in ordered)))  # fmt: skip
    t.note(_("Participation {reason}").format(reason=model_reason_text(run.reason, _)))
    backtest = (run.metrics or {}).get("backtest")
    if backtest:
        base = backtest["baselines"]
        t.note(_("Backtest on the {count} latest salons, AUC (0.5 = chance): model {model:.2f} · "
                 "recent activity {recent:.2f} · popularity {popularity:.2f} · random "
                 "{random:.2f}").format(
            count=backtest["events"], model=backtest["model"]["auc"],
            recent=base["recent_activity"]["auc"], popularity=base["popularity"]["auc"],
            random=base["random"]["auc"]))  # fmt: skip


async def salon_step(demo: Demo) -> None:
    """The organizer creates a salon in one line and publishes it to the group."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.heading(_("3. An organizer creates a salon"))
    plan = plan_salon(demo.world)
    demo.facts["plan"] = plan
    demo.say(organizer, plan.one_liner())
    await demo.settle()
    [preview] = await demo.sent(1, "the salon preview", chat_id=organizer.user_id, button="S:pub")
    demo.show_new()
    label, data = button_with(preview, "S:pub:")
    demo.press(organizer, preview, data, label)
    await demo.settle()
    demo.show_new()
    async with demo.db.begin() as session:
        salon = await get_salon(int(data.rsplit(":", 1)[1]), session=session)
    demo.facts["salon_id"] = salon.id


async def send_invitations(demo: Demo, salon: Salon) -> tuple[Campaign, CampaignCounts]:
    """/invite for the salon, its preview shown, Send invitations pressed: the campaign and
    its counts."""
    organizer = demo.world.organizer
    demo.say(organizer, f"/invite {salon.short_code}")
    await demo.settle()
    [preview] = await demo.sent(1, "the /invite preview", chat_id=organizer.user_id, button="I:go")
    demo.show_new()
    label, data = button_with(preview, "I:go:")
    demo.press(organizer, preview, data, label)
    await demo.settle()
    demo.show_new()
    async with demo.db.begin() as session:
        campaign = await get_salon_campaign(salon.id, session=session)
        counts = await count_campaign(campaign.id, session=session)
    return campaign, counts


async def invite_step(demo: Demo) -> None:
    """/invite: the preview, then the campaign with its holdout; the dispatcher sends it."""
    _, t = demo.gettext, demo.transcript
    t.heading(_("4. Personal invitations, with a holdout"))
    async with demo.db.begin() as session:
        salon = await get_salon(demo.facts["salon_id"], session=session)
    campaign, counts = await send_invitations(demo, salon)
    t.note(_("The outbox dispatcher sends them, paced to Telegram's limits:"))
    calls = await demo.sent(counts.invited, "the invitations", button="I:j:")
    demo.new_calls()
    languages = [demo.world.members[c.params["chat_id"]].language_code for c in calls]
    examples = [next(c for c, lang in zip(calls, languages, strict=True) if lang == wanted)
                for wanted in ("zh-hans", "en") if wanted in languages]  # fmt: skip
    t.bot(examples)
    rest = len(calls) - len(examples)
    zh = languages.count("zh-hans")
    t.more(rest, _("{count} more invitations; of all {total}, {zh} in Chinese and {en} in "
                   "English.").format(count=rest, total=len(calls), zh=zh,
                                      en=len(calls) - zh))  # fmt: skip
    demo.facts["invitations"] = {c.params["chat_id"]: c for c in calls}
    demo.facts["holdout"] = counts.holdout
    demo.facts["campaign_id"] = campaign.id
