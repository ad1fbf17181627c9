"""The commands the bot offers, declared once for /help and setMyCommands."""

from __future__ import annotations

from dataclasses import dataclass

from bot.common.i18n import N_


@dataclass(frozen=True)
class Command:
    """A bot command; `organizer` commands are shown to organizers only."""

    name: str
    description: str
    organizer: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start the bot and let it send you messages")),
    Command("help", N_("What this bot can do for you")),
    Command("events", N_("Upcoming salons you can join")),
    Command("join", N_("Sign up for a salon: /join CODE")),
    Command("leave", N_("Give up your seat: /leave CODE")),
    Command("mysalons", N_("The salons you signed up for")),
    Command("me", N_("Your points, streak and the next salon for you")),
    Command("invitefriend", N_("Your personal link to invite a friend")),
    Command("privacy", N_("Your data: see it, stop tracking or invitations, delete it")),
    Command("here", N_("Check in at a salon with its check-in code")),
    Command("newsalon", N_("Create a salon (step by step, or in one line)"), organizer=True),
    Command("plan", N_("Compare 2 to 6 plans of a salon before publishing"), organizer=True),
    Command("salons", N_("Your salons: edit, cancel, attendees, check-in"), organizer=True),
    Command("invite", N_("Invite likely members to a salon: /invite CODE"), organizer=True),
    Command("series", N_("Recurring salons: every week or month"), organizer=True),
    Command(
        "stats", N_("Figures and charts: /stats [days], or /stats CODE for a salon"), organizer=True
    ),
    Command("export", N_("CSV files of members, salons, signups and campaigns"), organizer=True),
    Command("materials", N_("Attach slides or a recording: /materials CODE LINK"), organizer=True),
)


def commands_for(organizer: bool) -> list[Command]:
    """The commands a member (or an organizer) may use."""
    return [c for c in COMMANDS if organizer or not c.organizer]
