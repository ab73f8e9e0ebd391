"""Documents whose texts wait on disk while a scan runs.

A million 2,700-character Arabic articles are ~5.5 GB as Python strings,
more than the whole memory budget of a scan, yet a scan reads each text only
twice: once to sign it, and again only if it ends up in a candidate pair (a
few percent of documents). So :class:`SpooledDocuments` keeps ids and origins
in memory and writes each text, UTF-8 encoded, to an anonymous temporary file
(already unlinked: nothing is left behind, even after a crash; readable by
this user only). Texts are read back by offset (``os.pread``, which forked
workers can share). Standard input is covered too: nothing has to be re-read
from the original source. Plain UTF-8 bytes, nothing serialized.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from typing import overload

from .inputs import Document

#: Texts are buffered in memory up to this many bytes before a write.
WRITE_BUFFER = 1 << 22


class SpooledDocuments(Sequence[Document]):
    """A read-only sequence of documents (``append`` while reading them)."""

    def __init__(self, directory: str | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory)
        self._ids: list[str] = []
        self._origins: list[str] = []
        self._ends = array("q", [0])
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def append(self, document: Document) -> None:
        data = document.text.encode("utf-8")
        self._ids.append(document.id)
        self._origins.append(document.origin)
        self._ends.append(self._ends[-1] + len(data))
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= WRITE_BUFFER:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._file.write(b"".join(self._pending))
            self._file.flush()
            self._pending, self._pending_bytes = [], 0

    def close(self) -> None:
        self._file.close()

    def __len__(self) -> int:
        return len(self._ids)

    def texts(self, start: int, stop: int) -> list[str]:
        """Texts ``start..stop-1``, with one read."""
        return self.read_located(self.locate(start, stop))

    def locate(self, start: int, stop: int) -> array:
        """Where texts ``start..stop-1`` lie in the spool file: their byte
        offsets (written out first). Small and picklable, so a process forked
        before these texts were appended can still read them
        (:meth:`read_located`): the scan signs batches while it reads on."""
        self.flush()
        return self._ends[start : stop + 1]

    def read_located(self, ends: array) -> list[str]:
        """The texts at the offsets :meth:`locate` returned, with one read."""
        lo, hi = ends[0], ends[-1]
        data = os.pread(self._file.fileno(), hi - lo, lo)
        return [data[a - lo : b - lo].decode("utf-8") for a, b in zip(ends[:-1], ends[1:])]

    def text(self, i: int) -> str:
        return self.texts(i, i + 1)[0]

    @overload
    def __getitem__(self, i: int) -> Document: ...

    @overload
    def __getitem__(self, i: slice) -> list[Document]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return Document(self._ids[i], self.text(i), self._origins[i])

    def __iter__(self) -> Iterator[Document]:
        for start in range(0, len(self), 1024):
            stop = min(start + 1024, len(self))
            for i, text in zip(range(start, stop), self.texts(start, stop)):
                yield Document(self._ids[i], text, self._origins[i])


def texts_of(documents: Sequence[Document], start: int, stop: int) -> list[str]:
    """Texts ``start..stop-1`` of any document sequence (one read when spooled)."""
    if isinstance(documents, SpooledDocuments):
        return documents.texts(start, stop)
    return [d.text for d in documents[start:stop]]


def text_of(documents: Sequence[Document], i: int) -> str:
    return documents.text(i) if isinstance(documents, SpooledDocuments) else documents[i].text
