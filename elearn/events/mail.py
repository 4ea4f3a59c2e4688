"""Confirmation e-mail of an enrolment, with the invitation attached, when SMTP is configured.

No SMTP_HOST: nothing is sent and nothing fails; the page tells the learner no e-mail comes.
A mail server that is down does not undo the enrolment either: it is logged and the page says so.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def configured() -> bool:
    """Whether confirmations are sent at all."""
    return bool(current_app.config.get("SMTP_HOST") and current_app.config.get("SMTP_FROM"))


def send(to: str, subject: str, body: str, ics: str, filename: str = "invitation.ics") -> bool:
    """Send one message with the .ics attached; False (logged) when the server refused or is away."""
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["SMTP_FROM"], to, subject
    message.set_content(body)
    message.add_attachment(ics.encode(), maintype="text", subtype="calendar", filename=filename,
                           params={"method": "PUBLISH", "charset": "utf-8"})
    tls = config.get("SMTP_TLS", "starttls")
    try:
        if tls == "ssl":
            server = smtplib.SMTP_SSL(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20)
        with server:
            if tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("event confirmation to a learner not sent: %s", error)
        return False
    return True
