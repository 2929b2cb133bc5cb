"""Intake records kept in a local SQLite database: readable by the owner alone, versioned, found again by client.

The database holds each intake's self-contained record document (see `intake.build_record`) with a few columns to
list and search by. Nothing leaves the machine. A deleted record is gone: SQLite is told to overwrite freed pages.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from carecheck.core.errors import UsageError

DATABASE_ENV = "CARECHECK_DB"

MIGRATIONS: tuple[str, ...] = (
    # 1: one row per intake; `document` is the whole record as JSON, the other columns are for listing.
    """
    CREATE TABLE intake (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client TEXT NOT NULL,
        counselor TEXT,
        created TEXT NOT NULL,
        computed_level TEXT NOT NULL,
        chosen_level TEXT NOT NULL,
        urgent INTEGER NOT NULL,
        document TEXT NOT NULL
    );
    """,
    # 2: a counselor looks a client up by id, newest first, many times a day.
    "CREATE INDEX intake_by_client ON intake (client, created);",
)
"""Each entry moves the database one schema version up; `PRAGMA user_version` says how many have run."""

SCHEMA_VERSION = len(MIGRATIONS)


class RecordsError(UsageError):
    """The records database cannot be used as asked (exit 2): the message names the file or record and the fix."""

    kind = "records"


class Summary(NamedTuple):
    """One line of `records list`."""

    id: int
    client: str
    counselor: str | None
    created: str
    computed_level: str
    chosen_level: str
    urgent: bool


def default_path() -> Path:
    """`$CARECHECK_DB`, else `records.sqlite3` in carecheck's per-user data folder."""
    from carecheck.store.drafts import data_base

    named = os.environ.get(DATABASE_ENV)
    if named:
        return Path(named)
    return data_base() / "carecheck" / "records.sqlite3"


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it (SQLite gives its journal files the database's mode)."""
    from carecheck.store.drafts import data_base, data_folder

    if path.parent == data_base() / "carecheck":
        data_folder()  # carecheck's own data folder, made 0700 like the drafts beside it
    elif not path.parent.is_dir():
        raise RecordsError(f"{path}: the folder {path.parent} does not exist; create it or choose another --db path")
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError as fault:
        raise RecordsError(f"{path}: cannot create the records database: {fault.strerror}") from None
    os.close(descriptor)
    os.chmod(path, 0o600)


class Records:
    """An open records database. Use `open_records`, which migrates it and closes it."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def add(self, document: Mapping[str, Any]) -> int:
        """Store an intake record; returns its new id (which `get` puts into the document it returns)."""
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO intake (client, counselor, created, computed_level, chosen_level, urgent, document)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    document["client"],
                    document["counselor"],
                    document["created"],
                    document["computed_level"],
                    document["chosen_level"],
                    int(bool(document["result"]["urgent"])),
                    json.dumps(document, ensure_ascii=False),
                ),
            )
        return int(cursor.lastrowid or 0)

    def find(self, client: str | None = None) -> list[Summary]:
        """Records, newest first; only the client's when one is named."""
        query = "SELECT id, client, counselor, created, computed_level, chosen_level, urgent FROM intake"
        rows = (
            self._db.execute(query + " WHERE client = ? ORDER BY created DESC, id DESC", (client,))
            if client is not None
            else self._db.execute(query + " ORDER BY created DESC, id DESC")
        )
        return [Summary(int(r[0]), r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    def get(self, record_id: int) -> dict[str, Any]:
        row = self._db.execute("SELECT document FROM intake WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise RecordsError(f"there is no record {record_id} in {self.path}; `carecheck records list` shows them")
        document: dict[str, Any] = json.loads(row[0])
        document["id"] = record_id  # the row's id is the record's: stored once, in one place
        return document

    def delete(self, record_id: int) -> None:
        """Remove a record for good (its bytes are overwritten, not just unlinked)."""
        self.get(record_id)  # a clear error for an id that is not there
        with self._db:
            self._db.execute("DELETE FROM intake WHERE id = ?", (record_id,))


def _make_private(path: Path) -> None:
    """A database that others can read is made the owner's alone before health data goes into it."""
    if path.stat().st_mode & 0o077:
        try:
            os.chmod(path, 0o600)
        except OSError:
            raise RecordsError(
                f"{path} can be read by other users and carecheck cannot change that; run `chmod 600 {path}` or "
                "choose another --db path"
            ) from None


def _migrate(connection: sqlite3.Connection, path: Path, create: bool) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version == 0:
        if connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise RecordsError(
                f"{path} is another program's database, not carecheck's records; choose another --db path"
            )
        if not create:
            raise RecordsError(f"no records in {path} yet: the first `carecheck intake` stores one")
    if version > SCHEMA_VERSION:
        raise RecordsError(
            f"{path} was written by a newer carecheck (records schema {version}; this one knows up to "
            f"{SCHEMA_VERSION}): upgrade carecheck to read it"
        )
    for number in range(version, SCHEMA_VERSION):
        with connection:  # each step and its version number land together, or not at all
            connection.executescript(f"BEGIN; {MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;")


@contextlib.contextmanager
def open_records(path: Path | None = None, *, create: bool = True) -> Iterator[Records]:
    """The records database at `path` (default: `default_path()`), created 0600 and migrated to the current schema.

    With `create=False` a missing database is an error, so that reading commands never leave an empty file behind.
    """
    path = path if path is not None else default_path()
    if not path.exists():
        if not create:
            raise RecordsError(f"no records database at {path} yet: the first `carecheck intake` creates it")
        _create_private(path)
    elif path.is_dir():
        raise RecordsError(f"{path} is a folder; --db names the database file")
    else:
        _make_private(path)
    try:
        connection = sqlite3.connect(path)
    except sqlite3.Error as fault:
        raise RecordsError(f"{path}: cannot open the records database: {fault}") from None
    try:
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("PRAGMA foreign_keys = ON")
        _migrate(connection, path, create)
        yield Records(connection, path)
    except sqlite3.DatabaseError as fault:
        raise RecordsError(
            f"{path} is not a carecheck records database, or it is damaged ({fault}); choose another --db path"
        ) from None
    finally:
        connection.close()
