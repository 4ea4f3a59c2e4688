"""An iCalendar (RFC 5545) invitation for one enrolment, written by hand: one VEVENT in UTC."""
from __future__ import annotations

from datetime import datetime

from elearn.catalog.labels import pick
from elearn.events.models import Enrolment, Event
from lti.models import as_utc, utcnow

PRODID = "-//VBHC Academy//Events//EN"


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF and a space (RFC 5545 3.1), never inside a
    UTF-8 character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return "\r\n ".join(part.decode() for part in out)


def _utc(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y%m%dT%H%M%SZ")


def invitation(event: Event, enrolment: Enrolment, lang: str, page_url: str) -> str:
    """The .ics text: UID of the enrolment, start and end in UTC, summary, description, location/URL."""
    where = event.location or event.online_url or ""
    description = pick(event.description, lang)
    if event.online_url:
        description += f"\n\n{event.online_url}"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             "BEGIN:VEVENT", f"UID:{enrolment.uid}", f"DTSTAMP:{_utc(utcnow())}",
             f"DTSTART:{_utc(event.starts_at)}", f"DTEND:{_utc(event.ends_at)}",
             f"SUMMARY:{escape(pick(event.title, lang))}", f"DESCRIPTION:{escape(description)}",
             f"LOCATION:{escape(where)}", "STATUS:CONFIRMED", f"URL:{event.online_url or page_url}",
             "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
