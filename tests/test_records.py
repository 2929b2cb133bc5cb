"""The records database: private, versioned with migrations, found again by client, and a real delete."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from carecheck import load_assessor
from carecheck.clinic.record import Override, build_record
from carecheck.store.records import MIGRATIONS, SCHEMA_VERSION, RecordsError, default_path, open_records
from intake_answers import drinking


def record(client: str = "C-1", created: str = "2026-11-26T19:30:12Z", **kwargs: Any) -> dict[str, Any]:
    assessor = load_assessor(rules="counselor-intake")
    result = assessor.assess(drinking(ciwa=12, clinician_note=kwargs.pop("note", "Tremor at rest.")))
    return build_record(
        assessor, result, client=client, counselor="R. Diaz", created=created, carecheck_version="9", **kwargs
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_is_readable_by_the_owner_alone(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    with open_records(path) as records:
        records.add(record(override=None))
    assert mode(path) == 0o600
    assert not list(tmp_path.glob("*-journal")), "the journal is gone once a write is committed"


def test_the_default_database_lives_in_a_private_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARECHECK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with open_records() as records:
        records.add(record(override=None))
    assert default_path() == tmp_path / "data" / "carecheck" / "records.sqlite3"
    assert mode(default_path()) == 0o600
    assert mode(default_path().parent) == 0o700


def test_carecheck_db_names_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECHECK_DB", str(tmp_path / "clinic.db"))
    assert default_path() == tmp_path / "clinic.db"


def test_records_are_found_again_by_client_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with open_records(path) as records:
        first = records.add(record("C-1", "2026-11-01T09:00:00Z", override=None))
        records.add(record("C-2", "2026-11-02T09:00:00Z", override=None))
        third = records.add(record("C-1", "2026-11-20T09:00:00Z", override=Override("inpatient", "Lives alone.")))
    with open_records(path, create=False) as records:
        listed = records.find("C-1")
        assert [row.id for row in listed] == [third, first]
        assert (listed[0].computed_level, listed[0].chosen_level) == ("php", "inpatient")
        assert len(records.find()) == 3
        stored = records.get(third)
    assert stored["id"] == third
    assert stored["override"] == {"level": "inpatient", "reason": "Lives alone."}


def test_a_deleted_record_is_gone_from_the_file_itself(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    secret = "Unmistakable note 7f3a9c about the client"
    with open_records(path) as records:
        kept = records.add(record(note="Another note", override=None))
        gone = records.add(record(note=secret, override=None))
    assert secret.encode() in path.read_bytes()
    with open_records(path, create=False) as records:
        records.delete(gone)
        with pytest.raises(RecordsError, match=f"no record {gone}"):
            records.get(gone)
        assert records.get(kept)["id"] == kept
    assert secret.encode() not in path.read_bytes(), "secure_delete overwrites the freed bytes"


def test_reading_never_creates_a_database(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    with pytest.raises(RecordsError, match="no records database"), open_records(path, create=False):
        pass
    assert not path.exists()


def test_an_older_database_is_migrated_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o600)
    connection = sqlite3.connect(path)
    connection.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    connection.execute(
        "INSERT INTO intake (client, counselor, created, computed_level, chosen_level, urgent, document)"
        " VALUES ('C-9', NULL, '2026-01-01T00:00:00Z', 'iop', 'iop', 0, '{\"id\": 1, \"client\": \"C-9\"}')"
    )
    connection.commit()
    connection.close()
    with open_records(path, create=False) as records:
        assert [row.client for row in records.find("C-9")] == ["C-9"]
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexes = {row[1] for row in connection.execute("PRAGMA index_list(intake)")}
    connection.close()
    assert "intake_by_client" in indexes


def test_a_database_from_a_newer_carecheck_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(RecordsError, match="newer carecheck"), open_records(path):
        pass


def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 200)
    with pytest.raises(RecordsError, match="not a carecheck records database"), open_records(path):
        pass


def test_a_missing_folder_for_db_is_named(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="does not exist"), open_records(tmp_path / "nope" / "r.db"):
        pass


def test_an_existing_database_others_could_read_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "open.db"
    path.touch()
    path.chmod(0o644)
    with open_records(path) as records:
        records.add(record(override=None))
    assert mode(path) == 0o600


def test_another_programs_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.commit()
    connection.close()
    with pytest.raises(RecordsError, match="another program's database"), open_records(path):
        pass
    connection = sqlite3.connect(path)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    connection.close()
    assert tables == {"notes"}


def test_reading_an_empty_file_writes_nothing_into_it(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(RecordsError, match="no records in"), open_records(path, create=False):
        pass
    assert path.stat().st_size == 0


# --- files that are not ours --------------------------------------------------------------------------------------

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: making a device node or another user's file")


def test_a_text_file_given_as_db_is_refused_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n")
    path.chmod(0o644)
    with pytest.raises(RecordsError, match="not an SQLite file at all"), open_records(path, create=False):
        pass
    assert mode(path) == 0o644
    assert path.read_text() == "shopping list\n"


def test_a_link_given_as_db_is_refused_and_its_target_left_alone(tmp_path: Path) -> None:
    bashrc = tmp_path / "bashrc"
    bashrc.write_text("alias ll='ls -l'\n")
    bashrc.chmod(0o644)
    link = tmp_path / "records.sqlite3"
    link.symlink_to(bashrc)
    for create in (True, False):
        with pytest.raises(RecordsError, match="symbolic link"), open_records(link, create=create):
            pass
    assert mode(bashrc) == 0o644


@as_root
def test_a_device_given_as_db_is_refused(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    null.chmod(0o666)
    with pytest.raises(RecordsError, match="not a regular file"), open_records(null):
        pass
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert mode(null) == 0o666


def test_a_fifo_given_as_db_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(RecordsError, match="not a regular file"), open_records(fifo):
        pass


@as_root
def test_another_users_database_is_refused_even_to_root(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    with open_records(path) as records:
        records.add(record(override=None))
    path.chmod(0o666)
    os.chown(path, 65534, 65534)
    before = path.read_bytes()
    with pytest.raises(RecordsError, match="belongs to another user"), open_records(path):
        pass
    assert path.read_bytes() == before
    assert mode(path) == 0o666


# --- one transaction, and faults named for what they are ----------------------------------------------------------


def _store_when_all_are_ready(path: Path, document: dict[str, Any], ready: Any, failures: Any) -> None:
    ready.wait()
    try:
        with open_records(path) as records:
            records.add(document)
    except RecordsError as fault:
        failures.put(fault.message)


@pytest.mark.slow
def test_forty_first_intakes_at_once_on_a_new_database_all_succeed(tmp_path: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    path = tmp_path / "new.db"
    ready, failures = context.Barrier(40), context.Queue()
    document = record(override=None)
    starts = [
        context.Process(target=_store_when_all_are_ready, args=(path, document, ready, failures)) for _ in range(40)
    ]
    for process in starts:
        process.start()
    for process in starts:
        process.join(60)
    messages = [failures.get() for _ in range(failures.qsize())]
    assert messages == []
    with open_records(path, create=False) as records:
        assert len(records.find()) == 40


def test_a_database_locked_too_long_is_reported_as_locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carecheck.store import records as records_module

    path = tmp_path / "busy.db"
    with open_records(path) as records:
        records.add(record(override=None))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(records_module, "LOCK_TIMEOUT_SECONDS", 0.05)
    try:
        with pytest.raises(RecordsError, match="in use by another program"), open_records(path) as records:
            records.add(record(override=None))
    finally:
        holder.close()


def test_a_full_disk_is_reported_as_a_full_disk(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    document = record(override=None)

    def store_until_full() -> None:
        with open_records(path) as records:
            records._db.execute("PRAGMA max_page_count = 4")  # what a full disk answers, without filling one
            for _ in range(50):
                records.add(document)

    with pytest.raises(RecordsError, match="the disk is full"):
        store_until_full()
