"""Convert the Meetup DC RSVP data set into salonbot's history CSV format.

    python bench/meetup_to_history.py [--data ../shared/data/meetup-dc] --out /tmp/meetup-history

A Meetup group is a community, its events are salons, `user_group_dc.csv` is the member list
(plus everyone who RSVPed; groups without events are left out), an RSVP `yes` is a signup,
`no` a decline, `waitlist` a waitlist entry and `watching` a 'maybe'. The data has no titles or
chat messages: titles are placeholders and only participation history is known.
Nothing from the data set is committed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

RESPONSES = {"yes": "yes", "no": "no", "waitlist": "waitlist", "watching": "maybe"}


def _iso(ms: pd.Series) -> pd.Series:
    return pd.to_datetime(ms, unit="ms", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_tables(data: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """members, events and signups in the history CSV format (docs/data-formats.md)."""
    rsvps = pd.concat(
        [pd.read_csv(data / f"rsvp_dc_{part}.csv", dtype={"eventId": str})
         for part in ("train", "cv", "test")],
        ignore_index=True,
    ).drop_duplicates(["memberId", "eventId"], keep="last")  # fmt: skip
    groups = pd.read_csv(data / "user_group_dc.csv")
    members = pd.concat(
        [groups.rename(columns={"userId": "user_id", "groupId": "community_id"}),
         rsvps.rename(columns={"memberId": "user_id", "groupId": "community_id"})[
             ["user_id", "community_id"]]],
    ).drop_duplicates()  # fmt: skip
    # Join dates are unknown (a first RSVP is not a join date: using it would leak the label).
    members = members[members.community_id.isin(rsvps.groupId)]
    events = rsvps.drop_duplicates("eventId")[["eventId", "groupId", "eventTime", "eventDay",
                                               "eventPeriod"]]  # fmt: skip
    events = pd.DataFrame({
        "event_id": events.eventId,
        "community_id": events.groupId,
        "title": "Meetup " + events.eventId,
        "starts_at": _iso(events.eventTime),
        "tags": (events.eventDay.str.lower() + ";" + events.eventPeriod.str.lower()),
    })  # fmt: skip
    signups = pd.DataFrame({
        "event_id": rsvps.eventId,
        "user_id": rsvps.memberId,
        "response": rsvps.rsvpResponse.map(RESPONSES),
        "responded_at": _iso(rsvps.rsvpTime),
    }).dropna(subset=["response"])  # fmt: skip
    return members[["community_id", "user_id"]], events, signups


def convert(data: Path, out: Path) -> dict:
    """Write members, events and signups CSVs; returns row counts."""
    members, events, signups = read_tables(data)
    out.mkdir(parents=True, exist_ok=True)
    members.to_csv(out / "members.csv", index=False)
    events.to_csv(out / "events.csv", index=False)
    signups.to_csv(out / "signups.csv", index=False)
    return {"members": len(members), "events": len(events), "signups": len(signups),
            "communities": int(members.community_id.nunique())}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "meetup-dc"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not (args.data / "rsvp_dc_train.csv").exists():
        print(f"meetup data not found in {args.data}", file=sys.stderr)
        return 2
    print(convert(args.data, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
