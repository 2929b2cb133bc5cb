"""Drafts of unfinished interactive assessments: saved when a person stops, so that no answer typed is lost.

Drafts live in the user's own data folder (`drafts` in carecheck's data folder, which `places` finds: on Linux
~/.local/share/carecheck, on macOS ~/Library/Application Support/carecheck), a 0700 folder, one 0600 JSON file each,
written atomically. A draft is deleted once its assessment is finished.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from carecheck.core.errors import UsageError
from carecheck.store.files import private_folder, write_private

DRAFT_VERSION = 1


class Draft(NamedTuple):
    id: str
    path: Path
    saved_at: str
    questionnaire: str | None
    rules: str | None
    answers: dict[str, Any]
    position: str | None
    """The item the person was at when they stopped."""
    client: str | None = None
    """The client of a counselor's intake; None for a person's own assessment."""


def data_base() -> Path:
    """The folder that holds carecheck's data folder: see `places.data_base`."""
    from carecheck.store.places import data_base as system_data_base

    return system_data_base()


def data_folder(*parts: str) -> Path:
    """carecheck's own folder under the user's data folder (or a part of it), created 0700."""
    return private_folder(data_base(), "carecheck", *parts)


def drafts_folder() -> Path:
    return data_folder("drafts")


def save_draft(
    answers: dict[str, Any],
    position: str | None,
    questionnaire: str | None,
    rules: str | None,
    draft_id: str | None = None,
    client: str | None = None,
) -> Draft:
    """Save (or update) a draft; returns it, with the path to tell the person."""
    now = datetime.now(UTC)
    draft_id = draft_id or f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    path = drafts_folder() / f"{draft_id}.json"
    saved_at = now.isoformat(timespec="seconds")
    payload = {
        "draft_version": DRAFT_VERSION,
        "saved_at": saved_at,
        "questionnaire": questionnaire,
        "rules": rules,
        "position": position,
        "client": client,
        "answers": answers,
    }
    write_private(path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    return Draft(draft_id, path, saved_at, questionnaire, rules, answers, position, client)


def _read(path: Path) -> Draft | None:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return Draft(
            path.stem,
            path,
            str(payload["saved_at"]),
            payload.get("questionnaire"),
            payload.get("rules"),
            dict(payload["answers"]),
            payload.get("position"),
            payload.get("client"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_drafts() -> list[Draft]:
    """Readable drafts, newest first."""
    drafts = [draft for path in drafts_folder().glob("*.json") if (draft := _read(path)) is not None]
    return sorted(drafts, key=lambda draft: (draft.saved_at, draft.id), reverse=True)


def find_draft(draft_id: str | None, client: str | None = None) -> Draft:
    """A draft by id, or the newest one of this client's intakes (or, without a client, of a person's own
    assessments); UsageError when there is none, or when the draft named belongs to another client."""
    drafts = list_drafts()
    whose = f"client {client}'s intake" if client is not None else "your own assessment"
    if draft_id is None:
        for draft in drafts:
            if draft.client == client:
                return draft
        raise UsageError(f"there are no saved drafts of {whose}; an interview that is stopped saves one")
    for draft in drafts:
        if draft.id == draft_id:
            if draft.client != client:
                owner = f"client {draft.client}'s intake" if draft.client is not None else "a person's own assessment"
                raise UsageError(f"draft {draft_id} is {owner}, not {whose}; `carecheck drafts` lists them")
            return draft
    known = ", ".join(draft.id for draft in drafts) or "none"
    raise UsageError(f"no draft is called {draft_id!r}; saved drafts: {known}")


def delete_draft(draft: Draft) -> None:
    with contextlib.suppress(FileNotFoundError):
        draft.path.unlink()
