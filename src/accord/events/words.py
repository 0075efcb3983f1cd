"""Each event of the log said as one sentence a person reads, and its details in words.

    Ana Lima asked Data Platform for Billing data feed
    Ana Lima created the purpose Churn

A sentence is a list of pieces: plain text, and `Ref`s to the people, teams and things it names,
each with the name to show, so that a page can link them and a message can say them as they
are (`plain`). Names come from a `Names` the caller fills (`wanted` says which it needs); a
thing it does not know is said by the name its event recorded, else by its key. Every type of
the catalog has its sentence (`SENTENCES`); a type it does not know gets a generic one.

This module reads the log's payloads as the catalog writes them and imports nothing else of
Accord, so that the audit page and e-mails say an event alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from accord.events.catalog import current_type


class Ref(NamedTuple):
    """A person, team or thing a sentence names: its kind ('person', 'team', 'commitment',
    'purpose', 'partnership', 'health_check', 'story'), its key and the words to show."""

    kind: str
    key: str
    text: str


Piece = str | Ref
Day = Callable[[datetime], str]


class Said(Protocol):
    """What a sentence is made from: an event as a reader sees it (`EventView` or `Event`)."""

    @property
    def actor(self) -> str | None: ...
    @property
    def type(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Names:
    """The names to say, by key: people by e-mail, teams by slug, commitments, purposes and
    partnerships by key (a commitment's and a purpose's title)."""

    people: Mapping[str, str] = field(default_factory=dict)
    teams: Mapping[str, str] = field(default_factory=dict)
    commitments: Mapping[str, str] = field(default_factory=dict)
    purposes: Mapping[str, str] = field(default_factory=dict)
    partnerships: Mapping[str, str] = field(default_factory=dict)

    def person(self, email: str | None) -> Piece:
        if not email:
            return "Accord"
        if email.startswith("operator:"):
            return "An operator on the server"
        return Ref("person", email, self.people.get(email) or email.partition("@")[0])

    def team(self, slug: Any, recorded: Any = None) -> Piece:
        if not slug:
            return "a team"
        return Ref("team", str(slug), self.teams.get(str(slug)) or str(recorded or slug))

    def commitment(self, key: str, recorded: Any = None) -> Ref:
        return Ref("commitment", key, self.commitments.get(key) or str(recorded or key))

    def purpose(self, key: Any, recorded: Any = None) -> Piece:
        if not key:
            return "no purpose"
        return Ref("purpose", str(key), self.purposes.get(str(key)) or str(recorded or key))

    def partnership(self, key: Any, recorded: Any = None) -> Piece:
        if not key:
            return "a partnership"
        text = self.partnerships.get(str(key)) or str(recorded or key)
        return Ref("partnership", str(key), text)


def day_utc(moment: datetime) -> str:
    """'Tue 8 Dec 2026', in UTC: the default for callers that know no reader's zone."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment:%a} {moment.day} {moment:%b} {moment.year}"


def plain(pieces: Iterable[Piece]) -> str:
    """A sentence as text: each reference by its name."""
    return "".join(p.text if isinstance(p, Ref) else p for p in pieces)


def _key(event: Said) -> str:
    return event.subject.partition(":")[2]


def _quoted(text: Any) -> str:
    return f"“{text}”"


def _status(payload: Mapping[str, Any]) -> str:
    return f"from {payload.get('from') or '—'} to {payload.get('to') or '—'}"


# A sentence: what follows the actor, from the event and the names.
Says = Callable[[Said, Names], list[Piece]]


def _team_events() -> dict[str, Says]:
    def created(e: Said, n: Names) -> list[Piece]:
        return ["created the team ", n.team(_key(e), e.payload.get("name"))]

    def updated(e: Said, n: Names) -> list[Piece]:
        return ["updated the team ", n.team(_key(e), e.payload.get("name"))]

    def membership_set(e: Said, n: Names) -> list[Piece]:
        role = e.payload.get("role") or "member"
        return ["made ", n.person(e.payload.get("person")), f" a {role} of ", n.team(_key(e))]

    def membership_removed(e: Said, n: Names) -> list[Piece]:
        return ["took ", n.person(e.payload.get("person")), " off ", n.team(_key(e))]

    def webhook_added(e: Said, n: Names) -> list[Piece]:
        host = e.payload.get("host")
        return ["added a webhook to ", n.team(_key(e)), f" calling {host}" if host else ""]

    def webhook_removed(e: Said, n: Names) -> list[Piece]:
        return ["removed a webhook of ", n.team(_key(e))]

    def delivery_retried(e: Said, n: Names) -> list[Piece]:
        return ["retried a delivery to a webhook of ", n.team(_key(e))]

    return {
        "team.created": created,
        "team.updated": updated,
        "membership.set": membership_set,
        "membership.removed": membership_removed,
        "team.webhook_added": webhook_added,
        "team.webhook_removed": webhook_removed,
        "team.delivery_retried": delivery_retried,
    }


def _person_events() -> dict[str, Says]:
    def created(e: Said, n: Names) -> list[Piece]:
        role = e.payload.get("role") or "member"
        article = "an" if role[:1] in "aeiou" else "a"
        return ["added ", n.person(_key(e)), f" as {article} {role}"]

    def updated(e: Said, n: Names) -> list[Piece]:
        if e.payload.get("active") is False:
            return ["deactivated ", n.person(_key(e))]
        return ["updated the account of ", n.person(_key(e))]

    def own(doing: str, for_other: str) -> Says:
        before, _, after = for_other.partition("{}")

        def says(e: Said, n: Names) -> list[Piece]:
            if e.actor == _key(e):
                return [doing]
            return [before, n.person(_key(e)), after]

        return says

    def slowed(e: Said, n: Names) -> list[Piece]:
        tries, minutes = e.payload.get("failures"), e.payload.get("window_minutes")
        return [
            "slowed the sign-in of ",
            n.person(_key(e)),
            f" after {tries} failed tries in {minutes} minutes",
        ]

    def token(doing: str) -> Says:
        def says(e: Said, n: Names) -> list[Piece]:
            name = _quoted(e.payload.get("name") or "")
            if e.actor == _key(e):
                return [f"{doing} the API token {name}"]
            return [f"{doing} the API token {name} of ", n.person(_key(e))]

        return says

    return {
        "person.created": created,
        "person.updated": updated,
        "person.password_set": own("changed their password", "set a new password for {}"),
        "person.signed_out": own("signed out everywhere", "signed {} out everywhere"),
        "person.sign_in_slowed": slowed,
        "token.created": token("made"),
        "token.revoked": token("revoked"),
        "person.delivery_retried": lambda e, n: ["retried a delivery to ", n.person(_key(e))],
        "person.notifications_chosen": own("chose what they hear of", "chose what {} hears of"),
        "person.feed_token_made": own("made a feed token", "made a feed token for {}"),
        "person.feed_token_revoked": own(
            "revoked their feed token", "revoked the feed token of {}"
        ),
    }


def _purpose_events() -> dict[str, Says]:
    def described(doing: str) -> Says:
        def says(e: Said, n: Names) -> list[Piece]:
            return [f"{doing} the purpose ", n.purpose(_key(e), e.payload.get("title"))]

        return says

    def status(e: Said, n: Names) -> list[Piece]:
        return ["moved the purpose ", n.purpose(_key(e)), " " + _status(e.payload)]

    def measure_added(e: Said, n: Names) -> list[Piece]:
        return [f"added the measure {_quoted(e.payload.get('name'))} to ", n.purpose(_key(e))]

    def measure_updated(e: Said, n: Names) -> list[Piece]:
        value = _number(e.payload.get("value"))
        name = _quoted(e.payload.get("name"))
        return [f"recorded {value} for the measure {name} of ", n.purpose(_key(e))]

    return {
        "purpose.created": described("created"),
        "purpose.updated": described("updated"),
        "purpose.status_changed": status,
        "measure.added": measure_added,
        "measure.updated": measure_updated,
    }


def _partnership_events() -> dict[str, Says]:
    def partnership(e: Said, n: Names) -> Piece:
        return n.partnership(_key(e), e.payload.get("name"))

    def created(e: Said, n: Names) -> list[Piece]:
        return [
            "started the partnership ",
            partnership(e, n),
            " for ",
            n.purpose(e.payload.get("purpose")),
        ]

    def team_and(doing: str, joint: str) -> Says:
        def says(e: Said, n: Names) -> list[Piece]:
            return [doing, n.team(e.payload.get("team")), joint, partnership(e, n)]

        return says

    def plain_of(doing: str) -> Says:
        def says(e: Said, n: Names) -> list[Piece]:
            return [doing, partnership(e, n)]

        return says

    def affirmed(e: Said, n: Names) -> list[Piece]:
        return [
            "affirmed the charter of ",
            partnership(e, n),
            " for ",
            n.team(e.payload.get("team")),
        ]

    def status(e: Said, n: Names) -> list[Piece]:
        return ["moved ", partnership(e, n), " " + _status(e.payload)]

    def activated(e: Said, n: Names) -> list[Piece]:
        return [partnership(e, n), " became active: every party has affirmed its charter"]

    return {
        "partnership.created": created,
        "partnership.invited": team_and("invited ", " to "),
        "partnership.invitation_accepted": team_and("accepted the invitation of ", " to "),
        "partnership.invitation_declined": team_and("declined the invitation of ", " to "),
        "partnership.invitation_withdrawn": team_and("withdrew the invitation of ", " to "),
        "partnership.party_added": team_and("added ", " to "),
        "partnership.party_left": team_and("took ", " out of "),
        "partnership.activated": activated,
        "partnership.charter_updated": plain_of("changed the charter of "),
        "partnership.contribution_set": team_and("set the contribution of ", " to "),
        "partnership.affirmed": affirmed,
        "partnership.status_changed": status,
    }


# What each commitment move did, said of its commitment ('{}' is where its title goes).
MOVE_WORDS: dict[str, str] = {
    "commitment.promised": "promised {}",
    "commitment.countered": "made a counter-offer on {}",
    "commitment.declined": "declined the request for {}",
    "commitment.counter_accepted": "accepted the counter-offer on {}",
    "commitment.revised": "revised the request for {}",
    "commitment.withdrawn": "withdrew the request for {}",
    "commitment.change_proposed": "proposed a change to {}",
    "commitment.change_accepted": "accepted the change to {}",
    "commitment.change_rejected": "rejected the change to {}",
    "commitment.revoked": "revoked the promise of {}",
    "commitment.reported_done": "reported {} done",
    "commitment.accepted": "accepted the delivery of {}",
    "commitment.rejected": "rejected the delivery of {}",
    "commitment.marked_missed": "marked {} missed",
}


def _commitment_events() -> dict[str, Says]:
    def requested(e: Said, n: Names) -> list[Piece]:
        title = (e.payload.get("args") or {}).get("title")
        return [
            "asked ",
            n.team(e.payload.get("performer")),
            " for ",
            n.commitment(_key(e), title),
        ]

    def moved(words: str) -> Says:
        before, _, after = words.partition("{}")

        def says(e: Said, n: Names) -> list[Piece]:
            return [before, n.commitment(_key(e)), after]

        return says

    return {
        "commitment.requested": requested,
        **{kind: moved(words) for kind, words in MOVE_WORDS.items()},
    }


def _health_events() -> dict[str, Says]:
    def round_of(e: Said) -> Ref:
        return Ref("health_check", _key(e), "a health check")

    def opened(e: Said, n: Names) -> list[Piece]:
        return ["opened ", round_of(e), " of ", n.partnership(e.payload.get("partnership"))]

    def imported(e: Said, n: Names) -> list[Piece]:
        return ["imported ", round_of(e)]

    def answered(e: Said, n: Names) -> list[Piece]:
        return ["answered ", round_of(e), " for ", n.team(e.payload.get("team"))]

    return {
        "health_check.opened": opened,
        "health_check.imported": imported,
        "health_check.answered": answered,
    }


def _story_events() -> dict[str, Says]:
    def of_story(before: str, after: str = "") -> Says:
        def says(e: Said, n: Names) -> list[Piece]:
            return [before, Ref("story", _key(e), "a story"), after]

        return says

    return {
        "story.published": of_story("published "),
        "story.updated": of_story("edited "),
        "story.hidden": of_story("hid "),
        "story.shown": of_story("showed ", " again"),
        "story.deleted": of_story("deleted "),
        "story.replied": of_story("replied to "),
        "story.reply_deleted": of_story("deleted a reply to "),
    }


# The types whose sentence says no actor: whoever made the change that caused it did more.
WHOLE = frozenset({"partnership.activated"})
# The sentence of each type of the catalog, by its name of today.
SENTENCES: dict[str, Says] = {
    **_team_events(),
    **_person_events(),
    **_purpose_events(),
    **_partnership_events(),
    **_commitment_events(),
    **_health_events(),
    **_story_events(),
}


def sentence(event: Said, names: Names) -> list[Piece]:
    """The event as a sentence: who did what to whom, by name ('Ana Lima created the purpose
    Churn'); a type not in the catalog says its name in words and its subject."""
    kind = current_type(event.type)
    says = SENTENCES.get(kind)
    if says is None:
        words = kind.replace(".", " ").replace("_", " ")
        return [names.person(event.actor), f": {words} ({event.subject})"]
    if kind in WHOLE:
        return says(event, names)
    return [names.person(event.actor), " ", *says(event, names)]


# The subjects whose key names the thing, by the field of `Names` that holds its name.
SUBJECT_NAMES = {
    "person": "people",
    "team": "teams",
    "commitment": "commitments",
    "purpose": "purposes",
    "partnership": "partnerships",
}
# Payload fields that hold a key, by the field of `Names` that names it.
KEY_FIELDS = {
    "person": "people",
    "sponsor": "people",
    "team": "teams",
    "requester": "teams",
    "performer": "teams",
    "partnership": "partnerships",
    "purpose": "purposes",
}

# Payload fields that hold a list of keys (a story's links), and those of a team each.
KEY_LISTS = {"teams": "teams", "partnerships": "partnerships", "purposes": "purposes"}
TEAM_MAPS = ("responses",)


def wanted(events: Iterable[Said]) -> dict[str, set[str]]:
    """The keys whose names the sentences and details of `events` say, by the field of
    `Names` that holds them."""
    keys: dict[str, set[str]] = {name: set() for name in SUBJECT_NAMES.values()}
    for event in events:
        if event.actor and not event.actor.startswith("operator:"):
            keys["people"].add(event.actor)
        kind, _, key = event.subject.partition(":")
        if kind in SUBJECT_NAMES and key:
            keys[SUBJECT_NAMES[kind]].add(key)
        payload = event.payload
        for name, holder in KEY_FIELDS.items():
            if isinstance(payload.get(name), str):
                keys[holder].add(payload[name])
        for name, holder in KEY_LISTS.items():
            if isinstance(payload.get(name), list):
                keys[holder].update(str(key) for key in payload[name])
        for name in TEAM_MAPS:
            if isinstance(payload.get(name), dict):
                keys["teams"].update(payload[name])
        for party in payload.get("parties") or ():
            if isinstance(party, dict) and isinstance(party.get("team"), str):
                keys["teams"].add(party["team"])
            elif isinstance(party, str):
                keys["teams"].add(party)
        if isinstance(payload.get("parent"), str):
            holder = "purposes" if kind == "purpose" else "teams"
            keys[holder].add(payload["parent"])
    return keys


# The words for the fields of payloads, where the field's own name would not do.
LABELS = {
    "due": "Due",
    "conditions_of_satisfaction": "Conditions of satisfaction",
    "review_every_days": "Review every (days)",
    "working_agreements": "Working agreements",
    "charter_version": "Charter version",
    "closes_at": "Closes",
    "expires_at": "Expires",
    "target_date": "Target date",
    "tokens_revoked": "API tokens revoked",
    "value": "Value",
    "window_minutes": "Within (minutes)",
    "failures": "Failed tries",
    "responses": "Responses",
    "changed": "Changed",
}
# Fields the sentence says already, or that only the log's machinery reads.
UNSAID = frozenset(
    {"move", "side", "version", "slug", "key", "email", "args", "terms", "from", "to"}
)
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")


def details(event: Said, names: Names, day: Day = day_utc) -> list[tuple[str, str]]:
    """The payload of `event` in words, field by field, as (label, text): keys said by their
    names, instants as days, the arguments and agreed terms of a move among the rest."""
    payload = event.payload
    fields: list[tuple[str, Any]] = [(k, v) for k, v in payload.items() if k not in UNSAID]
    args = payload.get("args")
    if isinstance(args, dict):
        fields += [
            (k, v)
            for k, v in args.items()
            if k != "title" or current_type(event.type) != "commitment.requested"
        ]
    terms = payload.get("terms")
    if isinstance(terms, dict):
        fields += [(f"agreed {k}", v) for k, v in terms.items()]
    said: list[tuple[str, str]] = []
    if payload.get("to"):
        before = f"{payload['from']} → " if payload.get("from") else ""
        said.append(("Status", f"{before}{payload['to']}"))
    for name, value in fields:
        rating = name == "value" and current_type(event.type) == "commitment.accepted"
        text = f"{value} of 5" if rating else _value(name, value, names, day)
        if text:
            said.append((_label(name), text))
    return said


def _label(name: str) -> str:
    if name.startswith("agreed "):
        return "Agreed " + _label(name.removeprefix("agreed ")).lower()
    words = LABELS.get(name) or name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _value(name: str, value: Any, names: Names, day: Day) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if name == "parties" and isinstance(value, list):
        return "; ".join(_party(p, names) for p in value)
    holder = KEY_FIELDS.get(name)
    if holder is not None and isinstance(value, str):
        return getattr(names, holder).get(value) or value
    holder = KEY_LISTS.get(name)
    if holder is not None and isinstance(value, list):
        known: Mapping[str, str] = getattr(names, holder)
        return ", ".join(known.get(str(key)) or str(key) for key in value)
    if name in TEAM_MAPS and isinstance(value, dict):
        return "; ".join(f"{names.teams.get(k) or k}: {v}" for k, v in value.items())
    return _text(value, names, day)


def _party(party: Any, names: Names) -> str:
    if isinstance(party, dict):
        team = names.teams.get(str(party.get("team"))) or str(party.get("team"))
        contribution = party.get("contribution")
        return f"{team}: {contribution}" if contribution else team
    return names.teams.get(str(party)) or str(party)


def _text(value: Any, names: Names, day: Day) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str) and INSTANT.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return day(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if isinstance(value, list):
        return ", ".join(_text(v, names, day) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(str(k))}: {_text(v, names, day)}" for k, v in value.items())
    return str(value)


def _number(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)
