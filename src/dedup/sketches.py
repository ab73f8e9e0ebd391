"""The low byte of every indexed signature, for the screening prefilter.

Why: at a million stored stories, a screened story shares band keys with
hundreds to thousands of indexed documents (hot bands of common news
wording), of which almost none pass the MinHash prefilter. Reading each
candidate's row for its signature was most of the screening time (p99 70 ms
at a million). What the prefilter needs is kept here instead, 132 bytes a
document: its shingle count and the low byte of each of its 128 signature
values. Two values that are equal are equal in their low byte, so the
estimate from low bytes is never below the full estimate; the containment
the prefilter derives from an estimate grows with it. So a prefilter on
low bytes keeps every candidate the full prefilter keeps (and, by chance
agreements of 1 in 256, a few more): it decides which rows to read, and the
full prefilter then runs on exactly the rows it ran on before.

Stored in the index (table ``sketches``, written in the transaction that
stores the documents): blocks of :data:`BLOCK` consecutive document
numbers, each slot a little-endian uint32 shingle count (0: no document)
followed by the slots' low bytes. Document numbers are never reused (a
replaced document gets a new one), so a slot, once written, never changes:
a block a reader has cached can only lack documents added since, and a slot
found empty is read again.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import orjson

from .arrays import distinct
from .codepoints import kernel, sized

#: Document numbers a stored block covers (33 KB a block at 128 permutations).
BLOCK = 256


def _split(blob: bytes, num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.frombuffer(blob, dtype="<u4", count=BLOCK)
    low = np.frombuffer(blob, dtype=np.uint8, offset=4 * BLOCK).reshape(BLOCK, num_perm)
    return counts, low


def write(con: sqlite3.Connection, docs: np.ndarray, counts: np.ndarray, signatures: np.ndarray) -> None:
    """Store the slots of documents ``docs`` (numbers), in the caller's
    transaction."""
    if not len(docs):
        return
    num_perm = signatures.shape[1]
    low = (signatures & 0xFF).astype(np.uint8)
    blocks = docs // BLOCK
    for block in distinct(blocks).tolist():
        row = con.execute("SELECT data FROM sketches WHERE block = ?", (block,)).fetchone()
        if row is None:
            block_counts, block_low = np.zeros(BLOCK, "<u4"), np.zeros((BLOCK, num_perm), np.uint8)
        else:
            block_counts, block_low = (a.copy() for a in _split(row[0], num_perm))
        mine = blocks == block
        slots = docs[mine] % BLOCK
        block_counts[slots] = counts[mine]
        block_low[slots] = low[mine]
        con.execute(
            "INSERT OR REPLACE INTO sketches (block, data) VALUES (?, ?)",
            (block, block_counts.tobytes() + block_low.tobytes()),
        )


class Sketches:
    """The slots one connection has read, loaded by block on demand."""

    def __init__(self, con: sqlite3.Connection, num_perm: int):
        self._con = con
        self._num_perm = num_perm
        self._counts = np.zeros(0, dtype=np.uint32)
        self._low = np.zeros((0, num_perm), dtype=np.uint8)

    def _load(self, docs: np.ndarray) -> None:
        """Read the blocks of the documents whose slots are missing or empty."""
        size = self._counts.size
        inside = docs < size
        missing = np.concatenate([docs[~inside], docs[inside][self._counts[docs[inside]] == 0]])
        if not missing.size:
            return
        blocks = distinct(missing // BLOCK)
        end = (int(blocks[-1]) + 1) * BLOCK
        if end > size:
            grown = max(end, 2 * size)
            self._counts = np.concatenate([self._counts, np.zeros(grown - size, dtype=np.uint32)])
            self._low = np.concatenate([self._low, np.zeros((grown - size, self._num_perm), dtype=np.uint8)])
        rows = self._con.execute(
            "SELECT block, data FROM sketches WHERE block IN (SELECT value FROM json_each(?1))",
            (orjson.dumps(blocks.tolist()).decode(),),
        )
        for block, data in rows:
            counts, low = _split(data, self._num_perm)
            self._counts[block * BLOCK : (block + 1) * BLOCK] = counts
            self._low[block * BLOCK : (block + 1) * BLOCK] = low

    def get(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(shingle counts, low bytes)`` of documents ``docs`` (numbers);
        a count of 0: no such document."""
        self._load(docs)
        return self._counts[docs], self._low[docs]

    def estimates(self, docs: np.ndarray, signature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(shingle counts, estimates)`` of documents ``docs``: each
        one's share of low bytes equal to those of ``signature`` (what
        ``(low == signature & 0xFF).mean(axis=1)`` of :meth:`get` is),
        compared in place."""
        self._load(docs)
        mine = (signature & 0xFF).astype(np.uint8)
        return self._counts[docs], sized(_agreement, docs.size * mine.size)(self._low, docs, mine)


@kernel()
def _agreement(low, docs, mine):
    """Share of the bytes of row ``docs[n]`` of ``low`` equal to ``mine``,
    for each ``n``. A story with a band key held by thousands of documents
    has thousands of candidates: gathering their rows (128 bytes each, spread
    over the whole array) and then comparing them cost ~1 ms, reading each
    row once in place a fraction of it."""
    out = np.empty(docs.size, dtype=np.float64)
    for n in range(docs.size):
        row = low[docs[n]]
        same = 0
        for p in range(mine.size):
            if row[p] == mine[p]:
                same += 1
        out[n] = same / mine.size
    return out
