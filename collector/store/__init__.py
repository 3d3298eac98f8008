"""Storage for the collector: one contract (:class:`Store`), two backends.

``open_store(target)`` picks the backend: a ``postgresql://`` URL opens
:class:`~collector.store.postgres.PostgresStore` (psycopg, the ``postgres`` extra),
anything else the SQLite file :class:`~collector.store.sqlite.SqliteStore`.
"""

from collector.store.base import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
