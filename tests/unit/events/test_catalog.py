"""The catalogue of event types: one naming style, every type listed once, payloads as the log
has always stored them, and the names earlier versions wrote read as today's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.commitments.domain import Commitment, Move, Side
from accord.events import catalog
from accord.events.catalog import (
    CATALOGUE,
    EVENT_TYPES,
    LEGACY_NAMES,
    MOVES,
    CommitmentAccepted,
    CommitmentCounterAccepted,
    CommitmentMoved,
    CommitmentRequested,
    DomainEvent,
    InvitationWithdrawn,
    PartnershipActivated,
    PersonUpdated,
    PurposeStatusChanged,
    TeamCreated,
    commitment_moved,
    current_type,
    stored_types,
)
from accord.org.domain import Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose, PurposeStatus

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
DOTTED = re.compile(r"^[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$")


def concrete(kind: type[DomainEvent]) -> list[type[DomainEvent]]:
    found = [kind] if "type" in vars(kind) else []
    for sub in kind.__subclasses__():
        found += concrete(sub)
    return found


def test_the_catalogue_lists_every_event_class_once() -> None:
    classes = concrete(DomainEvent)
    assert sorted(c.__name__ for c in classes) == sorted(c.__name__ for c in CATALOGUE)
    assert len(set(CATALOGUE)) == len(CATALOGUE)
    assert len(EVENT_TYPES) == len(CATALOGUE), "two classes share a type name"


@pytest.mark.parametrize("kind", CATALOGUE, ids=lambda kind: kind.type)
def test_every_type_is_named_context_dot_past_tense(kind: type[DomainEvent]) -> None:
    assert DOTTED.match(kind.type), kind.type
    assert kind.type.partition(".")[0] in {
        "team",
        "membership",
        "person",
        "token",
        "purpose",
        "measure",
        "partnership",
        "commitment",
        "health_check",
        "story",
    }


def test_each_move_has_its_event() -> None:
    assert set(MOVES) == {move.value for move in Move}
    for move, kind in MOVES.items():
        assert issubclass(kind, CommitmentMoved)
        assert (
            kind.type
            == "commitment."
            + {
                "request": "requested",
                "promise": "promised",
                "counter": "countered",
                "decline": "declined",
                "accept_counter": "counter_accepted",
                "revise": "revised",
                "withdraw": "withdrawn",
                "propose_change": "change_proposed",
                "accept_change": "change_accepted",
                "reject_change": "change_rejected",
                "revoke": "revoked",
                "report_done": "reported_done",
                "accept": "accepted",
                "reject": "rejected",
                "mark_missed": "marked_missed",
            }[move]
        )


def test_every_earlier_name_reads_as_a_type_of_today() -> None:
    assert len(LEGACY_NAMES) == len(MOVES)
    for old, new in LEGACY_NAMES.items():
        assert new in EVENT_TYPES
        assert old not in EVENT_TYPES
        assert old == "Commitment" + "".join(
            part.capitalize() for part in new.removeprefix("commitment.").split("_")
        )
        assert current_type(old) == new
    assert current_type("team.created") == "team.created"
    assert current_type("something.else") == "something.else"


def test_a_type_is_stored_under_its_name_and_its_earlier_one() -> None:
    assert stored_types("commitment.accepted") == ["commitment.accepted", "CommitmentAccepted"]
    assert stored_types("CommitmentAccepted") == ["commitment.accepted", "CommitmentAccepted"]
    assert stored_types("team.created") == ["team.created"]


def test_subject_and_payload() -> None:
    event = TeamCreated(
        team="data",
        actor="root@example.org",
        at=T0,
        name="Data",
        kind="team",
        mission="",
        parent=None,
    )
    assert (event.type, event.subject) == ("team.created", "team:data")
    assert event.payload() == {
        "slug": "data",
        "name": "Data",
        "kind": "team",
        "mission": "",
        "parent": None,
    }
    assert list(event.payload()) == ["slug", "name", "kind", "mission", "parent"]
    assert PartnershipActivated(partnership="p", actor=None, at=T0).payload() == {}
    status = PurposeStatusChanged(purpose="q", actor=None, at=T0, before="draft", after="active")
    assert (status.subject, status.payload()) == ("purpose:q", {"from": "draft", "to": "active"})


def test_optional_fields_are_left_out_as_they_always_were() -> None:
    def updated(revoked: list[str]) -> dict[str, Any]:
        return PersonUpdated(
            person="bo@example.org",
            actor=None,
            at=T0,
            name="Bo",
            role="member",
            active=False,
            tokens_revoked=revoked,
        ).payload()

    assert updated([]) == {"name": "Bo", "role": "member", "active": False}
    assert updated(["ci"])["tokens_revoked"] == ["ci"]

    def withdrawn(reason: str | None) -> dict[str, Any]:
        return InvitationWithdrawn(
            partnership="p", actor=None, at=T0, invitation=3, team="t", reason=reason
        ).payload()

    assert withdrawn(None) == {"invitation": 3, "team": "t"}
    assert withdrawn("the partnership was ended")["reason"] == "the partnership was ended"


def test_events_are_frozen() -> None:
    event = PartnershipActivated(partnership="p", actor=None, at=T0)
    with pytest.raises(AttributeError):
        event.actor = "mallory@example.org"  # type: ignore[misc]


def test_a_move_event_stores_the_payload_the_domain_gives_it() -> None:
    """`commitment_moved` takes the domain's payload apart and `payload()` gives it back key for
    key, in the same order: moves with and without agreed terms, and the request."""
    requester, performer = Team(slug="r", name="R"), Team(slug="p", name="P")
    purpose = Purpose(key="q", title="Q", status=PurposeStatus.ACTIVE)
    partnership = Partnership(key="rp", name="RP", purpose=purpose)
    partnership.add_party(requester, "asks")
    partnership.add_party(performer, "delivers")
    commitment, payload = Commitment.request(
        key="c-1",
        partnership=partnership,
        requester=requester,
        performer=performer,
        measure=None,
        sides=frozenset({Side.REQUESTER}),
        at=T0,
        args={"title": "Vault", "due": T0 + timedelta(days=9), "reliance": "high"},
    )
    payload.update(partnership="rp", requester="r", performer="p")
    payloads = [payload]
    for move, side, args in [
        (Move.COUNTER, Side.PERFORMER, {"due": T0 + timedelta(days=20), "note": "later"}),
        (Move.ACCEPT_COUNTER, Side.REQUESTER, {}),
        (Move.REPORT_DONE, Side.PERFORMER, {"note": "live"}),
        (Move.ACCEPT, Side.REQUESTER, {"value": 4, "note": "good"}),
    ]:
        payloads.append(
            commitment.apply(
                move,
                sides=frozenset({side}),
                at=T0 + timedelta(hours=len(payloads)),
                expected_version=None,
                args=args,
            )
        )
    kinds = []
    for given in payloads:
        event = commitment_moved("c-1", "bo@example.org", T0, given)
        assert (event.subject, event.commitment) == ("commitment:c-1", "c-1")
        assert event.payload() == given
        assert list(event.payload()) == list(given)
        kinds.append(type(event))
    assert kinds[0] is CommitmentRequested
    assert kinds[-1] is CommitmentAccepted
    assert kinds[2] is CommitmentCounterAccepted
    assert "terms" in payloads[2]


def test_the_catalogue_imports_nothing_of_accord() -> None:
    """Every context's domain names its events: the catalogue must sit below them all."""
    source = Path(catalog.__file__).read_text(encoding="utf-8")
    assert "from accord" not in source
    assert "import accord" not in source
