"""Webhooks: a team's events posted to a URL it chose, as Slack-compatible or plain JSON, signed
per Standard Webhooks (https://www.standardwebhooks.com/).

Each request carries `webhook-id` (the delivery's idempotency key: a retry sends the same one, so
a receiver drops duplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the secret after its
`whsec_` prefix, base64-decoded). `verify` is the receiver's side.

A URL is checked when it is saved and again at each delivery (a name may resolve elsewhere by
then): http or https, no user name or password, an allowed host, and every address it resolves
to a public one. Link-local addresses (cloud metadata among them), multicast and unspecified
ones are always refused; private and loopback ones unless the settings allow them. The request
then goes to the address that was checked, so a name that changes between the check and the
connection cannot lead it elsewhere.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from accord.config import Settings
from accord.errors import Invalid
from accord.notify.delivery import Delivery, DeliveryFailed
from accord.text import CONTROL

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_URL = 2000
TOLERANCE_SECONDS = 300  # how far a receiver lets a timestamp stray from its clock
USER_AGENT = "Accord-Webhooks/1"
# Cloud metadata over IPv6 (AWS); the IPv4 one, 169.254.169.254, is link-local.
METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254")})
# "This network": some systems route these addresses to the machine itself.
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")

Resolver = Callable[[str, int], list[str]]


class WebhookFormat(StrEnum):
    """What a webhook's receiver reads: a chat's incoming webhook, or a program."""

    SLACK = "slack"  # `text` and `blocks`, which Slack and compatible chats show
    JSON = "json"  # the event as data


FORMAT_WORDS: dict[WebhookFormat, str] = {
    WebhookFormat.SLACK: "Chat message (Slack-compatible)",
    WebhookFormat.JSON: "JSON event",
}


def new_secret() -> str:
    """A signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` of a request: `v1,` and the base64 HMAC-SHA256 of
    `{id}.{timestamp}.{body}`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of a request."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: float = TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """Whether a request was signed with `secret` within `tolerance` seconds of `now`: what a
    receiver checks before it trusts the body (the raw bytes, before any parsing)."""
    lower = {name.lower(): value for name, value in headers.items()}
    message_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp", "")
    offered = lower.get("webhook-signature", "")
    if not message_id or not stamp.isascii() or not stamp.isdigit():
        return False
    timestamp = int(stamp)
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, message_id, timestamp, body)
    # the header may carry several signatures, space-separated (a secret being rotated)
    return any(hmac.compare_digest(expected, given) for given in offered.split())


@dataclass(frozen=True)
class Target:
    """Where a checked URL's request goes: the address checked, and the name to present."""

    url: str  # the URL with the checked address in place of the host name
    host: str  # the Host header
    server_name: str | None  # the TLS server name (https), checked against the certificate
    address: str


def _refused(message: str, rule: str) -> Invalid:
    return Invalid(message, rule=rule, field="url")


def _parse(url: str) -> tuple[SplitResult, str, int]:
    """The URL's parts, its host name (lowercase, no trailing dot) and its port; or why not."""
    if len(url) > MAX_URL:
        raise _refused(f"the URL is longer than {MAX_URL} characters", "webhook.url_invalid")
    if not url or CONTROL.search(url) or any(c.isspace() for c in url):
        raise _refused("the URL must be one web address, without spaces", "webhook.url_invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise _refused(f"the URL is not a web address ({error})", "webhook.url_invalid") from error
    if parts.scheme not in ("http", "https"):
        raise _refused("the URL must start with https:// or http://", "webhook.url_scheme_refused")
    if parts.username is not None or parts.password is not None:
        raise _refused(
            "the URL must not hold a user name or password; a receiver checks the signature "
            "instead",
            "webhook.url_credentials",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _refused("the URL names no host", "webhook.url_invalid")
    return parts, host, port or (443 if parts.scheme == "https" else 80)


def allowed_hosts(settings: Settings) -> list[str]:
    """The host names webhooks may call (`*.example.org` for any under it); empty: any."""
    return [
        name.strip().lower().rstrip(".")
        for name in settings.webhook_allowed_hosts.split(",")
        if name.strip()
    ]


def host_allowed(host: str, patterns: list[str]) -> bool:
    if not patterns:
        return True
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def address_refusal(address: str, *, allow_private: bool) -> str | None:
    """Why a webhook may not call `address`, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip in METADATA:
        return "a link-local address (such as a cloud's metadata service)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified or (ip.version == 4 and (ip.is_reserved or ip in THIS_NETWORK)):
        return "an address no server answers on"
    if not allow_private and (ip.is_loopback or not ip.is_global):
        return "a private or loopback address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an address given as such, itself)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def check_url(url: str, settings: Settings, *, resolver: Resolver = resolve) -> Target:
    """Where a webhook's request to `url` goes, once every rule lets it; else the refusal, about
    the field `url`. A host that cannot be found is refused with `webhook.host_unknown`: at a
    delivery, a failure to try again."""
    parts, host, port = _parse(url.strip())
    patterns = allowed_hosts(settings)
    if not host_allowed(host, patterns):
        raise _refused(
            f"webhooks may only call {', '.join(patterns)}; ask an admin to allow {host}",
            "webhook.host_refused",
        )
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError, ValueError) as error:
        raise _refused(f"the host {host} cannot be found", "webhook.host_unknown") from error
    if not addresses:
        raise _refused(f"the host {host} cannot be found", "webhook.host_unknown")
    for address in addresses:
        why = address_refusal(address, allow_private=settings.webhook_allow_private)
        if why is not None:
            raise _refused(
                f"the URL leads to {why}, which webhooks may not call", "webhook.address_refused"
            )
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port is not None else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return Target(
        url=pinned,
        host=host_header,
        server_name=host if parts.scheme == "https" else None,
        address=address,
    )


def public_base_url(settings: Settings) -> str:
    """The app's address in links sent out: the configured one, else where it listens."""
    return (settings.base_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def absolute(link: str, base_url: str) -> str:
    """A link of the app (a path) as a full address; one that is one already, as it is."""
    if link.startswith(("http://", "https://")):
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")


def _mrkdwn(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally (it reads &, < and > as markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(
    message_id: str, event: Mapping[str, Any], format: str, base_url: str
) -> dict[str, Any]:
    """What a webhook receives for the event as the outbox keeps it (`type`, `occurred_at`,
    `team`, `subject`, `title`, `text`, `link` as a path, `data`), in its format."""
    link = absolute(str(event.get("link") or "/"), base_url)
    title = str(event.get("title", ""))
    text = str(event.get("text", ""))
    if format == WebhookFormat.SLACK:
        lines = [f"*{_mrkdwn(title)}*" if title else "", _mrkdwn(text), f"<{link}|Open in Accord>"]
        return {
            "text": _mrkdwn(f"{title}: {text}" if title else text),
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "\n".join(line for line in lines if line)},
                }
            ],
        }
    return {
        "id": message_id,
        "type": event.get("type"),
        "occurred_at": event.get("occurred_at"),
        "team": event.get("team"),
        "subject": event.get("subject"),
        "title": title,
        "text": text,
        "link": link,
        "data": event.get("data") or {},
    }


def encode(body: Mapping[str, Any]) -> bytes:
    """A body as the bytes sent and signed: compact JSON in UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _retried(status: int) -> bool:
    """Whether an answer with `status` may go another way on a later try: the receiver is
    busy or broken now (5xx, 408, 429); any other refusal will be made again."""
    return status >= 500 or status in (408, 429)


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS context of every call: made once (loading the trusted certificates takes longer
    than a call to a receiver nearby), shared by the worker's threads."""
    return ssl.create_default_context()


def send_webhook(delivery: Delivery, settings: Settings) -> None:
    """Post one delivery to its webhook, signed; the worker's sender for webhooks.

    Raises `DeliveryFailed`, tried again for a timeout, a connection that failed, a host not
    found, a 5xx, 408 or 429 answer; not for a refused address, a redirect or another 4xx.
    The answer's body is never read."""
    hook = delivery.webhook
    if hook is None:
        raise DeliveryFailed("the webhook was removed", retry=False)
    if not hook.active:
        raise DeliveryFailed("the webhook is turned off", retry=False)
    try:
        target = check_url(hook.url, settings)
    except Invalid as refused:
        retry = refused.rule == "webhook.host_unknown"
        raise DeliveryFailed(refused.message, retry=retry) from refused
    event = {**(delivery.row.body or {}), "team": delivery.team}
    body = encode(payload(delivery.key, event, hook.format, public_base_url(settings)))
    headers = {
        "Host": target.host,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signed_headers(hook.secret, delivery.key, int(time.time()), body),
    }
    extensions = {"sni_hostname": target.server_name} if target.server_name else None
    seconds = settings.webhook_timeout_seconds
    try:
        with (
            httpx.Client(
                timeout=seconds, follow_redirects=False, trust_env=False, verify=_tls()
            ) as client,
            client.stream(
                "POST", target.url, content=body, headers=headers, extensions=extensions
            ) as response,
        ):
            status, reason = response.status_code, response.reason_phrase
    except httpx.TimeoutException as error:
        raise DeliveryFailed(f"timed out after {seconds:g} s") from error
    except httpx.ConnectError as error:
        raise DeliveryFailed(f"could not connect to {target.host}: {error}") from error
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"the receiver's answer was not HTTP: {error}") from error
    if 200 <= status < 300:
        return
    answered = f"answered {status} {reason}".strip()
    if 300 <= status < 400:
        raise DeliveryFailed(
            f"{answered}: redirects are not followed; give the webhook its final URL",
            retry=False,
        )
    raise DeliveryFailed(answered, retry=_retried(status))
