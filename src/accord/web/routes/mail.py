"""Page: the mail the demo's local SMTP server received (admins only)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.notify.sink import KEPT
from accord.web.common import page_router, render
from accord.web.routes.admin import AdminPerson

router = page_router()


@router.get("/admin/mail", response_class=HTMLResponse)
def mail_page(request: Request, person: AdminPerson) -> Response:
    """What the local mail server of `accord demo` received, newest first."""
    sink = getattr(request.app.state, "mail_sink", None)
    return render(
        request,
        "admin_mail.html",
        {
            "person": person,
            "sink": sink,
            "messages": sink.messages() if sink is not None else [],
            "kept": KEPT,
        },
    )
