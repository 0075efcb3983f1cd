"""E-mail: the message of one notification or of a day's digest, and sending it over SMTP.

A message has a plain-text part and an HTML part saying the same, a link back to the item, and
the headers mail programs act on: `List-Unsubscribe` (the notification preferences on the
profile page), `Auto-Submitted` (so no vacation reply answers it) and a `Message-ID` made from
the delivery's idempotency key, so that a message sent again after a lost answer is recognised
as the same one.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from html import escape

from accord.config import Settings
from accord.notify.delivery import Delivery, DeliveryFailed, NotSetUp
from accord.notify.repository import Recipient

SUBJECT_TEXT = 70  # characters of the notification's text in a subject line


@dataclass(frozen=True)
class Item:
    """What one e-mail line says of a notification: its headline, its sentence and its path."""

    title: str
    text: str
    link: str


def base_url(settings: Settings) -> str:
    """Where the app is reached from a mail program: ACCORD_BASE_URL, else its host and port
    (`localhost` for a server listening on every address)."""
    if settings.base_url:
        return settings.base_url.rstrip("/")
    host = "localhost" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def absolute(link: str, settings: Settings) -> str:
    """A path of the app as a full URL (a link already absolute stays as it is)."""
    if re.match(r"^https?://", link):
        return link
    return base_url(settings) + "/" + link.lstrip("/")


def message_id(key: str, settings: Settings) -> str:
    """The Message-ID of the delivery with this idempotency key: the same key, the same id.

    The key is written with letters, digits, `-` and `_` only, every other character as `=XX`
    (its hex code), so that two keys never give the same id."""
    left = "".join(
        c
        if c.isascii() and (c.isalnum() or c in "-_")
        else "".join(f"={b:02X}" for b in c.encode())
        for c in key
    )
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "accord.localhost"
    return f"<accord-{left}@{domain}>"


def recipient(name: str, email: str) -> Address:
    """The To address; ValueError when `email` is not an e-mail address."""
    try:
        address = Address(display_name=_one_line(name), addr_spec=email.strip())
    except (ValueError, IndexError, HeaderParseError):
        raise ValueError(f"{email!r} is not an e-mail address") from None
    if not address.username or not address.domain:
        raise ValueError(f"{email!r} is not an e-mail address")
    return address


def _one_line(text: str) -> str:
    return " ".join(text.split())


def notification_message(
    *,
    name: str,
    email: str,
    item: Item,
    key: str,
    settings: Settings,
    now: datetime | None = None,
) -> EmailMessage:
    """The e-mail telling `name` of one notification."""
    short = textwrap.shorten(_one_line(item.text), SUBJECT_TEXT, placeholder="…").rstrip(".")
    subject = f"{_one_line(item.title)}: {short}" if short else _one_line(item.title)
    url = absolute(item.link, settings)
    text = f"{item.title}\n\n{item.text}\n\nOpen it in Accord: {url}\n"
    html = (
        f'<h1 style="{_H1}">{escape(item.title)}</h1>\n'
        f'<p style="{_P}">{escape(item.text)}</p>\n'
        f'<p style="{_P}"><a href="{escape(url)}" style="{_BUTTON}">Open it in Accord</a></p>\n'
    )
    return _message(name, email, subject, text, html, key, settings, now)


def digest_message(
    *,
    name: str,
    email: str,
    items: Sequence[Item],
    key: str,
    settings: Settings,
    day: date | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The daily digest: one e-mail listing the notifications that waited for it."""
    count = len(items)
    noun = "notification" if count == 1 else "notifications"
    when = f" of {day.strftime('%a')} {day.day} {day.strftime('%b')}" if day else ""
    subject = f"Your Accord digest{when}: {count} {noun}"
    lines = [f"Your Accord digest{when}: {count} {noun}.", ""]
    rows = []
    for item in items:
        url = absolute(item.link, settings)
        lines += [f"* {item.title}", f"  {item.text}", f"  {url}", ""]
        rows.append(
            f'<li style="{_LI}"><a href="{escape(url)}" style="{_A}"><strong>'
            f"{escape(item.title)}</strong></a><br>{escape(item.text)}</li>"
        )
    text = "\n".join(lines)
    html = (
        f'<h1 style="{_H1}">Your Accord digest{escape(when)}</h1>\n'
        f'<p style="{_P}">{count} {noun}:</p>\n'
        f'<ul style="{_UL}">\n' + "\n".join(rows) + "\n</ul>\n"
    )
    return _message(name, email, subject, text, html, key, settings, now)


def _message(
    name: str,
    email: str,
    subject: str,
    text: str,
    html: str,
    key: str,
    settings: Settings,
    now: datetime | None,
) -> EmailMessage:
    preferences = f"{base_url(settings)}/profile#notifications"
    footer = (
        "\n-- \nYou get this e-mail because of your notification settings in Accord. "
        f"Change them: {preferences}\n"
    )
    html_footer = (
        f'<p style="{_SMALL}">You get this e-mail because of your notification settings in '
        f'Accord. <a href="{escape(preferences)}" style="{_A}">Change them</a>.</p>\n'
    )
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient(name, email)
    message["Subject"] = subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id(key, settings)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["List-Unsubscribe"] = f"<{preferences}>"
    message.set_content(text + footer)
    message.add_alternative(
        '<!doctype html>\n<html><body style="' + _BODY + '">\n'
        f'<div style="{_CARD}">\n{html}{html_footer}</div>\n</body></html>\n',
        subtype="html",
    )
    return message


_BODY = "margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,sans-serif;color:#1f2328"
_CARD = "max-width:36rem;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px"
_H1 = "margin:0 0 12px;font-size:20px;line-height:1.3"
_P = "margin:0 0 16px;font-size:15px;line-height:1.5"
_UL = "margin:0 0 16px;padding-left:20px"
_LI = "margin:0 0 12px;font-size:15px;line-height:1.5"
_A = "color:#0b5cad"
_BUTTON = (
    "display:inline-block;padding:8px 16px;background:#0b5cad;color:#ffffff;"
    "text-decoration:none;border-radius:6px"
)
_SMALL = "margin:24px 0 0;font-size:12px;color:#57606a"


def send_email(delivery: Delivery, settings: Settings) -> None:
    """The sender of the outbox's e-mail rows: one notification, to its reader."""
    person = _reader(delivery)
    if not delivery.notifications:
        raise DeliveryFailed("the notification no longer exists", retry=False)
    notification = delivery.notifications[0]
    item = Item(notification.title, notification.text, notification.link)
    send(
        _built(
            lambda: notification_message(
                name=person.name, email=person.email, item=item, key=delivery.key, settings=settings
            ),
            settings,
        ),
        settings,
    )


def send_digest(delivery: Delivery, settings: Settings) -> None:
    """The sender of the outbox's digest rows: the notifications the day's digest carries."""
    person = _reader(delivery)
    if not delivery.notifications:
        raise DeliveryFailed("the digest's notifications no longer exist", retry=False)
    items = [Item(n.title, n.text, n.link) for n in delivery.notifications]
    day: date | None = None
    if delivery.row.body and isinstance(delivery.row.body.get("day"), str):
        try:
            day = date.fromisoformat(delivery.row.body["day"])
        except ValueError:
            day = None
    send(
        _built(
            lambda: digest_message(
                name=person.name,
                email=person.email,
                items=items,
                key=delivery.key,
                settings=settings,
                day=day,
            ),
            settings,
        ),
        settings,
    )


def _reader(delivery: Delivery) -> Recipient:
    if delivery.person is None:
        raise DeliveryFailed("the e-mail has no recipient", retry=False)
    return delivery.person


def set_up(settings: Settings) -> None:
    """Raise `NotSetUp` when there is no SMTP server to send through."""
    if not settings.smtp_host:
        raise NotSetUp("no SMTP server is set up (ACCORD_SMTP_HOST is empty)")


def _built(build: Callable[[], EmailMessage], settings: Settings) -> EmailMessage:
    """The message `build` makes, once there is an SMTP server to take it (else `NotSetUp`,
    before anything is built)."""
    set_up(settings)
    try:
        return build()
    except ValueError as error:  # the reader's address cannot be written in an e-mail
        raise DeliveryFailed(str(error), retry=False) from None


def send(message: EmailMessage, settings: Settings) -> None:
    """Send `message` through the SMTP server of the settings, or raise `DeliveryFailed` saying
    what the server answered (`NotSetUp` when there is none).

    A refusal for good (a 5xx answer to the sender, the recipient or the message) is not
    retried; anything else (the server down, slow, busy, a 4xx answer, a failed login or TLS
    handshake, which its administrator may yet fix) is."""
    set_up(settings)
    host, port = settings.smtp_host, settings.smtp_port
    where = f"the SMTP server {host}:{port}"
    timeout = settings.smtp_timeout_seconds
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        answers = "; ".join(
            f"{recipient}: {code} {_said(said)}"
            for recipient, (code, said) in error.recipients.items()
        )
        lasting = all(code >= 500 for code, _ in error.recipients.values())
        raise DeliveryFailed(
            f"{where} refused the recipient ({answers})", retry=not lasting
        ) from None
    except smtplib.SMTPSenderRefused as error:
        raise DeliveryFailed(
            f"{where} refused the sender {error.sender} "
            f"({error.smtp_code} {_said(error.smtp_error)})",
            retry=error.smtp_code < 500,
        ) from None
    except smtplib.SMTPDataError as error:
        raise DeliveryFailed(
            f"{where} refused the message ({error.smtp_code} {_said(error.smtp_error)})",
            retry=error.smtp_code < 500,
        ) from None
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryFailed(
            f"{where} refused the login of {settings.smtp_user} "
            f"({error.smtp_code} {_said(error.smtp_error)})",
            retry=True,
        ) from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryFailed(
            f"{where} answered {error.smtp_code} {_said(error.smtp_error)}", retry=True
        ) from None
    except smtplib.SMTPNotSupportedError as error:
        raise DeliveryFailed(f"{where} does not support it: {error}", retry=True) from None
    except smtplib.SMTPServerDisconnected as error:
        raise DeliveryFailed(
            f"{where} closed the connection: {error or 'no answer'}", retry=True
        ) from None
    except ssl.SSLError as error:
        raise DeliveryFailed(f"TLS with {where} failed: {error}", retry=True) from None
    except TimeoutError:
        raise DeliveryFailed(
            f"{where} did not answer within {timeout:g} seconds", retry=True
        ) from None
    except smtplib.SMTPException as error:  # an OSError too: before it
        raise DeliveryFailed(f"{where} failed: {error}", retry=True) from None
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise DeliveryFailed(f"cannot reach {where}: {reason}", retry=True) from None


def _said(answer: bytes | str) -> str:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
    return _one_line(text)


def trial_message(email: str, settings: Settings, now: datetime | None = None) -> EmailMessage:
    """The e-mail `accord notify test` sends: it proves the SMTP settings work."""
    moment = now or datetime.now(UTC)
    return notification_message(
        name="",
        email=email,
        item=Item(
            title="Accord can send e-mail",
            text="This test message shows that Accord's SMTP settings work.",
            link="/profile#notifications",
        ),
        key=f"test:{email}:{moment.isoformat()}",
        settings=settings,
        now=moment,
    )
