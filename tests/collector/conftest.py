"""Storage backends for the collector tests: SQLite in tmp_path, PostgreSQL in a fresh schema.

PostgreSQL is the server named by ``PANTAU_TEST_PG_DSN`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test gets its own schema
``pantau_test_<random>``, dropped afterwards, so parallel runs never collide. When no
server answers, the PostgreSQL cases skip and say why; they never pass silently.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from machine import unavailable
from storebackends import Backend, RawConnection

from collector.store.base import Store

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def pg_dsn() -> str:
    return os.environ.get("PANTAU_TEST_PG_DSN") or DEFAULT_PG_DSN


@cache
def pg_unavailable() -> str | None:
    """None if the test server answers, else the reason to skip (once per session)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'pantau[postgres]')"
    try:
        with psycopg.connect(pg_dsn(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"no PostgreSQL at {pg_dsn()} (set PANTAU_TEST_PG_DSN): {exc}".strip()
    return None


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Backend:
    from collector.store.sqlite import SqliteStore

    path = tmp_path / "collector.sqlite"

    def raw() -> RawConnection:
        conn = sqlite3.connect(path, timeout=10)
        return RawConnection(conn, paramstyle="qmark")

    return Backend("sqlite", lambda: SqliteStore(path), raw, sqlite3.IntegrityError)


@pytest.fixture
def postgres_backend() -> Iterator[Backend]:
    reason = pg_unavailable()
    if reason is not None:
        unavailable(reason)
    import psycopg

    from collector.store.postgres import PostgresStore

    dsn = pg_dsn()
    schema = f"pantau_test_{secrets.token_hex(6)}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    opened: list[Any] = []

    def raw() -> RawConnection:
        conn = psycopg.connect(dsn)
        conn.execute(f"SET search_path TO {schema}")
        conn.commit()
        opened.append(conn)
        return RawConnection(conn, paramstyle="format")

    try:
        yield Backend(
            "postgres",
            lambda: PostgresStore(dsn, schema=schema, max_connections=4),
            raw,
            psycopg.errors.IntegrityError,
        )
    finally:
        for conn in opened:
            conn.close()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_store(postgres_backend: Backend) -> Iterator[Store]:
    """A PostgreSQL store in a fresh schema (for what only PostgreSQL does: leases, sharing)."""
    store = postgres_backend.open()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend in turn; the PostgreSQL case skips (with the reason) without a server."""
    return request.getfixturevalue(f"{request.param}_backend")  # type: ignore[no-any-return]


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    """A fresh, migrated store of the backend under test."""
    opened = backend.open()
    try:
        yield opened
    finally:
        opened.close()
