"""Enrolment confirmation by e-mail through a real SMTP server on loopback (aiosmtpd): the message
carries the .ics; a mail server that is down never undoes the enrolment."""
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from elearn.events.models import Enrolment
from elearn.extensions import db
from events_support import event_id, learner, status_of, with_events  # noqa: F401
from launch_support import tool  # noqa: F401 (fixture)
from launch_support import module_platform  # noqa: F401 (one platform per module)


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        """Keep the message as the mail server got it."""
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp():
    """A real SMTP server on 127.0.0.1 (plain, no TLS: loopback only)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _mail_on(app, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="academy@vbhc.example", SMTP_TLS="off")


def test_enrolment_sends_a_confirmation_with_the_invitation(with_events, tool, platform, smtp):
    controller, inbox = smtp
    _mail_on(with_events, controller.port)
    event = event_id(with_events)
    ann, page, lt = learner(platform, "ann", "Ann Arts", email="ann@hospital.example")
    assert "a confirmation with the calendar invitation is sent" in ann.get(
        f"{tool.url}/events/{event}", params={"lt": lt}).text
    done = ann.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt})
    assert status_of(done.text, event) == "enrolled" and "could not be sent" not in done.text
    assert len(inbox.messages) == 1
    to, message = inbox.messages[0]
    assert to == ["ann@hospital.example"] and message["From"] == "academy@vbhc.example"
    assert "Value workshop" in message["Subject"]
    calendar = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(calendar) == 1 and calendar[0].get_filename() == "invitation.ics"
    ics = calendar[0].get_content()
    with with_events.app_context():
        uid = db.session.scalar(select(Enrolment.uid))
    assert f"UID:{uid}" in ics and "DTSTART:20270311T123000Z" in ics


def test_waiting_list_sends_no_invitation(with_events, tool, platform, smtp):
    controller, inbox = smtp
    _mail_on(with_events, controller.port)
    event = event_id(with_events)
    for sub in ("ann", "bob"):
        browser, _, lt = learner(platform, sub, sub.title(), email=f"{sub}@hospital.example")
        browser.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt})
    cas, _, lt = learner(platform, "cas", "Cas", email="cas@hospital.example")
    assert status_of(cas.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt}).text, event) == "waiting"
    assert [to for to, _ in inbox.messages] == [["ann@hospital.example"], ["bob@hospital.example"]]


def test_a_mail_server_that_is_down_keeps_the_enrolment_and_says_so(with_events, tool, platform):
    _mail_on(with_events, _free_port())                                  # nothing listens there
    event = event_id(with_events)
    ann, _, lt = learner(platform, "ann", "Ann Arts", email="ann@hospital.example")
    done = ann.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt})
    assert done.status_code == 200 and status_of(done.text, event) == "enrolled"
    assert "could not be sent; your enrolment stands" in done.text
