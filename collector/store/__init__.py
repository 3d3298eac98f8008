"""Storage for the collector: one contract (:class:`Store`, split by role), two backends.

``open_store(target)`` picks the backend: a ``postgresql://`` URL opens
:class:`~collector.store.postgres.PostgresStore` (psycopg, the ``postgres`` extra),
anything else the SQLite file :class:`~collector.store.sqlite.SqliteStore`.
"""

from collector.store.base import (
    AccountStore,
    IngestStore,
    OutboxStore,
    QueryStore,
    Store,
    StoreError,
    TicketStore,
    open_store,
)

__all__ = [
    "AccountStore",
    "IngestStore",
    "OutboxStore",
    "QueryStore",
    "Store",
    "StoreError",
    "TicketStore",
    "open_store",
]
