"""Numbered schema migrations for the SQL stores, one module per backend.

Rules: a migration is never edited once released; a change is a new, higher number.
Each store applies the migrations its database lacks in one transaction, together
with the version bump in `seamline_meta`, and refuses (`SchemaMismatch`, touching
nothing) a database whose version is higher than the last one listed here.
"""

from seamline.store.migrations.postgres import MIGRATIONS as POSTGRES
from seamline.store.migrations.sqlite import MIGRATIONS as SQLITE

__all__ = ["POSTGRES", "SQLITE"]
