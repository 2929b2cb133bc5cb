"""The output and input formats, as choices the command line and the renderers share (no heavy imports here)."""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    """How one result is written: text for people, JSON for programs, Markdown and HTML documents to keep."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


class BatchInput(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


class BatchOutput(StrEnum):
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"


class ExportFormat(StrEnum):
    """How a stored intake record is exported: the record itself, a chart report, or FHIR for an EHR."""

    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    FHIR = "fhir"


class QuestionnaireFormat(StrEnum):
    """How a questionnaire is exported: a FHIR R5 Questionnaire (SDC) is the one form so far."""

    FHIR = "fhir"


class Shell(StrEnum):
    """The shells `carecheck completion` writes a completion script for (the ones typer completes in)."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"
    POWERSHELL = "powershell"


class ListFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
