"""Webhooks without a database: Standard Webhooks signatures as a receiver checks them, the two
formats of the body, and the URL rules (addresses refused, hosts allowed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from accord.config import Settings
from accord.errors import Invalid
from accord.notify.webhook import (
    address_refusal,
    check_url,
    encode,
    host_allowed,
    new_secret,
    payload,
    signed_headers,
    verify,
)

SETTINGS = Settings(database_url="sqlite://", secret_key="test-secret", _env_prefix="NONE_")
EVENT = {
    "type": "commitment.requested",
    "occurred_at": "2026-06-01T09:00:00Z",
    "subject": "commitment:c-1",
    "title": "Care asks Data for something",
    "text": "Care asks Data for <Churn & risk>, due Tue 8 Dec",
    "link": "/commitments/c-1",
    "data": {"move": "request"},
    "team": "data",
}


def resolver(*addresses: str):  # type: ignore[no-untyped-def]
    """A name service that answers `addresses` for any host."""
    return lambda host, port: list(addresses)


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_the_signature_is_the_hmac_of_id_timestamp_and_body_as_the_standard_says() -> None:
    secret = new_secret()
    body = encode({"hello": "wörld"})
    now = int(time.time())

    headers = signed_headers(secret, "hook:1:e2", now, body)

    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"hook:1:e2.{now}.".encode() + body, hashlib.sha256).digest()
    assert headers == {
        "webhook-id": "hook:1:e2",
        "webhook-timestamp": str(now),
        "webhook-signature": "v1," + base64.b64encode(expected).decode(),
    }
    assert verify(secret, headers, body)
    # header names are read whatever their case, and a rotated secret's extra signature is fine
    shouted = {name.upper(): value for name, value in headers.items()}
    shouted["WEBHOOK-SIGNATURE"] = "v1,bm90IGl0 " + headers["webhook-signature"]
    assert verify(secret, shouted, body)


def test_a_receiver_refuses_what_was_not_signed_so_or_is_too_old() -> None:
    secret = new_secret()
    body = b'{"a":1}'
    now = int(time.time())
    headers = signed_headers(secret, "k", now, body)

    assert not verify(secret, headers, body + b" ")
    assert not verify(new_secret(), headers, body)
    assert not verify(secret, {**headers, "webhook-id": "other"}, body)
    assert not verify(secret, headers, body, now=now + 301)
    assert verify(secret, headers, body, 600, now=now + 301)
    assert not verify(secret, {**headers, "webhook-timestamp": "soon"}, body)
    assert not verify(secret, {}, body)


def test_the_json_format_is_the_event_with_an_absolute_link() -> None:
    sent = payload("hook:3:e9", EVENT, "json", "https://accord.example.org/")

    assert sent == {
        "id": "hook:3:e9",
        "type": "commitment.requested",
        "occurred_at": "2026-06-01T09:00:00Z",
        "team": "data",
        "subject": "commitment:c-1",
        "title": "Care asks Data for something",
        "text": "Care asks Data for <Churn & risk>, due Tue 8 Dec",
        "link": "https://accord.example.org/commitments/c-1",
        "data": {"move": "request"},
    }
    assert json.loads(encode(sent)) == sent


def test_the_slack_format_is_text_and_a_section_with_the_sentence_and_a_link() -> None:
    sent = payload("k", EVENT, "slack", "https://accord.example.org")

    assert set(sent) == {"text", "blocks"}
    assert "&lt;Churn &amp; risk&gt;" in sent["text"]
    [block] = sent["blocks"]
    assert block["type"] == "section"
    assert block["text"]["type"] == "mrkdwn"
    assert block["text"]["text"] == (
        "*Care asks Data for something*\n"
        "Care asks Data for &lt;Churn &amp; risk&gt;, due Tue 8 Dec\n"
        "<https://accord.example.org/commitments/c-1|Open in Accord>"
    )


@pytest.mark.parametrize(
    ("address", "private_allowed", "refused"),
    [
        ("93.184.216.34", False, None),
        ("2606:2800:220:1:248:1893:25c8:1946", False, None),
        ("169.254.169.254", True, "link-local"),
        ("fd00:ec2::254", True, "link-local"),
        ("fe80::1", True, "link-local"),
        ("::ffff:169.254.169.254", True, "link-local"),
        ("224.0.0.1", True, "multicast"),
        ("ff02::1", True, "multicast"),
        ("0.0.0.0", True, "no server"),
        ("::", True, "no server"),
        ("0.1.2.3", True, "no server"),
        ("127.0.0.1", False, "private or loopback"),
        ("::1", False, "private or loopback"),
        ("10.1.2.3", False, "private or loopback"),
        ("192.168.1.9", False, "private or loopback"),
        ("100.64.0.1", False, "private or loopback"),
        ("fd12:3456::1", False, "private or loopback"),
        ("127.0.0.1", True, None),
        ("::1", True, None),
        ("10.1.2.3", True, None),
    ],
)
def test_link_local_multicast_unspecified_always_refused_private_unless_allowed(
    address: str, private_allowed: bool, refused: str | None
) -> None:
    why = address_refusal(address, allow_private=private_allowed)

    if refused is None:
        assert why is None
    else:
        assert why is not None
        assert refused in why


def test_allowed_hosts_are_exact_names_or_any_name_under_a_domain() -> None:
    patterns = ["hooks.slack.com", "*.example.org"]

    assert host_allowed("hooks.slack.com", patterns)
    assert host_allowed("chat.example.org", patterns)
    assert host_allowed("a.b.example.org", patterns)
    assert not host_allowed("example.org", patterns)
    assert not host_allowed("evil-example.org", patterns)
    assert not host_allowed("slack.com", patterns)
    assert host_allowed("anything.test", [])


@pytest.mark.parametrize(
    ("url", "rule", "words"),
    [
        ("ftp://hooks.example.org/x", "webhook.url_scheme_refused", "https://"),
        ("javascript:alert(1)", "webhook.url_scheme_refused", "https://"),
        ("hooks.example.org/x", "webhook.url_scheme_refused", "https://"),
        ("https://bot:pw@hooks.example.org/x", "webhook.url_credentials", "password"),
        ("https:///x", "webhook.url_invalid", "no host"),
        ("https://hooks.example.org:99999/", "webhook.url_invalid", "not a web address"),
        ("https://hooks.example.org/a b", "webhook.url_invalid", "without spaces"),
        ("https://" + "a" * 2000 + ".org/", "webhook.url_invalid", "longer than"),
    ],
)
def test_a_url_that_is_no_http_address_is_refused_about_the_url(
    url: str, rule: str, words: str
) -> None:
    with pytest.raises(Invalid) as refused:
        check_url(url, SETTINGS, resolver=resolver("93.184.216.34"))

    assert refused.value.field == "url"
    assert refused.value.rule == rule
    assert words in refused.value.message


def test_a_host_resolving_to_any_refused_address_is_refused() -> None:
    two = resolver("93.184.216.34", "169.254.169.254")

    with pytest.raises(Invalid) as refused:
        check_url("https://sneaky.example.org/hook", SETTINGS, resolver=two)

    assert refused.value.rule == "webhook.address_refused"
    assert "link-local" in refused.value.message


def test_a_host_outside_the_allowed_list_is_refused_before_it_is_looked_up() -> None:
    settings = SETTINGS.model_copy(update={"webhook_allowed_hosts": "hooks.slack.com, *.corp.org"})

    def never(host: str, port: int) -> list[str]:
        raise AssertionError("looked up")

    with pytest.raises(Invalid) as refused:
        check_url("https://hooks.example.org/x", settings, resolver=never)

    assert refused.value.rule == "webhook.host_refused"
    assert refused.value.message == (
        "webhooks may only call hooks.slack.com, *.corp.org; ask an admin to allow "
        "hooks.example.org"
    )
    assert check_url("https://chat.corp.org/x", settings, resolver=resolver("93.184.216.34"))


def test_a_host_not_found_is_refused_as_unknown() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(Invalid) as refused:
        check_url("https://nowhere.example.org/", SETTINGS, resolver=nowhere)

    assert refused.value.rule == "webhook.host_unknown"
    assert refused.value.message == "the host nowhere.example.org cannot be found"


def test_a_checked_url_is_called_at_the_address_checked_with_its_own_name() -> None:
    target = check_url(
        "https://Hooks.Example.org:8443/a/b?c=1", SETTINGS, resolver=resolver("93.184.216.34")
    )

    assert target.url == "https://93.184.216.34:8443/a/b?c=1"
    assert target.host == "Hooks.Example.org:8443"
    assert target.server_name == "hooks.example.org"

    six = check_url("http://hooks.example.org", SETTINGS, resolver=resolver("2606:2800::1"))
    assert six.url == "http://[2606:2800::1]/"
    assert six.server_name is None


def test_numeric_spellings_of_a_refused_address_are_refused_too() -> None:
    for url in ("http://2852039166/", "http://0xa9fea9fe/", "http://169.254.169.254./"):
        with pytest.raises(Invalid) as refused:
            check_url(url, SETTINGS)
        assert refused.value.rule == "webhook.address_refused", url
