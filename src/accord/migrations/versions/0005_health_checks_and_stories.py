"""Health checks (rounds, anonymous tallies) and stories (tags, links, replies, search)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Full-text search of stories: an FTS5 index kept by triggers on SQLite, an expression index on
# PostgreSQL. Neither is in the table mappings; the stories repository queries them.
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE stories_fts USING fts5(title, body, tags_text, results, "
    "content='stories', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN "
    "INSERT INTO stories_fts(rowid, title, body, tags_text, results) "
    "VALUES (new.id, new.title, new.body, new.tags_text, new.results); END",
    "CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN "
    "INSERT INTO stories_fts(stories_fts, rowid, title, body, tags_text, results) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags_text, old.results); END",
    "CREATE TRIGGER stories_fts_update AFTER UPDATE ON stories BEGIN "
    "INSERT INTO stories_fts(stories_fts, rowid, title, body, tags_text, results) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags_text, old.results); "
    "INSERT INTO stories_fts(rowid, title, body, tags_text, results) "
    "VALUES (new.id, new.title, new.body, new.tags_text, new.results); END",
)
POSTGRES_SEARCH = (
    "CREATE INDEX ix_stories_search ON stories USING gin ("
    "to_tsvector('english', title || ' ' || body || ' ' || tags_text || ' ' || results))"
)


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("metric_name", sa.String(length=200), nullable=True),
        sa.Column("metric_value", sa.Float(), nullable=True),
        sa.Column("metric_unit", sa.String(length=40), nullable=True),
        sa.Column("tags_text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hidden_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["people.id"],
            name=op.f("fk_stories_author_id_people"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"],
            ["people.id"],
            name=op.f("fk_stories_hidden_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
        sa.UniqueConstraint("key", name=op.f("uq_stories_key")),
    )
    op.create_index(op.f("ix_stories_author_id"), "stories", ["author_id"])
    op.create_index(op.f("ix_stories_created_at"), "stories", ["created_at"])

    op.create_table(
        "story_purposes",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("purpose_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purpose_id"],
            ["purposes.id"],
            name=op.f("fk_story_purposes_purpose_id_purposes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_purposes_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("story_id", "purpose_id", name="pk_story_purposes"),
    )
    op.create_index(op.f("ix_story_purposes_purpose_id"), "story_purposes", ["purpose_id"])

    op.create_table(
        "story_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["people.id"],
            name=op.f("fk_story_replies_author_id_people"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_replies_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_replies")),
    )
    op.create_index(op.f("ix_story_replies_story_id"), "story_replies", ["story_id"])

    op.create_table(
        "story_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_tags_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_tags")),
        sa.UniqueConstraint("story_id", "tag", name="uq_story_tags_story_tag"),
    )
    op.create_index(op.f("ix_story_tags_tag"), "story_tags", ["tag"])

    op.create_table(
        "story_teams",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_teams_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_story_teams_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("story_id", "team_id", name="pk_story_teams"),
    )
    op.create_index(op.f("ix_story_teams_team_id"), "story_teams", ["team_id"])

    op.create_table(
        "health_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("earned", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["people.id"],
            name=op.f("fk_health_checks_opened_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_health_checks_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_checks")),
        sa.UniqueConstraint("key", name=op.f("uq_health_checks_key")),
    )
    op.create_index(op.f("ix_health_checks_closes_at"), "health_checks", ["closes_at"])
    op.create_index(op.f("ix_health_checks_partnership_id"), "health_checks", ["partnership_id"])

    op.create_table(
        "story_partnerships",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_story_partnerships_partnership_id_partnerships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_partnerships_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("story_id", "partnership_id", name="pk_story_partnerships"),
    )
    op.create_index(
        op.f("ix_story_partnerships_partnership_id"), "story_partnerships", ["partnership_id"]
    )

    op.create_table(
        "health_respondents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("health_check_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["health_check_id"],
            ["health_checks.id"],
            name=op.f("fk_health_respondents_health_check_id_health_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_health_respondents_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_respondents")),
        sa.UniqueConstraint(
            "health_check_id", "person_id", name="uq_health_respondents_check_person"
        ),
    )
    op.create_index(op.f("ix_health_respondents_person_id"), "health_respondents", ["person_id"])

    op.create_table(
        "health_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("health_check_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column(
            "counts",
            sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "comments",
            sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["health_check_id"],
            ["health_checks.id"],
            name=op.f("fk_health_tallies_health_check_id_health_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_health_tallies_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_tallies")),
        sa.UniqueConstraint("health_check_id", "team_id", name="uq_health_tallies_check_team"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    else:
        op.execute(POSTGRES_SEARCH)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER stories_fts_{trigger}")
        op.execute("DROP TABLE stories_fts")
    else:
        op.execute("DROP INDEX ix_stories_search")
    op.drop_table("health_tallies")
    op.drop_index(op.f("ix_health_respondents_person_id"), table_name="health_respondents")
    op.drop_table("health_respondents")
    op.drop_index(op.f("ix_story_partnerships_partnership_id"), table_name="story_partnerships")
    op.drop_table("story_partnerships")
    op.drop_index(op.f("ix_health_checks_partnership_id"), table_name="health_checks")
    op.drop_index(op.f("ix_health_checks_closes_at"), table_name="health_checks")
    op.drop_table("health_checks")
    op.drop_index(op.f("ix_story_teams_team_id"), table_name="story_teams")
    op.drop_table("story_teams")
    op.drop_index(op.f("ix_story_tags_tag"), table_name="story_tags")
    op.drop_table("story_tags")
    op.drop_index(op.f("ix_story_replies_story_id"), table_name="story_replies")
    op.drop_table("story_replies")
    op.drop_index(op.f("ix_story_purposes_purpose_id"), table_name="story_purposes")
    op.drop_table("story_purposes")
    op.drop_index(op.f("ix_stories_created_at"), table_name="stories")
    op.drop_index(op.f("ix_stories_author_id"), table_name="stories")
    op.drop_table("stories")
