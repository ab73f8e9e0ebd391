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
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

JSONL_SUFFIXES = (".jsonl", ".ndjson")
#: Lines read at a time from a JSONL stream.
JSONL_BLOCK = 1000
#: Read buffer of a JSONL file: with the default (the file system's block,
#: 4 KiB here) a story's line of ~5 KB takes read calls of its own; reading
#: the 100,000 lines of the benchmark corpus took 0.43-0.65 s with it and
#: 0.09-0.36 s with 1 MiB (three runs each, same hour).
READ_BUFFER = 1 << 20


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


def printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (which Python keeps as
    lone surrogates, and no JSON can hold) written as ``\\xfe`` escapes, so
    the document keeps a readable, distinct id instead of breaking the
    report."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def _read_text_file(path: Path, doc_id: str) -> Document | Problem:
    origin = printable(str(path))
    doc_id = printable(doc_id)
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


def parse_lines(name: str, first_line: int, first_offset: int, lines: list[bytes], fields: JsonlFields) -> list[Document | Problem]:
    """The documents and problems of consecutive JSONL lines of stream
    ``name``, the first numbered ``first_line`` at byte ``first_offset``
    (blank lines skipped)."""
    out = []
    offset = first_offset
    for lineno, raw in enumerate(lines, start=first_line):
        item = parse_jsonl_line(raw, f"{name}:{lineno}", fields, offset)
        offset += len(raw)
        if item is not None:
            out.append(item)
    return out


class UniqueIds:
    """The ids read so far: two documents under one id would make every
    report about that id ambiguous, so the second is an :class:`InputError`
    naming both places."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def check(self, doc_id: str, origin: str) -> None:
        first = self._seen.get(doc_id)
        if first is not None:
            again = " (the same input given twice)" if first == origin else ""
            raise InputError(f"duplicate id {doc_id!r}: {first} and {origin}{again}")
        self._seen[doc_id] = origin


@dataclass(frozen=True)
class JsonlLines:
    """Consecutive lines of a JSONL stream, read but not parsed: what
    :func:`read_documents` yields with ``blocks``, for a reader that parses
    elsewhere (``Index.add`` with jobs parses them in its worker processes:
    ~20 us a line, a tenth of what the writing process spent on a story).
    Whoever parses them (:meth:`parse`) hands the result to :meth:`accept`,
    which checks the ids against the others read."""

    name: str
    first_line: int
    first_offset: int
    lines: list[bytes]
    fields: JsonlFields
    ids: UniqueIds = field(compare=False, repr=False)

    def cut(self, size: int) -> tuple[JsonlLines, JsonlLines]:
        """The first ``size`` lines, and the rest."""
        head, rest = self.lines[:size], self.lines[size:]
        after = (self.first_line + len(head), self.first_offset + sum(map(len, head)))
        return (
            JsonlLines(self.name, self.first_line, self.first_offset, head, self.fields, self.ids),
            JsonlLines(self.name, *after, rest, self.fields, self.ids),
        )

    def parse(self) -> list[Document | Problem]:
        """:func:`parse_lines` of these lines (ids not checked)."""
        return parse_lines(self.name, self.first_line, self.first_offset, self.lines, self.fields)

    def accept(self, items: list, strict: bool = False) -> None:
        """Check the ids of what was parsed from these lines, problems and
        documents (anything with ``id`` and ``origin``) in line order; with
        ``strict``, stop at the first problem, as a reader that parsed the
        lines itself would have (:class:`InputError`)."""
        for item in items:
            if not isinstance(item, Problem):
                self.ids.check(item.id, item.origin)
            elif strict:
                raise InputError(f"{item.message} (--strict)")


def jsonl_blocks(stream: BinaryIO, name: str, fields: JsonlFields, size: int, ids: UniqueIds) -> Iterator[JsonlLines]:
    """The lines of a JSONL stream, ``size`` at a time."""
    line, offset, lines = 1, 0, []
    for raw in stream:
        lines.append(raw)
        if len(lines) == size:
            yield JsonlLines(name, line, offset, lines, fields, ids)
            line, offset, lines = line + size, offset + sum(map(len, lines)), []
    if lines:
        yield JsonlLines(name, line, offset, lines, fields, ids)


def read_jsonl(stream: BinaryIO, name: str, fields: JsonlFields) -> Iterator[Document | Problem]:
    """Documents of a JSONL stream; ``origin`` is ``name:line``."""
    for block in jsonl_blocks(stream, name, fields, JSONL_BLOCK, UniqueIds()):
        yield from block.parse()


def _jsonl(stream: BinaryIO, name: str, fields: JsonlFields, blocks: int, ids: UniqueIds) -> Iterator[Document | Problem | JsonlLines]:
    if blocks:
        yield from jsonl_blocks(stream, name, fields, blocks, ids)
    else:
        yield from read_jsonl(stream, name, fields)


def _read_path(arg: str, fields: JsonlFields, blocks: int, ids: UniqueIds) -> Iterator[Document | Problem | JsonlLines]:
    if arg == "-":
        yield from _jsonl(sys.stdin.buffer, "<stdin>", fields, blocks, ids)
        return
    path = Path(arg)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        for file in files:
            yield _read_text_file(file, file.relative_to(path).as_posix())
    elif path.is_file():
        if path.suffix.lower() in JSONL_SUFFIXES:
            with path.open("rb", buffering=READ_BUFFER) as stream:
                yield from _jsonl(stream, printable(arg), fields, blocks, ids)
        else:
            yield _read_text_file(path, arg)
    else:
        raise InputError(f"{arg}: no such file or directory")


def check_paths(paths: Iterable[str]) -> None:
    """Fail fast, before any work, on arguments that do not exist."""
    for arg in paths:
        if arg != "-" and not Path(arg).exists():
            raise InputError(f"{arg}: no such file or directory")


def read_documents(
    paths: Iterable[str], fields: JsonlFields = JsonlFields(), blocks: int = 0
) -> Iterator[Document | Problem | JsonlLines]:
    """Every document (or problem) of every path, in argument order.

    Raises :class:`InputError` for a duplicate id, naming both places: two
    documents under one id would make every report about that id ambiguous.
    ``blocks``: JSONL input comes as :class:`JsonlLines` of that many lines,
    unparsed (their ids are checked when they are accepted).
    """
    paths = list(paths)
    check_paths(paths)
    ids = UniqueIds()
    for arg in paths:
        for item in _read_path(arg, fields, blocks, ids):
            if isinstance(item, Document):
                ids.check(item.id, item.origin)
            yield item
