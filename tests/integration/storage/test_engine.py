"""The embedded default: a SQLite file in WAL mode with foreign keys enforced."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from accord.config import Settings
from accord.db import make_engine, migrate


def test_the_default_database_is_accord_db_in_the_working_directory(monkeypatch) -> None:
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    assert Settings().database_url == "sqlite:///accord.db"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'accord.db'}")
    try:
        migrate(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text("INSERT INTO memberships (person_id, team_id, role) VALUES (99, 99, 'lead')")
            )
    finally:
        engine.dispose()
    assert (tmp_path / "accord.db").exists()


def test_a_postgresql_url_gets_the_psycopg_driver() -> None:
    engine = make_engine("postgresql://accord@localhost/accord")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()
