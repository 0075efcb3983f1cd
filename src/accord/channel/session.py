"""Signed session cookies and CSRF tokens (HMAC-SHA256 with the app's secret key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

SESSION_COOKIE = "accord_session"
CSRF_COOKIE = "accord_csrf"
SESSION_SECONDS = 12 * 3600


class Signer:
    def __init__(self, secret: str) -> None:
        self.key = hashlib.sha256(("accord-session:" + secret).encode()).digest()

    def sign(self, data: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
        return f"{body}.{self._mac(body)}"

    def unsign(self, token: str | None) -> dict[str, Any] | None:
        if not token or "." not in token:
            return None
        body, mac = token.rsplit(".", 1)
        if not hmac.compare_digest(mac.encode(errors="replace"), self._mac(body).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body.encode()))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("exp", 0) < time.time():
            return None
        return data

    def session(self, person_id: int, epoch: int) -> str:
        return self.sign(
            {
                "pid": person_id,
                "e": epoch,
                "exp": int(time.time()) + SESSION_SECONDS,
                "n": secrets.token_hex(8),
            }
        )

    def _mac(self, body: str) -> str:
        return hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, form_value: str | None) -> bool:
    if not cookie or not form_value:
        return False
    return hmac.compare_digest(cookie.encode(errors="replace"), form_value.encode(errors="replace"))
