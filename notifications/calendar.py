"""Calendar feeds (iCalendar, RFC 5545): one role's or address's deadlines, built with icalendar.

One ``VEVENT`` per deadline of the last logged state that goes to the role or address
(:func:`notifications.published.for_recipient`):

* an open deadline (kommande, förfaller i dag, försenad) is ``STATUS:CONFIRMED``, an all-day
  event on its due date with a ``VALARM`` ``[rules] warn_days`` days before (the reminder
  lead time of the e-mails);
* a met deadline that is still listed (``[rules] resolved_window_days``) is
  ``STATUS:CANCELLED``, so a subscribed calendar takes it away rather than keep a stale
  reminder; a finding that leaves the state altogether leaves the feed (a subscribing client
  drops an event that is no longer there);
* ``UID`` is the finding id, the same in every feed and run; ``SEQUENCE`` is the number of
  times the audit log recorded a change of the finding, less one, so it grows whenever the
  event changes (a status, a due date, a resolution);
* ``SUMMARY`` and ``DESCRIPTION`` carry the rule's title, the case reference and the why text
  only. Every event is scanned for personnummer (:func:`facts.personnummer.find_personnummer`):
  an event that holds one is left out and counted, and the finished feed is scanned again.

Checks and measures have no date and are not in the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Alarm, Calendar, Event

from notifications.privacy import assert_no_personal_data, find_personnummer

PRODID = "-//bevaka//bevaka kalender//SV"
OPEN_DEADLINE = ("upcoming", "due", "overdue")


@dataclass
class Feed:
    text: str
    events: int  # open deadlines (STATUS:CONFIRMED)
    cancelled: int  # met deadlines still listed (STATUS:CANCELLED)
    blocked: int  # events left out because they held a personnummer

    def to_dict(self) -> dict[str, Any]:
        return {"events": self.events, "cancelled": self.cancelled, "blocked": self.blocked}


def _event(row: dict[str, Any], warn_days: int, stamp: datetime) -> Event:
    due = date.fromisoformat(row["frist"])
    open_ = row["statuskod"] in OPEN_DEADLINE
    ev = Event()
    ev.add("uid", row["bevakning"])
    ev.add("dtstamp", stamp)
    ev.add("dtstart", due)
    ev.add("dtend", due + timedelta(days=1))
    ev.add("sequence", max(0, int(row["andringar"] or 0) - 1))
    ev.add("status", "CONFIRMED" if open_ else "CANCELLED")
    ev.add("transp", "TRANSPARENT")
    prefix = "" if open_ else "Åtgärdad: "
    ev.add("summary", f"{prefix}{row['rubrik']} – {row['arende']}")
    ev.add("description", f"{row['varfor']}\n\nStatus {row['status']} per {row['per']}. "
                          f"Bevakning {row['bevakning']} ({row['organisation']}).")
    ev.add("categories", ["bevaka", row["regel"].split(".")[0]])
    if open_:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(days=-warn_days))
        alarm.add("description", f"Frist {row['frist']}: {row['rubrik']} – {row['arende']}")
        ev.add_component(alarm)
    return ev


def build_feed(rows: list[dict[str, Any]], name: str, warn_days: int, stamp: datetime) -> Feed:
    """The feed of ``rows`` (published rows of one recipient). ``stamp`` is DTSTAMP (the
    time of the state's run, so the same state gives the same bytes)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"bevaka – {name}")
    events = cancelled = blocked = 0
    for row in sorted(rows, key=lambda r: (r["frist"] or "", r["bevakning"])):
        if row["typ"] != "frist" or not row["frist"] or row["statuskod"] not in (*OPEN_DEADLINE, "resolved"):
            continue
        ev = _event(row, warn_days, stamp)
        if find_personnummer(ev.to_ical().decode("utf-8")):
            blocked += 1
            continue
        cal.add_component(ev)
        if row["statuskod"] == "resolved":
            cancelled += 1
        else:
            events += 1
    text = cal.to_ical().decode("utf-8")
    assert_no_personal_data(text, where="kalendern")
    return Feed(text, events, cancelled, blocked)
