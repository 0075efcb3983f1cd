"""The edges of stories: a story, its thread and the tags in use, as JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from accord.inputs import Input, Instant, Key, Title
from accord.org.domain import Person
from accord.stories.domain import MAX_BODY, MAX_REPLY, MAX_RESULTS, MAX_TITLE, Reply, Story
from accord.stories.markup import render_markdown


class AuthorRead(BaseModel):
    email: str
    name: str

    @classmethod
    def of(cls, person: Person) -> AuthorRead:
        return cls(email=person.email, name=person.name)


class MetricRead(BaseModel):
    name: str
    value: float
    unit: str | None


class ReplyRead(BaseModel):
    id: int
    author: AuthorRead
    body: str = Field(description="Markdown, as written.")
    body_html: str = Field(description="The body rendered to sanitized HTML.")
    created_at: Instant

    @classmethod
    def of(cls, reply: Reply) -> ReplyRead:
        assert reply.id is not None
        return cls(
            id=reply.id,
            author=AuthorRead.of(reply.author),
            body=reply.body,
            body_html=render_markdown(reply.body),
            created_at=reply.created_at,
        )


class StoryRead(BaseModel):
    key: str
    title: str
    body: str = Field(description="Markdown, as written.")
    body_html: str = Field(description="The body rendered to sanitized HTML.")
    tags: list[str]
    partnerships: list[str] = Field(description="Keys of the partnerships it tells of.")
    teams: list[str] = Field(description="Slugs of the teams it tells of.")
    purposes: list[str] = Field(description="Keys of the purposes it tells of.")
    results: str
    metric: MetricRead | None
    author: AuthorRead
    created_at: Instant
    updated_at: Instant
    hidden: bool = Field(description="Hidden by an admin: only its author and admins see it.")
    hidden_reason: str | None
    replies: list[ReplyRead]

    @classmethod
    def of(cls, story: Story) -> StoryRead:
        metric = None
        if story.metric_name is not None and story.metric_value is not None:
            metric = MetricRead(
                name=story.metric_name, value=story.metric_value, unit=story.metric_unit
            )
        return cls(
            key=story.key,
            title=story.title,
            body=story.body,
            body_html=render_markdown(story.body),
            tags=story.tags,
            partnerships=[p.key for p in story.partnerships],
            teams=[t.slug for t in story.teams],
            purposes=[p.key for p in story.purposes],
            results=story.results,
            metric=metric,
            author=AuthorRead.of(story.author),
            created_at=story.created_at,
            updated_at=story.updated_at,
            hidden=story.hidden,
            hidden_reason=story.hidden_reason,
            replies=[ReplyRead.of(r) for r in story.replies],
        )


class MetricInput(Input):
    name: Title
    value: float
    unit: str | None = Field(None, max_length=40)


class StoryCreate(Input):
    key: Key | None = Field(None, description="Made from the title when omitted.")
    title: str = Field(max_length=MAX_TITLE)
    body: str = Field(max_length=MAX_BODY, description="Markdown.")
    tags: list[str] = Field(default_factory=list, max_length=10)
    partnerships: list[str] = Field(default_factory=list, max_length=20)
    teams: list[str] = Field(default_factory=list, max_length=20)
    purposes: list[str] = Field(default_factory=list, max_length=20)
    results: str = Field("", max_length=MAX_RESULTS)
    metric: MetricInput | None = None

    def args(self) -> dict[str, Any]:
        """The arguments of the use case: the metric as its name, value and unit."""
        return {**self.model_dump(exclude={"metric"}), **_metric_args(self.metric)}


class StoryUpdate(Input):
    """Only the fields given change; `metric: null` removes the metric; `hidden` is an admin's."""

    title: str | None = Field(None, max_length=MAX_TITLE)
    body: str | None = Field(None, max_length=MAX_BODY)
    tags: list[str] | None = Field(None, max_length=10)
    partnerships: list[str] | None = Field(None, max_length=20)
    teams: list[str] | None = Field(None, max_length=20)
    purposes: list[str] | None = Field(None, max_length=20)
    results: str | None = Field(None, max_length=MAX_RESULTS)
    metric: MetricInput | None = None
    hidden: bool | None = Field(None, description="Hide (true) or show (false): an admin.")
    hidden_reason: str | None = Field(None, max_length=500, description="Why, when hiding.")

    def changes(self) -> dict[str, Any]:
        """The arguments of the use case for the fields given; a metric given, or null, as its
        name, value and unit."""
        fields = self.model_dump(exclude_unset=True, exclude={"metric"})
        if "metric" in self.model_fields_set:
            fields.update(_metric_args(self.metric))
        return fields


def _metric_args(metric: MetricInput | None) -> dict[str, Any]:
    return {
        "metric_name": metric.name if metric else None,
        "metric_value": metric.value if metric else None,
        "metric_unit": metric.unit if metric else None,
    }


class ReplyCreate(Input):
    body: str = Field(max_length=MAX_REPLY, description="Markdown.")


class TagCount(BaseModel):
    tag: str
    stories: int
