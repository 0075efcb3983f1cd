"""Pages: the stories feed and search, a story and its thread, tag pages and the Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from accord.channel.deps import (
    ReadUowDep,
    SettingsDep,
    SignerDep,
    UowDep,
    bearer_token,
    session_person,
)
from accord.errors import NotSignedIn
from accord.notify import service as notify
from accord.org import service as org
from accord.org.domain import Person, may_write
from accord.partnerships import service as partnerships
from accord.purposes import service as purposes
from accord.stories import service as stories
from accord.stories.domain import Story, normalize_tag
from accord.stories.markup import first_lines, render_markdown
from accord.stories.schemas import ReplyCreate, StoryCreate, StoryUpdate
from accord.text import CONTROL
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, PageUow, page_router, redirect, render, text
from accord.web.forms import FormErrors, act, data_of, perform, shown

router = page_router()

PAGE = 20
FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
FIELDS = (
    "title",
    "body",
    "tags",
    "partnerships",
    "teams",
    "purposes",
    "results",
    "metric_name",
    "metric_value",
    "metric_unit",
)
TEXTS = ("title", "body", "results")
LINKS = ("partnerships", "teams", "purposes")
METRIC = ("metric_name", "metric_value", "metric_unit")
# The inputs that show the message of a field the input schema names otherwise.
BESIDE = {
    "metric": "metric_value",
    "metric.name": "metric_name",
    "metric.value": "metric_value",
    "metric.unit": "metric_unit",
}


@dataclass(frozen=True)
class StoryCard:
    """A story as a list shows it: its first lines as plain words."""

    story: Story
    excerpt: str


def cards(found: Sequence[Story]) -> list[StoryCard]:
    return [StoryCard(s, first_lines(s.body)) for s in found]


def story_cards(uow: UnitOfWork, person: Person, partnership: str) -> list[StoryCard]:
    """The stories of a partnership, newest first, for its page."""
    return cards(stories.stories_of_partnership(uow, person, partnership))


def _split_tags(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


def _list_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    *,
    q: str = "",
    tag: str = "",
    after: str = "",
    template: str = "stories.html",
) -> Response:
    with uow:  # open while rendering: templates follow relations of what was loaded
        found = stories.list_stories(
            uow, person, q=q or None, tag=tag or None, after=after or None, limit=PAGE + 1
        )
        following = found[PAGE - 1].key if len(found) > PAGE else None
        query = {"q": q} if q else {}
        return render(
            request,
            template,
            {
                "person": person,
                "cards": cards(found[:PAGE]),
                "q": q,
                "tag": tag,
                "tags": stories.tags_in_use(uow, person),
                "may_write": may_write(person),
                "next_query": urlencode({**query, "after": following}) if following else None,
            },
        )


@router.get("/stories", response_class=HTMLResponse)
def stories_page(
    request: Request, person: PagePerson, uow: PageUow, q: str = "", tag: str = "", after: str = ""
) -> Response:
    """Stories newest first, or those that match the search; the tags in use."""
    if tag:
        return redirect(f"/stories/tags/{quote(tag, safe='')}")
    return _list_page(request, uow, person, q=q[:500], after=after)


@router.get("/stories/tags/{tag}", response_class=HTMLResponse)
def tag_page(
    request: Request, person: PagePerson, uow: PageUow, tag: str, after: str = ""
) -> Response:
    """The stories of one tag, newest first."""
    canonical = normalize_tag(tag)
    if canonical != tag:  # 'Data Sharing' is the page of 'data-sharing'
        query = f"?{urlencode({'after': after})}" if after else ""
        return redirect(f"/stories/tags/{quote(canonical, safe='')}{query}")
    return _list_page(request, uow, person, tag=tag, after=after, template="stories_tag.html")


def _story_form(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    values: Mapping[str, Any],
    errors: FormErrors,
    *,
    story: Story | None = None,
    status_code: int = 200,
) -> Response:
    with uow:
        return render(
            request,
            "story_form.html",
            {
                "person": person,
                "story": story,
                "values": values,
                "errors": errors,
                "may_write": may_write(person),
                "partnerships": [
                    (v.partnership.key, v.partnership.name)
                    for v in partnerships.list_partnerships(uow)
                ],
                "teams": list(org.team_names(uow).items()),
                "purposes": [(p.key, p.title) for p in purposes.list_purposes(uow)],
            },
            status_code,
        )


def _typed(value: float) -> str:
    """A number as a form gives it back: every digit of it, so that saving keeps it."""
    return repr(value).removesuffix(".0")


def _values_of(story: Story) -> dict[str, Any]:
    return {
        "title": story.title,
        "body": story.body,
        "tags": ", ".join(story.tags),
        "partnerships": [p.key for p in story.partnerships],
        "teams": [t.slug for t in story.teams],
        "purposes": [p.key for p in story.purposes],
        "results": story.results,
        "metric_name": story.metric_name or "",
        "metric_value": "" if story.metric_value is None else _typed(story.metric_value),
        "metric_unit": story.metric_unit or "",
    }


def _story_data(form: FormData) -> dict[str, Any]:
    """The story form as the data of StoryCreate and StoryUpdate: the tags apart at commas, the
    metric's three inputs as one metric (none when all are empty, which removes it)."""
    data = data_of(form, [*TEXTS, *LINKS], lists=LINKS)
    data["tags"] = _split_tags(text(form, "tags"))
    metric = data_of(form, METRIC, optional=METRIC, numbers=["metric_value"])
    data["metric"] = {name.removeprefix("metric_"): v for name, v in metric.items()} or None
    return data


@router.get("/stories/new", response_class=HTMLResponse)
def new_story_page(
    request: Request,
    person: PagePerson,
    uow: PageUow,
    partnership: str = "",
    team: str = "",
    purpose: str = "",
) -> Response:
    """The form to share a story, linked to a partnership, team or purpose when one is named."""
    values = {
        "partnerships": [partnership] if partnership else [],
        "teams": [team] if team else [],
        "purposes": [purpose] if purpose else [],
    }
    return _story_form(request, uow, person, values, FormErrors())


@router.post("/stories/new", response_class=HTMLResponse)
def create_story(
    request: Request, person: PagePerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Share a story."""

    def create(body: StoryCreate) -> str:
        created = stories.create_story(uow, person, **body.args())
        return f"/stories/{quote(created.key)}"

    def again(errors: FormErrors) -> Response:
        values = shown(form, FIELDS, lists=LINKS)
        return _story_form(request, read, person, values, errors, status_code=errors.status)

    data = _story_data(form)
    return act(request, StoryCreate, data, create, again, inputs=FIELDS, beside=BESIDE)


def _feed_reader(request: Request, uow: ReadUowDep, signer: SignerDep) -> Person | None:
    """Who reads the feed: the owner of a bearer token, or the person of the session cookie.
    Any other credential (Basic, say) reads nothing: the feed answers 401, as to none, and never
    the sign-in page's redirect, which a feed reader cannot follow."""
    try:
        token = bearer_token(request)
    except NotSignedIn:
        return None
    if token is not None:
        return org.authenticate_token(uow, token)
    return session_person(request, uow, signer)


FeedReader = Annotated[Person | None, Depends(_feed_reader)]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    element.text = None if text is None else CONTROL.sub("", text)  # XML refuses them
    return element


def atom_feed(found: Sequence[Story], base: str, tag: str | None, now: datetime) -> bytes:
    """RFC 4287: the feed's id, title, updated, self link and author; each entry's id, title,
    updated, published, author, link and the sanitized body as HTML content."""
    ET.register_namespace("", ATOM)
    query = f"?{urlencode({'tag': tag})}" if tag else ""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"{base}/stories/feed.atom{query}")  # the self link: one feed, one id
    _sub(feed, "title", f"Accord stories tagged {tag}" if tag else "Accord stories")
    _sub(feed, "subtitle", "How partners built their partnerships, and what they achieved.")
    newest = max((s.updated_at for s in found), default=now)
    _sub(feed, "updated", _rfc3339(newest))
    self_url = f"{base}/stories/feed.atom{query}"
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    page = f"{base}/stories/tags/{quote(tag, safe='')}" if tag else f"{base}/stories"
    _sub(feed, "link", rel="alternate", type="text/html", href=page)
    author = _sub(feed, "author")
    _sub(author, "name", "Accord")
    _sub(feed, "generator", "Accord")
    for story in found:
        url = f"{base}/stories/{quote(story.key, safe='')}"
        entry = _sub(feed, "entry")
        _sub(entry, "id", url)
        _sub(entry, "title", story.title)
        _sub(entry, "updated", _rfc3339(story.updated_at))
        _sub(entry, "published", _rfc3339(story.created_at))
        writer = _sub(entry, "author")
        _sub(writer, "name", story.author.name)
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        for name in story.tags:
            _sub(entry, "category", term=name)
        _sub(entry, "content", render_markdown(story.body), type="html")
    written: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return written


@router.get("/stories/feed.atom")
def feed(
    request: Request,
    reader: FeedReader,
    uow: ReadUowDep,
    settings: SettingsDep,
    tag: str = "",
    token: str = "",
) -> Response:
    """The newest stories as an Atom feed, for a signed-in session, a bearer token, or a
    person's feed token in the address (`?token=`: feed readers subscribe with it; a wrong or
    revoked one is not found)."""
    if token:
        reader = notify.feed_reader(uow, token)
        if reader is None:
            return Response("No such feed.\n", status_code=404, media_type="text/plain")
    if reader is None:
        return Response(
            "Sign in, or send an API token as 'Authorization: Bearer <token>'.\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="accord"'},
        )
    tag = normalize_tag(tag) if tag else ""
    found = stories.list_stories(uow, reader, tag=tag or None, limit=FEED_SIZE, shown_only=True)
    base = (settings.base_url or str(request.base_url)).rstrip("/")
    body = atom_feed(found, base, tag or None, uow.now())
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _story_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    key: str,
    *,
    errors: Mapping[str, FormErrors] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    with uow:  # open while rendering: templates follow relations of what was loaded
        view = stories.story_view(uow, person, key)
        story = view.story
        return render(
            request,
            "story.html",
            {
                "person": person,
                "story": story,
                # sanitized by render_markdown: only the allowed tags, attributes and schemes
                "body_html": Markup(render_markdown(story.body)),
                "replies": [(r, Markup(render_markdown(r.body))) for r in story.replies],
                "may_edit": view.may_edit,
                "may_reply": view.may_reply,
                "may_hide": view.may_hide,
                "deletable_replies": view.deletable_replies,
                "errors": errors or {},
                "values": values or {},
            },
            status_code,
        )


@router.get("/stories/{key}", response_class=HTMLResponse)
def story_page(request: Request, person: PagePerson, uow: PageUow, key: str) -> Response:
    """A story: its body, results, links and tags, and its thread."""
    return _story_page(request, uow, person, key)


@router.get("/stories/{key}/edit", response_class=HTMLResponse)
def edit_story_page(request: Request, person: PagePerson, uow: PageUow, key: str) -> Response:
    """The form to edit a story (its author or an admin)."""
    with uow:
        view = stories.story_view(uow, person, key)
        story = view.story
        if not view.may_edit:
            errors = FormErrors(general="Only its author or an admin may edit this story.")
            return _story_form(
                request, uow, person, _values_of(story), errors, story=story, status_code=403
            )
        return _story_form(request, uow, person, _values_of(story), FormErrors(), story=story)


@router.post("/stories/{key}/edit", response_class=HTMLResponse)
def edit_story(
    request: Request, person: PagePerson, uow: UowDep, read: ReadUowDep, form: Form, key: str
) -> Response:
    """Save the edits of a story."""

    def edit(body: StoryUpdate) -> str:
        stories.update_story(uow, person, key, **body.changes())
        return f"/stories/{quote(key)}"

    def again(errors: FormErrors) -> Response:
        values = shown(form, FIELDS, lists=LINKS)
        with read:
            story = stories.get_story(read, person, key)
            return _story_form(
                request, read, person, values, errors, story=story, status_code=errors.status
            )

    data = _story_data(form)
    return act(request, StoryUpdate, data, edit, again, inputs=FIELDS, beside=BESIDE)


@router.post("/stories/{key}/delete", response_class=HTMLResponse)
def delete_story(
    request: Request, person: PagePerson, uow: UowDep, read: ReadUowDep, form: Form, key: str
) -> Response:
    """Delete a story and its thread."""

    def delete() -> str:
        stories.delete_story(uow, person, key)
        return "/stories"

    def again(errors: FormErrors) -> Response:
        return _story_page(
            request, read, person, key, errors={"story": errors}, status_code=errors.status
        )

    return perform(request, delete, again)


@router.post("/stories/{key}/hide", response_class=HTMLResponse)
def hide_story(
    request: Request, person: PagePerson, uow: UowDep, read: ReadUowDep, form: Form, key: str
) -> Response:
    """Hide a story from all but its author and the admins, saying why."""
    reason = text(form, "reason")

    def hide(body: StoryUpdate) -> str:
        stories.hide_story(uow, person, key, body.hidden_reason or "")
        return f"/stories/{quote(key)}"

    def again(errors: FormErrors) -> Response:
        return _story_page(
            request,
            read,
            person,
            key,
            errors={"hide": errors},
            values={"hide": {"reason": reason}},
            status_code=errors.status,
        )

    data = {"hidden": True, "hidden_reason": reason}
    beside = {"hidden_reason": "reason"}
    return act(request, StoryUpdate, data, hide, again, inputs=["reason"], beside=beside)


@router.post("/stories/{key}/show", response_class=HTMLResponse)
def show_story(
    request: Request, person: PagePerson, uow: UowDep, read: ReadUowDep, form: Form, key: str
) -> Response:
    """Show a hidden story to everyone again."""

    def show() -> str:
        stories.show_story(uow, person, key)
        return f"/stories/{quote(key)}"

    def again(errors: FormErrors) -> Response:
        return _story_page(
            request, read, person, key, errors={"hide": errors}, status_code=errors.status
        )

    return perform(request, show, again)


@router.post("/stories/{key}/replies", response_class=HTMLResponse)
def reply(
    request: Request, person: PagePerson, uow: UowDep, read: ReadUowDep, form: Form, key: str
) -> Response:
    """Reply in the story's thread."""

    def answer(body: ReplyCreate) -> str:
        written = stories.reply(uow, person, key, body.body)
        return f"/stories/{quote(key)}#reply-{written.id}"

    def again(errors: FormErrors) -> Response:
        return _story_page(
            request,
            read,
            person,
            key,
            errors={"reply": errors},
            values={"reply": shown(form, ["body"])},
            status_code=errors.status,
        )

    return act(request, ReplyCreate, data_of(form, ["body"]), answer, again, inputs=["body"])


@router.post("/stories/{key}/replies/{reply_id}/delete", response_class=HTMLResponse)
def delete_reply(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    read: ReadUowDep,
    form: Form,
    key: str,
    reply_id: int,
) -> Response:
    """Delete a reply."""

    def delete() -> str:
        stories.delete_reply(uow, person, key, reply_id)
        return f"/stories/{quote(key)}#thread"

    def again(errors: FormErrors) -> Response:
        return _story_page(
            request, read, person, key, errors={"reply": errors}, status_code=errors.status
        )

    return perform(request, delete, again)
