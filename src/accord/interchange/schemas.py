"""The `accord/1` document as pydantic models: parsing input and writing exports alike."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from accord.commitments.domain import Move, Reliance
from accord.health.domain import SCALE, Statement
from accord.inputs import Instant
from accord.org.domain import GlobalRole, MemberRole, TeamKind
from accord.purposes.domain import PurposeStatus


def _none_to_empty(value: Any) -> Any:
    return "" if value is None else value


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


Text = Annotated[str, BeforeValidator(_none_to_empty)]
Email = Annotated[str, BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v)]


class Doc(BaseModel):
    # texts are compared as the services store them: without surrounding white space
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TeamDoc(Doc):
    slug: str
    name: str
    kind: TeamKind
    parent: str | None = None
    mission: Text = ""


class MembershipDoc(Doc):
    team: str
    role: MemberRole = MemberRole.MEMBER
    left_at: Instant | None = None


class PersonDoc(Doc):
    email: Email
    name: str
    role: GlobalRole = GlobalRole.MEMBER
    active: bool = True
    memberships: Annotated[list[MembershipDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )


class MeasureUpdateDoc(Doc):
    value: float
    at: Instant
    note: Text = ""
    by: Email | None = None


class MeasureDoc(Doc):
    name: str
    unit: Text = ""
    baseline: float | None = None
    target: float | None = None
    current: float | None = None
    updates: Annotated[list[MeasureUpdateDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _current_from_history(self) -> Self:
        """An omitted `current` is the last update's value, or else the baseline."""
        if self.current is None:
            value = self.updates[-1].value if self.updates else self.baseline
            object.__setattr__(self, "current", value)
        return self


class PurposeDoc(Doc):
    key: str
    title: str
    statement: Text = ""
    status: PurposeStatus = PurposeStatus.DRAFT
    sponsor: Email | None = None
    target_date: date | None = None
    parent: str | None = None
    measures: Annotated[list[MeasureDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )


class PartyDoc(Doc):
    team: str
    contribution: Text = ""
    affirmed_by: Email | None = None
    affirmed_at: Instant | None = None
    left_at: Instant | None = None  # a party that left: its commitments there came before


class PartnershipDoc(Doc):
    key: str
    name: str
    purpose: str
    parties: list[PartyDoc]
    working_agreements: Annotated[list[str], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    review_every_days: int | None = None
    status: Literal["forming", "active", "paused", "concluded", "dissolved"] | None = None


class MoveDoc(Doc):
    move: Move
    by: Email
    at: Instant
    title: str | None = None
    conditions_of_satisfaction: str | None = None
    due: Instant | None = None
    reliance: Reliance | None = None
    measure: str | None = None
    value: int | None = None
    note: str | None = None
    reason: str | None = None

    def args(self) -> dict[str, Any]:
        """The move's own fields (terms, value, note, reason), without move, by and at."""
        return {
            name: getattr(self, name)
            for name in (
                "title",
                "conditions_of_satisfaction",
                "due",
                "reliance",
                "measure",
                "value",
                "note",
                "reason",
            )
            if getattr(self, name) is not None
        }


class CommitmentDoc(Doc):
    key: str
    partnership: str
    requester: str
    performer: str
    history: list[MoveDoc] = Field(min_length=1)


class HealthPartyDoc(Doc):
    """A party's answers in a round, only as the counts the anonymity rule allows."""

    team: str
    responses: int = Field(0, ge=0)
    # how many answered 1, 2, 3, 4, 5 to each statement; exported only once the round has
    # closed with enough answers
    distribution: dict[Statement, list[int]] | None = None

    @model_validator(mode="after")
    def _counts_add_up(self) -> Self:
        if self.distribution is None:
            return self
        missing = [s.value for s in Statement if s not in self.distribution]
        if missing:
            raise ValueError(f"distribution lacks {', '.join(missing)}")
        for statement, row in self.distribution.items():
            if len(row) != len(SCALE) or any(n < 0 for n in row):
                raise ValueError(
                    f"distribution.{statement.value} must be {len(SCALE)} counts (of 1 to 5), "
                    "none negative"
                )
            if sum(row) != self.responses:
                raise ValueError(
                    f"distribution.{statement.value} counts {sum(row)} answers, "
                    f"responses says {self.responses}"
                )
        return self


class HealthCheckDoc(Doc):
    key: str
    partnership: str
    opened_at: Instant
    closes_at: Instant
    opened_by: Email | None = None
    answered_by: Annotated[list[Email], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    parties: Annotated[list[HealthPartyDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )


class MetricDoc(Doc):
    name: str
    value: float
    unit: Text = ""


class HiddenDoc(Doc):
    at: Instant
    by: Email | None = None
    reason: Text = ""


class ReplyDoc(Doc):
    author: Email
    at: Instant
    body: str


class StoryDoc(Doc):
    key: str
    title: str
    author: Email
    created_at: Instant
    updated_at: Instant | None = None
    body: Text = ""
    tags: Annotated[list[str], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    partnerships: Annotated[list[str], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    teams: Annotated[list[str], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    purposes: Annotated[list[str], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    results: Text = ""
    metric: MetricDoc | None = None
    hidden: HiddenDoc | None = None
    replies: Annotated[list[ReplyDoc], BeforeValidator(_none_to_list)] = Field(default_factory=list)


class Document(Doc):
    format: Literal["accord/1"]
    teams: Annotated[list[TeamDoc], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    people: Annotated[list[PersonDoc], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    purposes: Annotated[list[PurposeDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    partnerships: Annotated[list[PartnershipDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    commitments: Annotated[list[CommitmentDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    health_checks: Annotated[list[HealthCheckDoc], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    stories: Annotated[list[StoryDoc], BeforeValidator(_none_to_list)] = Field(default_factory=list)


def dump(doc: Document) -> dict[str, Any]:
    """The document as JSON-ready data, in the canonical form `accord export` writes.

    A move lists only the fields it carries, a membership and a party say `left_at` only once
    they ended, a person says `active` only once deactivated; everything else keeps its nulls.
    """
    data = doc.model_dump(mode="json")
    for partnership in data["partnerships"]:
        for party in partnership["parties"]:
            if party["left_at"] is None:
                del party["left_at"]
    for person in data["people"]:
        if person["active"]:
            del person["active"]
        for membership in person["memberships"]:
            if membership["left_at"] is None:
                del membership["left_at"]
    for commitment in data["commitments"]:
        commitment["history"] = [
            {k: v for k, v in move.items() if v is not None} for move in commitment["history"]
        ]
    return data
