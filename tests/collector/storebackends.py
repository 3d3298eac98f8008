"""What the storage fixtures of ``conftest.py`` hand to tests (importable by test modules)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from collector.store.base import Store


@dataclass
class Backend:
    """One storage backend under test, and ways around the store to check it."""

    name: str
    #: Another store on the same database: a second collector replica.
    open: Callable[[], Store]
    #: Run SQL (``?`` placeholders) on a connection of its own, outside the store.
    raw: Callable[[], RawConnection]
    #: What the database raises for a broken constraint.
    integrity_error: type[Exception]


class RawConnection:
    """A plain DB-API connection (autocommit off): ``execute`` then ``commit``."""

    def __init__(self, conn: Any, *, paramstyle: str) -> None:
        self.conn = conn
        self._paramstyle = paramstyle

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        if self._paramstyle == "format":
            sql = sql.replace("?", "%s")
        cur = self.conn.execute(sql, params)
        return list(cur.fetchall()) if cur.description else []

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()
