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


APPLICATION_ID = 0x43415245  # "CARE": in the SQLite header, so a carecheck database is known before it is opened
"""Written with the first migration; databases made before it are known by their schema version instead."""

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _checked_file(path: Path, create: bool) -> None:
    """Make sure `path` is a database carecheck may open, before SQLite touches it (see `store.files`).

    A missing file is created 0600 (reading commands never create one). An existing one must be a regular file of
    the user's own, not reached through a link, and empty or an SQLite database; only a database that is
    carecheck's own (or an empty file) is ever made 0600. Anything else is refused, unchanged, with the reason.
    """
    from carecheck.store.drafts import data_base, data_folder
    from carecheck.store.files import WriteError, create_new, refusal

    if not os.path.lexists(path):
        if not create:
            raise RecordsError(f"no records database at {path} yet: the first `carecheck intake` creates it")
        try:
            if path.parent == data_base() / "carecheck":
                data_folder()  # carecheck's own data folder, made 0700 like the drafts beside it
            elif not path.parent.is_dir():
                raise RecordsError(
                    f"{path}: the folder {path.parent} does not exist; create it or choose another --db path"
                )
            if create_new(path):  # 0600 before SQLite opens it: SQLite gives its journal files the database's mode
                return
        except WriteError as fault:
            raise RecordsError(f"cannot create the records database: {fault.message}") from None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        descriptor = -1
    try:
        status = os.fstat(descriptor) if descriptor >= 0 else os.lstat(path)
        reason = refusal(path, status, "database file")
        if reason is not None:
            raise RecordsError(reason.replace("name the database file itself", "give --db the database file itself"))
        header = os.pread(descriptor, 100, 0)
        ours = not header or (
            header.startswith(_SQLITE_MAGIC)
            and len(header) == 100
            and (
                int.from_bytes(header[68:72], "big") == APPLICATION_ID
                or (int.from_bytes(header[68:72], "big") == 0 and int.from_bytes(header[60:64], "big") > 0)
            )
        )
        if not header.startswith(_SQLITE_MAGIC) and header:
            raise RecordsError(
                f"{path} is not a carecheck records database (not an SQLite file at all); carecheck changed nothing "
                "in it: choose another --db path"
            )
        if not ours and int.from_bytes(header[28:32], "big") > 1:  # pages beyond the first hold someone's tables
            raise RecordsError(
                f"{path} is another program's database, not carecheck's records; choose another --db path"
            )
        if status.st_mode & 0o077:
            if not ours:
                raise RecordsError(
                    f"{path} can be read by other users and is not carecheck's own database, so carecheck leaves "
                    f"it as it is: run `chmod 600 {path}` or choose another --db path"
                )
            try:
                os.fchmod(descriptor, 0o600)  # a carecheck database others could read is made private first
            except OSError:
                raise RecordsError(
                    f"{path} can be read by other users and carecheck cannot change that; run `chmod 600 {path}` "
                    "or choose another --db path"
                ) from None
    except OSError as fault:
        raise RecordsError(f"{path}: cannot open the records database: {fault.strerror}") from None
    finally:
        if descriptor >= 0:
            os.close(descriptor)


def _same_file(path: Path, before: os.stat_result) -> bool:
    try:
        now = os.lstat(path)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (before.st_dev, before.st_ino)


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


def _migrate(connection: sqlite3.Connection, path: Path, create: bool) -> None:
    """Bring the schema up to date in one transaction that holds the write lock: parallel first intakes on a new
    database wait for each other, and the first one's tables are seen by the rest."""
    if int(connection.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
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
            connection.execute(MIGRATIONS[number])
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


LOCK_TIMEOUT_SECONDS = 10.0
"""How long a command waits for another one (an intake being stored) to release the database."""


def _database_fault(path: Path, fault: sqlite3.Error) -> RecordsError:
    """SQLite's fault in words that say what happened: a lock, a full disk and a damaged file are not alike."""
    code = getattr(fault, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return RecordsError(
            f"{path} is in use by another program (still locked after {LOCK_TIMEOUT_SECONDS:.0f} s); try again when "
            "it is done"
        )
    if primary == sqlite3.SQLITE_FULL:
        return RecordsError(f"{path}: the disk is full, so nothing was stored; free some space and try again")
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_PERM):
        return RecordsError(f"{path}: cannot use the records database: {fault}; check the file and its folder")
    return RecordsError(
        f"{path} is not a carecheck records database, or it is damaged ({fault}); choose another --db path"
    )


@contextlib.contextmanager
def open_records(path: Path | None = None, *, create: bool = True) -> Iterator[Records]:
    """The records database at `path` (default: `default_path()`), created 0600 and migrated to the current schema.

    With `create=False` a missing database is an error, so that reading commands never leave an empty file behind.
    """
    path = path if path is not None else default_path()
    _checked_file(path, create)
    before = os.lstat(path)
    try:
        connection = sqlite3.connect(path, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as fault:
        raise _database_fault(path, fault) from None
    try:
        if not _same_file(path, before):
            raise RecordsError(f"{path} was replaced while carecheck opened it; try again")
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("PRAGMA foreign_keys = ON")
        _migrate(connection, path, create)
        connection.isolation_level = "DEFERRED"  # from here on, `with connection` makes each change one transaction
        yield Records(connection, path)
    except sqlite3.Error as fault:
        raise _database_fault(path, fault) from None
    finally:
        connection.close()
