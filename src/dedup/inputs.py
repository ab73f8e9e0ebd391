"""Reading documents: text files, directories, JSONL files and stdin.

Bad input never disappears silently and never aborts a long run by itself:
every document that cannot be used becomes a :class:`Problem` naming where it
came from (file, byte offset of invalid UTF-8, JSONL line number) and why. The
caller decides whether a problem is fatal (``--strict``).

- A directory contributes every ``*.txt`` below it, recursively, in sorted
  order; a document's id is its path relative to the directory.
- A ``*.jsonl`` / ``*.ndjson`` file contributes one document per line (id and
  text fields configurable); blank lines are skipped.
- Any other file is one text document whose id is the path as given.
- ``-`` reads JSONL from standard input.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

JSONL_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Document:
    """One input document: ``origin`` says where it came from (path, or
    ``path:line`` for JSONL)."""

    id: str
    text: str
    origin: str


@dataclass(frozen=True)
class Problem:
    """A document (or file) that could not be used, and why.

    ``reason`` is a stable machine-readable code (``invalid_utf8``, ``empty``,
    ``binary``, ``malformed_json``, ``missing_field``, ``not_text``,
    ``unreadable``, ``too_short``); ``message`` is for people.
    """

    origin: str
    reason: str
    message: str
    id: str | None = None

    def as_dict(self) -> dict:
        return {"origin": self.origin, "id": self.id, "reason": self.reason, "message": self.message}


class InputError(Exception):
    """A usage-level input error (missing path, duplicate id): exit code 2."""


@dataclass(frozen=True)
class JsonlFields:
    """Which JSON fields hold the id and the text of a JSONL record."""

    id_field: str = "id"
    text_field: str = "text"


def decode_text(data: bytes, origin: str) -> str | Problem:
    """Decode a whole text document, or say precisely why it is unusable."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return Problem(origin, "binary", f"{origin}: not a text file (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return Problem(origin, "invalid_utf8", f"{origin}: invalid UTF-8 at byte offset {err.start}")
    if not text.strip():
        return Problem(origin, "empty", f"{origin}: empty document")
    return text


def _read_text_file(path: Path, doc_id: str) -> Document | Problem:
    origin = str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        return Problem(origin, "unreadable", f"{origin}: cannot read: {err.strerror}", doc_id)
    text = decode_text(data, origin)
    if isinstance(text, Problem):
        return Problem(text.origin, text.reason, text.message, doc_id)
    return Document(doc_id, text, origin)


def parse_jsonl_line(raw: bytes, origin: str, fields: JsonlFields, file_offset: int = 0) -> Document | Problem | None:
    """One JSONL line -> a document, a problem, or None for a blank line."""
    if not raw.strip():
        return None
    try:
        record = orjson.loads(raw)  # validates UTF-8 too
    except orjson.JSONDecodeError as err:
        # only now decode, to name the offending byte (decoding every line
        # first cost ~10 us a 2,700-character story, a tenth of adding it)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return Problem(origin, "invalid_utf8", f"{origin}: invalid UTF-8 at byte offset {file_offset + bad.start}")
        return Problem(origin, "malformed_json", f"{origin}: malformed JSON: {err}")
    if not isinstance(record, dict):
        return Problem(origin, "malformed_json", f"{origin}: expected a JSON object, got {type(record).__name__}")
    doc_id = record.get(fields.id_field)
    if doc_id is None or isinstance(doc_id, (dict, list, bool)):
        return Problem(origin, "missing_field", f"{origin}: no usable {fields.id_field!r} field (string or number)")
    doc_id = str(doc_id)
    text = record.get(fields.text_field)
    if text is None:
        return Problem(origin, "missing_field", f"{origin}: no {fields.text_field!r} field", doc_id)
    if not isinstance(text, str):
        return Problem(origin, "not_text", f"{origin}: {fields.text_field!r} is not a string", doc_id)
    if not text.strip():
        return Problem(origin, "empty", f"{origin}: empty document", doc_id)
    return Document(doc_id, text, origin)


def read_jsonl(stream: BinaryIO, name: str, fields: JsonlFields) -> Iterator[Document | Problem]:
    """Documents of a JSONL stream; ``origin`` is ``name:line``."""
    offset = 0
    for lineno, raw in enumerate(stream, start=1):
        item = parse_jsonl_line(raw, f"{name}:{lineno}", fields, offset)
        offset += len(raw)
        if item is not None:
            yield item


def _read_path(arg: str, fields: JsonlFields) -> Iterator[Document | Problem]:
    if arg == "-":
        yield from read_jsonl(sys.stdin.buffer, "<stdin>", fields)
        return
    path = Path(arg)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        for file in files:
            yield _read_text_file(file, file.relative_to(path).as_posix())
    elif path.is_file():
        if path.suffix.lower() in JSONL_SUFFIXES:
            with path.open("rb") as stream:
                yield from read_jsonl(stream, arg, fields)
        else:
            yield _read_text_file(path, arg)
    else:
        raise InputError(f"{arg}: no such file or directory")


def check_paths(paths: Iterable[str]) -> None:
    """Fail fast, before any work, on arguments that do not exist."""
    for arg in paths:
        if arg != "-" and not Path(arg).exists():
            raise InputError(f"{arg}: no such file or directory")


def read_documents(paths: Iterable[str], fields: JsonlFields = JsonlFields()) -> Iterator[Document | Problem]:
    """Every document (or problem) of every path, in argument order.

    Raises :class:`InputError` for a duplicate id, naming both places: two
    documents under one id would make every report about that id ambiguous.
    """
    paths = list(paths)
    check_paths(paths)
    seen: dict[str, str] = {}
    for arg in paths:
        for item in _read_path(arg, fields):
            if isinstance(item, Document):
                first = seen.setdefault(item.id, item.origin)
                if first != item.origin:
                    raise InputError(f"duplicate id {item.id!r}: {first} and {item.origin}")
            yield item
