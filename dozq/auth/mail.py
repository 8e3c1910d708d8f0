"""Outgoing e-mail: through SMTP when configured, otherwise into the log."""

import smtplib
from email.message import EmailMessage

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text letter; without SMTP settings, log it (links included),
    so that a local user can follow them."""
    config = current_app.config
    if current_app.testing:
        current_app.extensions.setdefault("dozq.sent_mail", []).append(
            {"to": to, "subject": subject, "body": body}
        )
        return
    if not config.get("MAIL_SERVER"):
        current_app.logger.warning("Лист для %s — «%s»:\n%s", to, subject, body)
        return
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
