"""The operations centre's accounts and sessions: one implementation for both backends.

A session row is keyed by the sha256 of its cookie token (the token itself is never
stored, so a copy of the database opens no session). Removing an account removes
its sessions in the same transaction.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collector.store.model import User, WebSession
from collector.store.sql import Transactional, Tx, opt_str

_USER_COLUMNS = "username, password_hash, role, operator, created_ns, disabled"
_SESSION_COLUMNS = "token_hash, username, csrf_token, created_ns, last_used_ns, expires_ns"


def _user(row: Sequence[Any]) -> User:
    return User(str(row[0]), str(row[1]), str(row[2]), opt_str(row[3]), int(row[4]), bool(row[5]))


def _session(row: Sequence[Any]) -> WebSession:
    return WebSession(str(row[0]), str(row[1]), str(row[2]), int(row[3]), int(row[4]), int(row[5]))


class AccountMethods(Transactional):
    """Users and web sessions."""

    def add_user(
        self, username: str, password_hash: str, role: str, operator: str | None, now_ns: int
    ) -> bool:
        """Create an account; False (and nothing changed) if the name is taken."""

        def body(tx: Tx) -> bool:
            if tx.one("SELECT 1 FROM users WHERE username = ?", (username,)) is not None:
                return False
            tx.run(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (username, password_hash, role, operator, now_ns, False),
            )
            return True

        return self._retrying(body)

    def get_user(self, username: str) -> User | None:
        row = self._read(
            lambda tx: tx.one(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (username,))
        )
        return None if row is None else _user(row)

    def list_users(self) -> list[User]:
        rows = self._read(
            lambda tx: tx.rows(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username")
        )
        return [_user(r) for r in rows]

    def remove_user(self, username: str) -> bool:
        """Delete an account and its sessions; False if there was none."""

        def body(tx: Tx) -> bool:
            tx.run("DELETE FROM sessions WHERE username = ?", (username,))
            return tx.run("DELETE FROM users WHERE username = ?", (username,)) > 0

        return self._retrying(body)

    def create_session(self, session: WebSession) -> None:
        self._retrying(
            lambda tx: tx.run(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session.token_hash,
                    session.username,
                    session.csrf_token,
                    session.created_ns,
                    session.last_used_ns,
                    session.expires_ns,
                ),
            )
        )

    def get_session(self, token_hash: str) -> tuple[WebSession, User] | None:
        """The session and its account (None if either is gone)."""

        def body(tx: Tx) -> tuple[WebSession, User] | None:
            row = tx.one(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE token_hash = ?", (token_hash,)
            )
            if row is None:
                return None
            user = tx.one(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (str(row[1]),))
            if user is None:
                return None
            return _session(row), _user(user)

        return self._read(body)

    def touch_session(self, token_hash: str, last_used_ns: int) -> None:
        self._retrying(
            lambda tx: tx.run(
                "UPDATE sessions SET last_used_ns = ? WHERE token_hash = ? AND last_used_ns < ?",
                (last_used_ns, token_hash, last_used_ns),
            )
        )

    def delete_session(self, token_hash: str) -> bool:
        return (
            self._retrying(
                lambda tx: tx.run("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
            )
            > 0
        )

    def delete_stale_sessions(self, *, now_ns: int, idle_before_ns: int) -> int:
        """Remove sessions past their absolute end or unused since ``idle_before_ns``."""
        return self._retrying(
            lambda tx: tx.run(
                "DELETE FROM sessions WHERE expires_ns <= ? OR last_used_ns < ?",
                (now_ns, idle_before_ns),
            )
        )
