"""Reading definition and answer files: safe YAML and JSON with line numbers, limits, and the built-in definitions."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar, NamedTuple

import yaml

from carecheck.core.conditions import suggest
from carecheck.core.definitions import (
    Instrument,
    LoadedInstrument,
    LoadedQuestionnaire,
    LoadedRuleSet,
    Questionnaire,
    RuleSet,
)
from carecheck.core.errors import AnswerFileError, CarecheckError, DefinitionError, UsageError
from carecheck.core.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_INTEGER_DIGITS, MAX_NODES
from carecheck.core.sources import Path as KeyPath
from carecheck.core.sources import SourceMap

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """YAML 1.2's core schema, which editors, yaml-language-server and the JSON Schemas read, instead of PyYAML's
    YAML 1.1: `010` is 10 (not 8), `on`, `yes` and `1:05` are text, `1_0` is text. An answer means one thing."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, Any]]]] = {}  # only 1.2 core schema


_CORE_SCHEMA = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
)
for _tag, _pattern, _first in _CORE_SCHEMA:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _core_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    base = {"0o": 8, "0x": 16}.get(text[:2], 10)
    digits = text[2:] if base != 10 else text.lstrip("+-")
    if len(digits) > MAX_INTEGER_DIGITS:
        raise _ParseError(
            f"a number of {len(digits):,} digits; carecheck reads numbers of at most {MAX_INTEGER_DIGITS} digits",
            node.start_mark.line + 1,
        )
    return int(digits, base) if base != 10 else int(text, 10)


_Loader.add_constructor("tag:yaml.org,2002:int", _core_int)


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _ParseError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# --- YAML with line numbers ---------------------------------------------------------------------------------------


def _build(loader: Any, root: yaml.Node) -> tuple[Any, dict[KeyPath, int]]:
    lines: dict[KeyPath, int] = {}
    budget = [MAX_NODES]

    def build(node: yaml.Node, path: KeyPath, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _ParseError(f"the file expands to more than {MAX_NODES:,} values (an alias bomb?)", None)
        if depth > MAX_DEPTH:
            raise _ParseError(f"the file nests deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        lines.setdefault(path, node.start_mark.line + 1)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise _ParseError(
                f"the tag {node.tag!r} is not allowed: plain mappings and lists only", node.start_mark.line + 1
            )
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if key is None or isinstance(key, (list, dict)):
                    raise _ParseError("keys must be plain words or numbers", key_node.start_mark.line + 1)
                if key in result:
                    raise _ParseError(
                        f"the key {key!r} appears twice in one mapping (the second is at this line); keep one of them",
                        key_node.start_mark.line + 1,
                    )
                lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = build(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(child, (*path, index), depth + 1) for index, child in enumerate(node.value)]
        return loader.construct_object(node)

    return build(root, (), 0), lines


def parse_yaml(text: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse one YAML document safely, keeping the line of every key; raises _ParseError."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        return _build(loader, root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "the YAML cannot be read"
        raise _ParseError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise _ParseError(f"invalid YAML: {error}", None) from None
    except RecursionError:
        raise _ParseError(f"the file nests deeper than {MAX_DEPTH} levels", None) from None
    finally:
        loader.dispose()


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _ParseError(f"the key {key!r} appears twice; keep one of them", None)
        result[key] = value
    return result


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        digits = len(text.lstrip("-"))
        raise _ParseError(
            f"a number of {digits:,} digits; carecheck reads numbers of at most {MAX_INTEGER_DIGITS} digits", None
        )
    return int(text)


def _within_depth(data: Any) -> Any:
    """JSON has no node budget like YAML's; its nesting gets the same limit."""
    level, depth = [data], 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise _ParseError(f"the file nests deeper than {MAX_DEPTH} levels", None)
        level = [
            child
            for node in level
            if isinstance(node, (dict, list))
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
    return data


def parse_answers_text(text: str) -> Any:
    """Parse answers given as JSON or YAML, told apart by content: JSON first where it looks like JSON."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return _within_depth(json.loads(text, object_pairs_hook=_reject_duplicates, parse_int=_bounded_int))
        except json.JSONDecodeError as error:
            if stripped.startswith("["):
                raise _ParseError(f"invalid JSON: {error.msg}", error.lineno) from None
            # A `{` may open a YAML flow mapping too; YAML gets the last word.
        except RecursionError:
            raise _ParseError(f"the file nests deeper than {MAX_DEPTH} levels", None) from None
    return parse_yaml(text)[0]


def _decode(data: bytes, name: str, error: type[CarecheckError]) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise error(f"{name}: the file is {len(data) / 1e6:.1f} MB; carecheck reads at most {MAX_FILE_BYTES >> 20} MB")
    if b"\0" in data:
        raise error(f"{name}: this is a binary file, not YAML or JSON text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as fault:
        raise error(f"{name}: the file is not UTF-8 text (byte {fault.start}); save it as UTF-8") from None


def _read_bytes(path: Path, error: type[CarecheckError], what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{path}: no such {what}; check the path") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except OSError as fault:
        raise error(f"{path}: cannot read the {what}: {fault.strerror}") from None
    return data


# --- answers ------------------------------------------------------------------------------------------------------


def read_answers(source: str, stdin: IO[bytes] | None = None) -> dict[str, Any]:
    """Read one answer file (`-` for standard input) into a mapping of item id to raw answer."""
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        name = "standard input"
        data = stream.read(MAX_FILE_BYTES + 1)
    else:
        name = source
        data = _read_bytes(Path(source), AnswerFileError, "answer file")
    return answers_from_text(_decode(data, name, AnswerFileError), name)


def answers_from_text(text: str, name: str) -> dict[str, Any]:
    """Parse answer text (YAML or JSON) and check it is a mapping."""
    if not text.strip():
        raise AnswerFileError(f"{name}: is empty; it should map item ids to answers, such as `age: 35`")
    try:
        data = parse_answers_text(text)
    except _ParseError as fault:
        where = f"{name}:{fault.line}" if fault.line else name
        raise AnswerFileError(f"{where}: {fault.message}") from None
    if data is None:
        raise AnswerFileError(f"{name}: holds no answers; it should map item ids to answers, such as `age: 35`")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
        raise AnswerFileError(f"{name}: is {kind}, not a mapping of item ids to answers (such as `age: 35`)")
    return data


# --- definitions --------------------------------------------------------------------------------------------------


def builtin_folder(kind: str) -> Path:
    """The folder of built-in definitions: inside the installed package, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / kind, package.parent.parent / kind):
        if candidate.is_dir():
            return candidate
    raise CarecheckError(f"carecheck's built-in {kind} are missing from this installation; reinstall carecheck")


def builtin_names(kind: str) -> list[str]:
    return sorted(p.stem for p in builtin_folder(kind).glob("*.yaml"))


def resolve(kind: str, name_or_path: str) -> Path:
    """A built-in definition's name (`self-assessment`) or a path to a file of one's own."""
    path = Path(name_or_path)
    # A bare word is always a built-in name, whatever happens to lie in the current folder.
    if path.suffix in (".yaml", ".yml", ".json") or "/" in name_or_path or os.sep in name_or_path:
        if not path.is_file():
            raise UsageError(f"{name_or_path}: no such file; give a path to a {kind[:-1]} file or a built-in name")
        return path
    builtin = builtin_folder(kind) / f"{name_or_path}.yaml"
    if builtin.is_file():
        return builtin
    names = builtin_names(kind)
    raise UsageError(
        f"no built-in {kind[:-1]} is called {name_or_path!r}{suggest(name_or_path, names)}; "
        f"built-in: {', '.join(names)}; or give a path to a file"
    )


def display_name(path: Path) -> str:
    """How a definition file is named in messages: relative to the current folder where it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _load_model(path: Path, model: type[Any]) -> tuple[Any, SourceMap, bytes]:
    document = _read_document(path)
    source = SourceMap(display_name(path), document.lines)
    from carecheck.load.models import validate  # pydantic, only when a file is read rather than found in the cache

    return validate(model, document.raw, source), source, document.data[0]


def load_questionnaire(path: Path) -> LoadedQuestionnaire:
    """Load a questionnaire file, with any questionnaire it `extends` merged in, and the instrument files it
    includes; raises DefinitionError naming file:line."""
    questionnaire, source, digest, bases = _load_extended(path, "questionnaires", Questionnaire)
    instruments: dict[str, LoadedInstrument] = {}
    for instrument_id, relative in questionnaire.instruments.items():
        instrument_path = path.parent / relative
        where = (source.file_of(("instruments", instrument_id)), source.line(("instruments", instrument_id)))
        if not instrument_path.is_file():
            raise DefinitionError(
                f"instrument {instrument_id!r}: no file at {relative!r} (paths are relative to this file)", *where
            )
        instrument, instrument_source, instrument_data = _load_model(instrument_path, Instrument)
        if instrument.id != instrument_id:
            raise DefinitionError(
                f"instrument {instrument_id!r} points at a file whose id is {instrument.id!r}; make them agree", *where
            )
        digest.update(instrument_data)
        instruments[instrument_id] = LoadedInstrument(instrument, instrument_source)
    return LoadedQuestionnaire(questionnaire, source, instruments, digest.hexdigest(), bases)


def load_instrument(path: Path) -> LoadedInstrument:
    """Load one instrument file on its own (for `validate`)."""
    instrument, source, _ = _load_model(path, Instrument)
    return LoadedInstrument(instrument, source)


_KEYED_LISTS: dict[str, frozenset[KeyPath]] = {
    "rules": frozenset(
        [
            *[("criteria",), ("levels",), ("derived",), ("placement",), ("profile",), ("notes",), ("invariants",)],
            *[("suggestions", "programs"), ("suggestions", "modalities")],
        ]
    ),
    "questionnaires": frozenset([("sections",)]),
}
"""Lists of entries with ids, which `extends` merges entry by entry."""

_MERGED_MAPPINGS: dict[str, frozenset[KeyPath]] = {
    "rules": frozenset([("suggestions",)]),
    "questionnaires": frozenset([("instruments",)]),
}
"""Mappings that `extends` merges key by key (any other key given in the extending file replaces the base's)."""

_KIND_WORDS = {"rules": "rule set", "questionnaires": "questionnaire"}


class _Document(NamedTuple):
    raw: dict[str, Any]
    lines: dict[KeyPath, int]
    files: dict[KeyPath, str]
    data: list[bytes]
    bases: list[str]


def _read_document(path: Path) -> _Document:
    name = display_name(path)
    data = _read_bytes(path, DefinitionError, "definition file")
    text = _decode(data, name, DefinitionError)
    try:
        raw, lines = parse_yaml(text)
    except _ParseError as fault:
        raise DefinitionError(fault.message, name, fault.line) from None
    if not isinstance(raw, dict):
        raise DefinitionError(
            f"should be a mapping of keys such as `id:` and `version:`, not {type(raw).__name__}", name, 1
        )
    return _Document(raw, lines, {}, [data], [])


def _extended(path: Path, kind: str, seen: tuple[Path, ...] = ()) -> _Document:
    """A rule set or questionnaire document with what it extends merged in, remembering where each part came from."""
    child = _read_document(path)
    base_name = child.raw.get("extends")
    if base_name is None:
        return child
    name = display_name(path)
    where = child.lines.get(("extends",))
    word = _KIND_WORDS[kind]
    if not isinstance(base_name, str):
        raise DefinitionError(f"`extends` names one {word}: a built-in name or a path", name, where)
    base_path = path.parent / base_name if (Path(base_name).suffix or "/" in base_name) else None
    try:
        base_path = base_path if base_path is not None else resolve(kind, base_name)
    except UsageError as error:
        raise DefinitionError(f"`extends`: {error.message}", name, where) from None
    if not base_path.is_file():
        raise DefinitionError(f"`extends`: no {word} at {base_name!r} (paths are relative to this file)", name, where)
    if base_path.resolve() in seen:
        raise DefinitionError("`extends` goes round in a circle back to this file", name, where)
    base = _extended(base_path, kind, (*seen, path.resolve()))
    merged = _merge(base, child, display_name(base_path), kind)
    _anchor_base_paths(merged, child, base_path, kind)
    return merged._replace(data=base.data + child.data, bases=[str(base_path.resolve()), *base.bases])


def _anchor_base_paths(merged: _Document, child: _Document, base_path: Path, kind: str) -> None:
    """Paths the base file gives are relative to the base file: make them absolute before they move."""

    def anchored(named: str) -> str:
        return str((base_path.parent / named).resolve()) if (Path(named).suffix or "/" in named) else named

    if kind == "rules":
        named = merged.raw.get("questionnaire")
        if "questionnaire" not in child.raw and isinstance(named, str):
            merged.raw["questionnaire"] = anchored(named)
        return
    instruments = merged.raw.get("instruments")
    given = child.raw.get("instruments")
    if isinstance(instruments, dict):
        for key, relative in instruments.items():
            if isinstance(relative, str) and not (isinstance(given, dict) and key in given):
                instruments[key] = str((base_path.parent / relative).resolve())


def _merge(base: _Document, child: _Document, base_file: str, kind: str) -> _Document:
    raw: dict[str, Any] = {}
    lines: dict[KeyPath, int] = {}
    files: dict[KeyPath, str] = {}
    keyed, mappings = _KEYED_LISTS[kind], _MERGED_MAPPINGS[kind]
    # Each document's paths by every prefix they have: moving a part of a document then touches only that part's
    # own paths, so merging stays linear in the documents' sizes (20,000 rules and more).
    under = {id(doc): (_by_prefix(doc.lines), _by_prefix(doc.files)) for doc in (base, child)}

    def take(doc: _Document, source: KeyPath, target: KeyPath, file: str | None) -> None:
        line_keys, file_keys = under[id(doc)]
        for key in line_keys.get(source, ()):
            lines[target + key[len(source) :]] = doc.lines[key]
        for key in file_keys.get(source, ()):
            files[target + key[len(source) :]] = doc.files[key]
        if file is not None:
            files[target] = file

    def merge(path: KeyPath, base_map: dict[str, Any], child_map: dict[str, Any], out: dict[str, Any]) -> None:
        for key in [*base_map, *(k for k in child_map if k not in base_map)]:
            here = (*path, key)
            if here == ("extends",):
                continue
            both = key in base_map and key in child_map
            if both and here in keyed and isinstance(base_map[key], list) and isinstance(child_map[key], list):
                entries, origins = _merge_entries(base_map[key], child_map[key])
                out[key] = entries
                lines[here] = child.lines[here]
                for target, (from_child, index) in enumerate(origins):
                    doc, file = (child, None) if from_child else (base, base_file)
                    take(doc, (*here, index), (*here, target), file)
            elif both and here in mappings and isinstance(base_map[key], dict) and isinstance(child_map[key], dict):
                out[key] = {}
                lines[here] = child.lines[here]
                merge(here, base_map[key], child_map[key], out[key])
            elif key in child_map:
                out[key] = child_map[key]
                take(child, here, here, None)
            else:
                out[key] = base_map[key]
                take(base, here, here, base_file)

    merge((), base.raw, child.raw, raw)
    lines.setdefault((), child.lines.get((), 1))
    raw["extends"] = child.raw["extends"]  # kept, so that the loaded definition says what it builds on
    return _Document(raw, lines, files, [], [])


def _by_prefix(table: dict[KeyPath, Any]) -> dict[KeyPath, list[KeyPath]]:
    index: dict[KeyPath, list[KeyPath]] = {}
    for key in table:
        for length in range(len(key) + 1):
            index.setdefault(key[:length], []).append(key)
    return index


def _merge_entries(base: list[Any], child: list[Any]) -> tuple[list[Any], list[tuple[bool, int]]]:
    """Base entries in order, each replaced by the child's entry with the same id; the child's new ones after."""
    child_by_id = {entry.get("id"): i for i, entry in enumerate(child) if isinstance(entry, dict)}
    used: set[int] = set()
    entries: list[Any] = []
    origins: list[tuple[bool, int]] = []
    for index, entry in enumerate(base):
        replacement = child_by_id.get(entry.get("id")) if isinstance(entry, dict) else None
        if replacement is not None:
            used.add(replacement)
            entries.append(child[replacement])
            origins.append((True, replacement))
        else:
            entries.append(entry)
            origins.append((False, index))
    for index, entry in enumerate(child):
        if index not in used:
            entries.append(entry)
            origins.append((True, index))
    return entries, origins


def load_rules(path: Path) -> LoadedRuleSet:
    """Load a rule set file, with any rule set it `extends` merged in; raises DefinitionError naming file:line."""
    rules, source, digest, bases = _load_extended(path, "rules", RuleSet)
    return LoadedRuleSet(rules, source, digest.hexdigest(), bases)


def _load_extended(path: Path, kind: str, model: type[Any]) -> tuple[Any, SourceMap, Any, tuple[str, ...]]:
    """A definition with what it `extends` merged in, validated; with where each part came from, a hash of every
    file's bytes (more may be added, such as instruments), and the base files."""
    document = _extended(path, kind)
    source = SourceMap(display_name(path), document.lines, document.files)
    from carecheck.load.models import validate  # pydantic, only when a file is read rather than found in the cache

    digest = hashlib.sha256()
    for data in document.data:
        digest.update(data)
    return validate(model, document.raw, source), source, digest, tuple(document.bases)


def iter_definition_files(paths: list[Path]) -> Iterator[tuple[str, Path]]:
    """Each file to validate with its kind (`questionnaires` or `rules`), told apart by its top-level keys."""
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            if not file.is_file():
                raise UsageError(f"{file}: no such file or folder")
            text = "\n" + file.read_text(encoding="utf-8", errors="replace")
            if "\nplacement:" in text or ("\nextends:" in text and "\nsections:" not in text):
                kind = "rules"
            elif "\nscoring:" in text and "\nsections:" not in text:
                kind = "instruments"
            else:
                kind = "questionnaires"
            yield kind, file
