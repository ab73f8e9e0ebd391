"""A persistent index of documents: one SQLite file a desk or a CI job keeps.

What a store holds, and why:

- ``meta``: the index schema version and the parameters the store was built
  with (:func:`dedup.report.config_parameters`). Signatures, band keys and
  shingle sets only mean something under those parameters, so a store opened
  with other parameters, or written by a newer schema, is refused with a
  message naming what differs.
- ``docs``: per document its id, origin, number of shingles, MinHash
  signature (little-endian uint32; the candidate prefilter's estimate) and
  its ORIGINAL text
  (:func:`_pack`: one byte a character in windows-1256 plus the Arabic-Indic
  digits when the text fits that Arabic code page, as ~98% of real news does,
  ~10x faster than compressing and as small; else zlib of its UTF-8). The
  original is what ``dedup explain`` shows, and all exact verification needs:
  a candidate's normalized text and 64-bit shingle set are recomputed from it
  at query time (a few candidates a query) instead of stored. Stored shingle
  sets would take ~21 KB a document (21 GB at a million); a stored normalized
  text is a pure function of the original under the normalization version
  the store records (and refuses to mix).
- ``segments``, ``postings``, ``filters``, ``removed`` (:mod:`dedup.postings`): for each
  band key, the documents holding it, as sorted immutable segments of blobs
  merged a few at a time (a log-structured merge). Two kinds: document band
  keys, a 63-bit hash of the band number and the band's ``rows`` signature
  values (two documents whose band is equal always share the key, so no
  candidate of ``MinHashLSH`` is lost; a rare hash collision only adds a
  candidate, and every candidate is verified exactly); and the band keys
  (32 bits) of the document's containment windows (non-overlapping 30-word
  windows, :func:`dedup.scan.window_band_keys`, the keys the scan bands). A
  trimmed re-send of a story (its text contained in the longer one,
  whole-document Jaccard 0.3 to 0.5) rarely shares a whole-document band, but
  shares whole windows; a screened story looks its windows' keys up too, and
  like the scan ignores a window that collides with more than
  ``max_window_docs`` documents (boilerplate).
- ``sketches``: every document's shingle count and the low byte of each
  signature value (:mod:`dedup.sketches`), in blocks of consecutive document
  numbers. A screened story's band and window keys give document numbers
  only; the sketches, cached by the reading process, drop the candidates that
  cannot be duplicates before any row is read (at a million documents, common
  wording gives a story hundreds to thousands of candidates, nearly all
  dropped). Document numbers are never reused (``meta`` ``next_doc``), so a
  cached sketch never belongs to another document.

Writes: WAL journal, every write transaction ``BEGIN IMMEDIATE`` under a busy
timeout. A deferred transaction that starts reading and then wants to write
cannot wait for a concurrent writer (SQLite returns "database is locked" at
once, without calling the busy handler, to avoid a deadlock), so two
concurrent ``index add`` would lose batches; an immediate transaction takes
the write lock first and waits for it. ``synchronous=NORMAL`` in WAL mode:
a committed transaction survives the process being killed (it is in the WAL
file, which the OS has); only a power loss or OS crash can lose the last
transactions, never corrupt the file. Documents are added in batches, one
transaction each, so a killed ``index add`` keeps every committed batch.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import sqlite3
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from .arrays import distinct
from .inputs import Document, InputError, JsonlFields, JsonlLines, Problem, parse_jsonl_line, parse_lines
from .codepoints import encode, normalize_encoded, normalize_many
from .evidence import passage_objects
from .normalize import OffsetMap, normalize_with_offsets
from .minhash import hash_encoded, sign_encoded
from .report import config_parameters
from .scan import ScanConfig, window_band_keys, window_config
from .verdict import Verdict, judge, lead
from .lsh import band_keys, lsh_params  # band_keys moved to lsh: the scan bands windows with it too
from . import sketches
from .postings import BANDS, WINDOWS, Postings
from .postings import SCHEMA as POSTINGS_SCHEMA
from .verify import intersection_sizes, plausible_estimates

#: Version of the store's layout. Stores written by a newer version are
#: refused (this code cannot know what changed); older ones too, until a
#: migration exists.
INDEX_SCHEMA_VERSION = 5  # 2: text in a one-byte Arabic code page or zlib, tagged; three band tables; 3: window band tables; 4: sketches, postings in segments, document numbers never reused; 5: the verdict rule `reworded` in the stored config
#: Older schemas this dedup still opens, with what their stored config lacks:
#: the values that keep the rules they were built with (a store of schema 4
#: was built before reworded copies, so it judges without them). A dedup
#: that predates a schema refuses it by its version.
CONFIG_BEFORE: dict[int, dict[str, Any]] = {4: {"reworded": 1.0}}
#: Documents per write transaction: the unit a killed ``index add`` keeps.
#: Bigger transactions write each page they touch (sketch blocks, B-tree
#: pages, level-0 segments and the merges they trigger) fewer times: 10,000
#: wrote 0.49 GB instead of 1.63 GB for 40k documents and added 1,801-1,871
#: instead of 1,696 docs/s at a million; but a store built so has a few big
#: recent segments where 1,000 leaves one, and screening it was slower
#: (p50 ~2.2 against ~1.6 ms at a million). So 1,000 stays the default and a
#: bulk load may ask for more (README, "Measured").
BATCH_SIZE = 1000
#: Documents per transaction of a bulk add (``add(bulk=True)``): its stories
#: are screened from settled segments anyway, so it takes the bigger
#: transactions (``--jobs 2``: 6,218-6,517 docs/s at 100k against
#: 5,040-5,566 with 1,000; 4,062 and 4,192 at 1M against 3,481; README "Measured").
BULK_BATCH_SIZE = 10_000
#: Documents normalized and signed at a time (in a worker with jobs): a
#: transaction's documents are prepared in pieces, so the workers start on a
#: transaction while it is still being read.
PREPARE_CHUNK = 1000
#: Up to this many plausible candidates a story, each is normalized with its
#: offsets (news: a few, all matches); more are normalized in one compiled
#: batch and only the matches get offsets (texts in one vocabulary).
FEW_CANDIDATES = 16
#: How long a writer waits for another writer's lock before giving up.
BUSY_TIMEOUT_MS = 60_000
#: zlib level of a stored text that does not fit windows-1256 (level 1: 2.2 KB
#: a document against 2.0 KB at level 6 on the synthetic news corpus, in 70%
#: of the time). The code page (:data:`PAGE`) takes ~2.0 KB for the same texts
#: at a tenth of the time of level 1 (~20 us against ~130-270 us an article).
ZLIB_LEVEL = 1
#: First byte of a stored text: how the rest is encoded.
TEXT_CP1256, TEXT_ZLIB = 1, 0
#: SQLite page cache of a connection, KiB (the default is 2 MB).
CACHE_KIB = 65536
#: Bytes of the store a connection reads through mmap instead of read()
#: calls (SQLite caps it at its compile-time maximum, 2 GB by default): a
#: screened story reads the rows of every candidate, tens to thousands of
#: random pages; mapped, a page costs a memory access, not a system call and
#: a 16 KB copy (median screen latency at 100,000 documents 1.0 -> 0.7 ms).
MMAP_BYTES = 1 << 31
#: Database page size of a new store: a document's row (~2.8 KB) would
#: leave most of a 4 KB page empty; 16 KB pages hold five.
PAGE_SIZE = 16384
#: The ScanConfig fields a store fixes (its other parameters derive from them).
CONFIG_FIELDS = ("threshold", "shingle_size", "shingle_kind", "num_perm", "seed", "lsh_threshold")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    shingles INTEGER NOT NULL,
    signature BLOB NOT NULL,
    text BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sketches (block INTEGER PRIMARY KEY, data BLOB NOT NULL);
"""


class StoreError(InputError):
    """The store cannot be used as asked: missing, not an index, built with
    other parameters or by another schema version (exit code 2)."""


#: Characters of windows-1256 that Arabic news hardly uses, and what the
#: stored texts' code page has in their place: the Arabic-Indic digits and
#: percent sign, which windows-1256 lacks and which ~30% of the synthetic
#: corpus's stories (and ~10% of wirecopy-dev's) contain.
_PAGE_SWAPS = dict(zip("\u0192\u201e\u2020\u2021\u02c6\u2030\u00a4\u00a6\u00a8\u00af\u00b8", "٠١٢٣٤٥٦٧٨٩٪"))
#: The one-byte code page of stored texts (:data:`TEXT_CP1256`): windows-1256
#: with :data:`_PAGE_SWAPS`. 256 distinct characters, so a text made of them
#: is stored and read back exactly. Part of the store's format (a test pins
#: its hash): changing it needs a new :data:`INDEX_SCHEMA_VERSION`.
PAGE = "".join(_PAGE_SWAPS.get(c, c) for c in bytes(range(256)).decode("cp1256"))
_PAGE_ENCODE = codecs.charmap_build(PAGE)
_CP1256 = bytes([TEXT_CP1256])
_ZLIB = bytes([TEXT_ZLIB])


def _pack(text: str) -> bytes:
    """A text as stored: a tag byte, then one byte a character in
    :data:`PAGE` when every character is in it, or else zlib of the UTF-8."""
    try:
        return _CP1256 + codecs.charmap_encode(text, "strict", _PAGE_ENCODE)[0]
    except UnicodeEncodeError:
        return _ZLIB + zlib.compress(text.encode("utf-8"), ZLIB_LEVEL)


def _unpack(blob: bytes) -> str:
    body = memoryview(blob)[1:]
    if blob[0] == TEXT_CP1256:
        return codecs.charmap_decode(body, "strict", PAGE)[0]
    if blob[0] == TEXT_ZLIB:
        return zlib.decompress(body).decode("utf-8")
    raise StoreError(f"stored text with unknown encoding tag {blob[0]}")


@dataclass(frozen=True)
class Match:
    """An indexed document a screened one was verified against."""

    id: str
    verdict: Verdict
    #: shared passages (dedup.evidence): ``a`` spans the screened document's
    #: original text, ``b`` this match's
    passages: tuple[dict, ...] = ()


def matched(
    doc_id: str,
    verdict: Verdict,
    text: str,
    match_text: str,
    text_map: OffsetMap | None = None,
    match_map: OffsetMap | None = None,
) -> Match:
    """A match with its evidence: the passages ``text`` shares with
    ``match_text``. ``text_map``, ``match_map``: their
    ``normalize_with_offsets``, when the caller has them (a story with
    several matches is normalized once, a match as it is verified)."""
    text_map = text_map or normalize_with_offsets(text)
    match_map = match_map or normalize_with_offsets(match_text)
    return Match(doc_id, verdict, tuple(passage_objects(text, text_map, match_map)))


def match_object(match: Match, **context: Any) -> dict:
    """The JSON form of one match, for every command that reports matches
    (screen, check): relation, exact Jaccard (``similarity``), containment
    both ways (screened document in the match, match in the screened
    document) and the shared passages in original-text offsets.

    ``context`` adds fields (check says whether the match is in the corpus or
    among the new documents)."""
    v = match.verdict
    return {
        "id": match.id,
        "similarity": round(float(v.jaccard), 6),
        "relation": v.relation,
        "reason": v.reason,
        "containment": [round(float(c), 6) for c in v.containment],
        "passages": list(match.passages),
        **context,
    }


@dataclass(frozen=True)
class Screening:
    """What screening one document decided."""

    document: Document
    #: indexed documents it duplicates (``judge(...).is_duplicate``), most similar first
    matches: list[Match]
    #: whether it was added to the index (``add=True`` and new)
    added: bool = False

    @property
    def verdict(self) -> str:
        """``new``, or the relation of the best match."""
        return self.matches[0].verdict.relation if self.matches else "new"


@dataclass
class AddResult:
    added: int = 0
    replaced: int = 0
    #: ids already present with the same text: nothing to do
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def conflicts(self) -> int:
        return sum(p.reason == "id_conflict" for p in self.problems)

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "skipped": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class _Prepared:
    """A batch of documents normalized and signed, ready to store or query."""

    #: (:class:`_Parsed` when parsed in a worker: no text, ``packed`` has it)
    documents: list[Document | _Parsed]
    cps: np.ndarray | None  # normalized texts as one code point array (dedup.codepoints); None: not kept
    offsets: np.ndarray | None
    signatures: np.ndarray
    counts: np.ndarray  # shingles per document; 0: too short to shingle
    keys: np.ndarray  # (n, bands)
    #: band keys of the documents' containment windows, as stored (int32),
    #: ``(windows, window bands)``, document ``i``'s in rows
    #: ``window_bounds[i]:window_bounds[i + 1]``
    window_keys: np.ndarray
    window_bounds: np.ndarray
    #: the texts as stored (:func:`_pack`), when packed ahead (``add`` with jobs)
    packed: list[bytes] | None = None

    def normalized(self, i: int) -> np.ndarray:
        return self.cps[self.offsets[i] : self.offsets[i + 1]]

    @classmethod
    def joined(cls, parts: list[_Prepared]) -> _Prepared:
        """Batches prepared apart (pieces of one transaction) as one, to
        store; the normalized texts are not kept (storing does not read them)."""
        if len(parts) == 1:
            return parts[0]
        bounds = [parts[0].window_bounds]
        for part in parts[1:]:
            bounds.append(part.window_bounds[1:] + bounds[-1][-1])
        packed = None
        if any(part.packed is not None for part in parts):
            packed = [b for part in parts for b in (part.packed or [_pack(d.text) for d in part.documents])]
        return cls(
            [d for part in parts for d in part.documents],
            None,
            None,
            np.concatenate([part.signatures for part in parts]),
            np.concatenate([part.counts for part in parts]),
            np.concatenate([part.keys for part in parts]),
            np.concatenate([part.window_keys for part in parts]),
            np.concatenate(bounds),
            packed,
        )

    def windows_of(self, i: int) -> np.ndarray:
        """Document ``i``'s window band keys, ``(windows, bands)``."""
        return self.window_keys[self.window_bounds[i] : self.window_bounds[i + 1]]


def _window_rows(cps: np.ndarray, offsets: np.ndarray, config: ScanConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, bounds)`` of :attr:`_Prepared.window_keys`: the scan's
    window band keys (:func:`dedup.scan.window_band_keys`) as signed 32-bit
    integers, four bytes each in SQLite's record format instead of six."""
    keys, owner = window_band_keys(cps, offsets, config)
    bounds = np.searchsorted(owner, np.arange(len(offsets), dtype=np.int64))
    return np.ascontiguousarray(keys).view(np.int32), bounds


def _sign_texts(texts: list[str], config: ScanConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(cps, offsets, signatures, shingle counts)`` of raw texts: the
    compiled batch path the scan uses (:mod:`dedup.codepoints`,
    :func:`dedup.minhash.sign_encoded`)."""
    cps, offsets = normalize_encoded(texts)
    sigs, counts = sign_encoded(cps, offsets, config.shingle_size, config.shingle_kind, config.num_perm, config.seed)
    return cps, offsets, sigs, counts


def _prepare_to_store(
    texts: list[str], config: ScanConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[bytes]]:
    """What storing texts needs, computed in a worker process of ``add``
    with jobs: ``(signatures, counts, band keys, window keys, window bounds,
    packed texts)``; the normalized texts stay in the worker."""
    cps, offsets, sigs, counts = _sign_texts(texts, config)
    wkeys, wbounds = _window_rows(cps, offsets, config)
    return sigs, counts, band_keys(sigs, *config.bands_rows), wkeys, wbounds, [_pack(t) for t in texts]


def window_parameters(config: ScanConfig) -> dict:
    """The containment-window parameters a store's window rows depend on
    (recorded in its ``meta`` as ``windows`` and checked like the others)."""
    w = window_config(config)
    bands, rows = lsh_params(w.lsh_threshold, w.num_perm) if config.containment_windows else (0, 0)
    return {
        "containment_windows": config.containment_windows,
        "window_shingle_size": w.shingle_size,
        "window_num_perm": w.num_perm,
        "window_seed": w.seed,
        "window_lsh_threshold": w.lsh_threshold,
        "window_bands": bands,
        "window_rows": rows,
        "max_window_docs": w.max_window_docs,
    }


def _parameters(config: ScanConfig) -> dict:
    return {**config_parameters(config), **window_parameters(config)}


def _describe(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={params[k]}" for k in params)


@dataclass(frozen=True)
class _Parsed:
    """A document parsed in a worker process (a line of :class:`JsonlLines`):
    its text stayed there, and comes back packed (what storing needs of it;
    sending the text back too cost the writer most of what parsing it there
    saved)."""

    id: str
    origin: str


def _prepare_lines(
    name: str, first_line: int, first_offset: int, lines: list[bytes], fields: JsonlFields, config: ScanConfig
) -> tuple[list[tuple[str, str] | Problem], tuple | None]:
    """A worker's part of a block of JSONL lines (:class:`JsonlLines`):
    parsed here, then prepared (:func:`_prepare_to_store`). ``(items,
    prepared)``: the documents as ``(id, origin)`` and the problems, in line
    order; ``prepared`` None when no line held a document."""
    items = parse_lines(name, first_line, first_offset, lines, fields)
    texts = [x.text for x in items if isinstance(x, Document)]
    sent = [(x.id, x.origin) if isinstance(x, Document) else x for x in items]
    return sent, (_prepare_to_store(texts, config) if texts else None)


#: What :meth:`Index.add` prepares at a time: documents, or a block of JSONL
#: lines (parsed where it is prepared).
_Piece = list[Document] | JsonlLines


def _use_wal(con: sqlite3.Connection) -> None:
    """Put the store in WAL mode, retrying while another process holds it
    for up to :data:`BUSY_TIMEOUT_MS`: SQLite returns "database is locked"
    for a journal-mode change without calling the busy handler, so two
    processes creating one store at once failed (43 of 200 such openings in
    a stress test, tests/test_index_faults.py)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class _Preparer:
    """Prepares batches for :meth:`Index.add`: in this process (``jobs``
    1), or in ``jobs`` forked worker processes, each piece's documents
    parsed (a block of JSONL lines), normalized, signed, band-keyed
    (documents and windows) and packed there (:func:`_prepare_to_store`) so
    that only compact results come back.

    With jobs, the first piece is prepared here, before the fork: the
    compiled kernels it loads (~0.5 s) are then inherited by every worker
    instead of loaded by each."""

    def __init__(self, index: "Index", jobs: int):
        self._index = index
        self._jobs = jobs
        self._pool = None
        self._warm = False

    def submit(self, piece: _Piece) -> Any:
        if self._jobs <= 1:
            return None
        if not self._warm:
            self._warm = True
            return self._here(piece)
        if self._pool is None:
            import multiprocessing

            self._pool = multiprocessing.get_context("fork").Pool(self._jobs)
        config = self._index.config
        if isinstance(piece, JsonlLines):
            args = (piece.name, piece.first_line, piece.first_offset, piece.lines, piece.fields, config)
            return self._pool.apply_async(_prepare_lines, args)
        return self._pool.apply_async(_prepare_to_store, ([d.text for d in piece], config))

    def _here(self, piece: _Piece) -> tuple[list[Document | Problem], _Prepared | None]:
        items = piece.parse() if isinstance(piece, JsonlLines) else piece
        docs = [x for x in items if isinstance(x, Document)]
        return items, (self._index._prepare(docs) if docs else None)

    def get(self, piece: _Piece, handle: Any, strict: bool) -> tuple[_Prepared | None, list[Problem]]:
        """A piece prepared (None: it held no document), and the problems of
        its lines, whose documents' ids are checked here (with ``strict``, up
        to the first problem, which is raised)."""
        if handle is None:
            items, prepared = self._here(piece)
        elif isinstance(handle, tuple):  # prepared here, the first piece
            items, prepared = handle
        elif isinstance(piece, JsonlLines):
            sent, arrays = handle.get()
            items = [_Parsed(*x) if isinstance(x, tuple) else x for x in sent]
            docs = [x for x in items if isinstance(x, _Parsed)]
            prepared = None if arrays is None else _Prepared(docs, None, None, *arrays)
        else:
            items, prepared = piece, _Prepared(piece, None, None, *handle.get())
        if isinstance(piece, JsonlLines):
            piece.accept(items, strict)
        return prepared, [x for x in items if isinstance(x, Problem)]

    def __enter__(self) -> "_Preparer":
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is None:
            return
        # Closed, never terminated, even on an error: terminate() kills the
        # workers while the pool's task thread may be writing a piece (JSONL
        # lines: large) into their pipe, and then waits for that thread for
        # good (a CI run hung there on a duplicate-id error). The pieces in
        # flight are few (``ahead`` batches), so finishing them costs little.
        self._pool.close()
        self._pool.join()


class Index:
    """A persistent near-duplicate index in one SQLite file.

    Open with :meth:`open`; use as a context manager to close it. Not safe to
    share between threads; any number of processes may read and write the
    same file.
    """

    def __init__(self, path: str | os.PathLike, con: sqlite3.Connection, config: ScanConfig, readonly: bool):
        self.path = Path(path)
        self.config = config
        self.readonly = readonly
        self._con = con
        self._bands, self._rows = config.bands_rows
        self._sketches = sketches.Sketches(con, config.num_perm)
        self._postings = Postings(con)
        self._docs_sql = "SELECT doc, id, shingles, signature FROM docs WHERE doc IN (SELECT value FROM json_each(?1))"
        self._max_window_docs = window_config(config).max_window_docs

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        config: ScanConfig | Mapping[str, Any] | None = None,
        *,
        create: bool = False,
        readonly: bool = False,
    ) -> Index:
        """Open (or with ``create``, create) the store at ``path``.

        ``config``: None uses the store's own parameters (or the defaults for a
        new store); a :class:`ScanConfig` must equal the store's; a mapping of
        some :class:`ScanConfig` fields is checked against those fields only.
        ``readonly`` opens without ever writing (``dedup check`` against a
        ``.db`` corpus).
        """
        path = Path(path)
        exists = path.exists()
        if not exists and (readonly or not create):
            raise StoreError(f"{path}: no such index (create one with: dedup index add --db {path} PATHS...)")
        if exists and path.is_dir():
            raise StoreError(f"{path}: is a directory, not an index file")
        try:
            if readonly:
                con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            else:
                con = sqlite3.connect(path, isolation_level=None)
                con.execute(f"PRAGMA page_size={PAGE_SIZE}")  # no effect on an existing store
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            con.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            if not readonly:
                _use_wal(con)
                con.execute("PRAGMA synchronous=NORMAL")
            stored = cls._read_or_create(con, path, config, create and not readonly)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{path}: not a dedup index ({err})") from None
        return cls(path, con, cls._check(path, stored, config), readonly)

    @staticmethod
    def _read_meta(con: sqlite3.Connection) -> dict[str, str] | None:
        has_meta = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not has_meta:
            return None
        return dict(con.execute("SELECT key, value FROM meta").fetchall())

    @classmethod
    def _read_or_create(
        cls, con: sqlite3.Connection, path: Path, config: ScanConfig | Mapping | None, create: bool
    ) -> dict[str, str]:
        meta = cls._read_meta(con)
        if meta is None and create:
            new = _resolve(ScanConfig(), config)
            # Immediate: two processes creating the same store must not both
            # write the metadata (the second sees the first's and is checked).
            con.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, (_SCHEMA + POSTINGS_SCHEMA).split(";")):
                    con.execute(statement)
                con.executemany(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("index_schema_version", str(INDEX_SCHEMA_VERSION)),
                        # bumped by every write transaction (dedup.postings)
                        ("generation", "0"),
                        ("parameters", orjson.dumps(config_parameters(new)).decode()),
                        ("config", orjson.dumps(dataclasses.asdict(new)).decode()),
                        ("windows", orjson.dumps(window_parameters(new)).decode()),
                    ],
                )
                con.execute(f"PRAGMA user_version={INDEX_SCHEMA_VERSION}")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            meta = cls._read_meta(con)
        if not meta or "index_schema_version" not in meta:
            raise StoreError(f"{path}: not a dedup index (no index metadata)")
        return meta

    @staticmethod
    def _check(path: Path, meta: dict[str, str], config: ScanConfig | Mapping | None) -> ScanConfig:
        version = int(meta["index_schema_version"])
        if version != INDEX_SCHEMA_VERSION and version not in CONFIG_BEFORE:
            newer = "a newer" if version > INDEX_SCHEMA_VERSION else "an older"
            raise StoreError(
                f"{path}: written by {newer} dedup (index schema {version}; this dedup reads schemas "
                f"{', '.join(map(str, sorted({*CONFIG_BEFORE, INDEX_SCHEMA_VERSION})))}). Use a matching dedup "
                "version or rebuild the index."
            )
        config_json = orjson.loads(meta["config"])
        unknown = set(config_json) - {f.name for f in dataclasses.fields(ScanConfig)}
        if unknown:
            raise StoreError(
                f"{path}: its parameters name {', '.join(sorted(unknown))}, which this dedup does not know "
                "(written by a newer dedup). Use a matching dedup version or rebuild the index."
            )
        stored = ScanConfig(**{**CONFIG_BEFORE.get(version, {}), **config_json})
        stored_params = {**orjson.loads(meta["parameters"]), **orjson.loads(meta.get("windows", "{}"))}
        current = _parameters(stored)
        # Parameters this code fixes (hash functions, normalization version):
        # a store from another version of them cannot be matched against.
        keys = [*stored_params, *(k for k in current if k not in stored_params)]
        diff = [k for k in keys if stored_params.get(k) != current.get(k)]
        if diff:
            raise StoreError(
                f"{path}: built with {_describe({k: stored_params.get(k) for k in diff})}, which this dedup "
                f"computes as {_describe({k: current.get(k) for k in diff})}. Rebuild the index."
            )
        requested = _resolve(stored, config)
        asked = _parameters(requested)
        diff = [k for k in stored_params if asked.get(k) != stored_params[k]]
        if diff:
            raise StoreError(
                f"{path}: built with {_describe({k: stored_params[k] for k in diff})}; this run asks for "
                f"{_describe({k: asked[k] for k in diff})}. Leave those options out to use the index's own "
                "parameters, or build another index."
            )
        return stored

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing -------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock first (module doc)."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        self._con.execute("BEGIN IMMEDIATE")
        try:
            self._con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            self._postings.invalidate()
            self._postings.refresh()
            yield self._con
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (one snapshot of the store: a merge of
        segments committed meanwhile must not remove blocks being read), the
        postings' list of segments brought up to it."""
        if self._con.in_transaction:
            yield self._con
            return
        self._con.execute("BEGIN")
        try:
            self._postings.refresh()
            yield self._con
        finally:
            self._con.execute("COMMIT")

    def _prepare(self, documents: list[Document]) -> _Prepared:
        cps, offsets, sigs, counts = _sign_texts([d.text for d in documents], self.config)
        keys = band_keys(sigs, self._bands, self._rows)
        return _Prepared(documents, cps, offsets, sigs, counts, keys, *_window_rows(cps, offsets, self.config))

    def _too_short(self, doc: Document) -> Problem:
        unit = "characters" if self.config.shingle_kind == "char" else "words"
        return Problem(
            doc.origin,
            "too_short",
            f"{doc.origin}: fewer than {self.config.shingle_size} {unit} after normalization",
            doc.id,
        )

    def _delete(self, con: sqlite3.Connection, doc: int) -> None:
        """Remove document ``doc``; its postings are left out of lookups
        from now on, and of the next merge of their segments."""
        con.execute("DELETE FROM docs WHERE doc = ?", (doc,))
        self._postings.remove([doc])

    def _store(
        self, batch: _Prepared, replace: bool, result: AddResult, only: list[int] | None = None, bulk: bool = False
    ) -> None:
        """Write the documents of ``batch`` (those numbered in ``only``, or
        all) in one transaction; count what happened in ``result``.
        ``bulk``: one of the transactions of a bulk :meth:`add` (postings
        merged size-tiered until :meth:`_settle_postings`)."""
        rows = range(len(batch.documents)) if only is None else only
        sizes = batch.counts.tolist()
        signatures = np.ascontiguousarray(batch.signatures, dtype="<u4")
        packed = batch.packed
        docs_rows: list[tuple] = []
        stored: list[int] = []  # rows of batch written
        with self._write() as con:
            wanted = [batch.documents[i].id for i in rows if sizes[i] > 0]
            existing = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                existing.update(
                    (r[0], r[1:])
                    for r in con.execute(
                        f"SELECT id, doc, text FROM docs WHERE id IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
                )
            # never a number used before (module doc of dedup.sketches)
            next_doc = con.execute(
                "SELECT max(coalesce((SELECT max(doc) FROM docs), 0) + 1, "
                "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'next_doc'), 1))"
            ).fetchone()[0]
            for i in rows:
                doc = batch.documents[i]
                if sizes[i] == 0:
                    result.problems.append(self._too_short(doc))
                    continue
                old = existing.get(doc.id)
                if old is not None:
                    if _unpack(old[1]) == (doc.text if packed is None else _unpack(packed[i])):
                        result.unchanged += 1
                        continue
                    if not replace:
                        result.problems.append(
                            Problem(
                                doc.origin,
                                "id_conflict",
                                f"{doc.origin}: id {doc.id!r} is already in the index with a different text "
                                "(dedup index add --replace replaces it)",
                                doc.id,
                            )
                        )
                        continue
                    self._delete(con, old[0])
                    result.replaced += 1
                else:
                    result.added += 1
                text = packed[i] if packed is not None else _pack(doc.text)
                docs_rows.append((next_doc, doc.id, doc.origin, sizes[i], signatures[i].tobytes(), text))
                stored.append(i)
                next_doc += 1
            con.executemany(
                "INSERT INTO docs (doc, id, origin, shingles, signature, text) VALUES (?, ?, ?, ?, ?, ?)", docs_rows
            )
            con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_doc', ?)", (str(next_doc),))
            sketches.write(
                con, np.array([r[0] for r in docs_rows], dtype=np.int64), batch.counts[stored], signatures[stored]
            )
            if stored:
                numbers = np.array([r[0] for r in docs_rows], dtype=np.int64)
                self._postings.add(BANDS, batch.keys[stored].ravel(), np.repeat(numbers, self._bands), bulk)
                windows = self._window_rows(batch, stored, numbers)
                self._postings.add(WINDOWS, windows >> 32, windows & 0xFFFFFFFF, bulk)

    @staticmethod
    def _window_rows(batch: _Prepared, stored: list[int], numbers: np.ndarray) -> np.ndarray:
        """The distinct window rows of the stored documents, each packed in
        one int64 (the signed 32-bit key in the high half, the document
        number, < 2^32, in the low), sorted: by key, then document."""
        if not stored or batch.window_keys.size == 0:
            return np.empty(0, dtype=np.int64)
        parts = [batch.windows_of(i).ravel() for i in stored]
        keys = np.concatenate(parts).astype(np.int64)
        docs = np.repeat(numbers, [len(p) for p in parts])
        return distinct((keys << 32) | docs)

    def add(
        self,
        items: Iterable[Document | Problem | JsonlLines],
        *,
        replace: bool = False,
        strict: bool = False,
        batch_size: int | None = None,
        progress: Callable[[int], None] | None = None,
        jobs: int = 1,
        bulk: bool = False,
    ) -> AddResult:
        """Add documents, ``batch_size`` per transaction (default
        :data:`BATCH_SIZE`, :data:`BULK_BATCH_SIZE` with ``bulk``).

        An id already indexed with the same text is left alone; with another
        text it is a problem (``id_conflict``) unless ``replace``. Problems of
        the input (and too-short documents) are collected, or raised as
        :class:`InputError` with ``strict`` (batches already committed stay).

        ``jobs > 1`` normalizes, signs and packs the documents, in pieces of
        :data:`PREPARE_CHUNK`, in that many forked processes while this one
        reads the input and writes; batches are written in input order, so
        the store, the result and what a killed run keeps do not depend on
        ``jobs``. ``items`` may hold blocks of JSONL lines
        (:func:`dedup.inputs.read_documents` with ``blocks``): they are parsed
        where they are prepared, in the workers with jobs, and a transaction
        then takes ``batch_size`` lines (a blank or bad line counts).

        ``bulk`` (a load of an archive): the postings of these transactions
        are not merged while it runs (up to
        :data:`dedup.postings.FANIN` transactions; size-tiered beyond), and
        are leveled when the add ends
        (:meth:`dedup.postings.Postings.settle`), which keeps the last
        transactions' postings in small segments as a plain add would
        (README "Measured").
        """
        batch_size = batch_size or (BULK_BATCH_SIZE if bulk else BATCH_SIZE)
        try:
            result = self._add(items, replace, strict, batch_size, progress, jobs, bulk)
        except InputError:  # --strict: what was committed is settled too
            self._settle_postings()
            raise
        # Also after a plain add (nothing to do, unless a bulk add was killed
        # or failed before settling: a store left tiered is right, only slower
        # to screen). Not after other errors: the store may be the cause.
        self._settle_postings()
        return result

    def _settle_postings(self) -> None:
        """What a bulk add merged size-tiered, back to one segment a level
        (:meth:`dedup.postings.Postings.settle`), in a transaction of its own."""
        with self._read():
            due = self._postings.unsettled()
        if due:
            with self._write():
                for kind in (BANDS, WINDOWS):
                    self._postings.settle(kind)

    def _add(
        self,
        items: Iterable[Document | Problem | JsonlLines],
        replace: bool,
        strict: bool,
        batch_size: int,
        progress: Callable[[int], None] | None,
        jobs: int,
        bulk: bool,
    ) -> AddResult:
        result = AddResult()
        chunk_size = min(PREPARE_CHUNK, batch_size)
        with _Preparer(self, jobs) as preparer:
            # In input order: problems of the input, and batches (the pieces
            # of a transaction, each its documents or JSONL lines plus their
            # preparation in flight). Up to ``ahead`` batches, enough pieces
            # to keep every worker busy, are prepared while the oldest is
            # written.
            pending: deque[Problem | list[tuple[_Piece, Any]]] = deque()
            ahead = max(1, -(-jobs * chunk_size // batch_size)) if jobs > 1 else 0
            batches = 0

            def settle(limit: int) -> None:
                nonlocal batches
                while batches > limit:
                    entry = pending.popleft()
                    if isinstance(entry, Problem):
                        result.problems.append(entry)
                        continue
                    batches -= 1
                    parts = []
                    for piece, handle in entry:
                        part, problems = preparer.get(piece, handle, strict)
                        result.problems.extend(problems)
                        parts += [part] if part is not None else []
                    if parts:
                        self._add_batch(_Prepared.joined(parts), replace, strict, result, progress, bulk)
                while pending and isinstance(pending[0], Problem) and not batches:
                    result.problems.append(pending.popleft())

            pieces: list[tuple[_Piece, Any]] = []
            chunk: list[Document] = []
            size = 0  # documents (or JSONL lines) in the batch being read

            def close_chunk() -> None:
                nonlocal chunk
                if chunk:
                    pieces.append((chunk, preparer.submit(chunk)))
                    chunk = []

            def close_batch() -> None:
                nonlocal pieces, size, batches
                close_chunk()
                if pieces:
                    pending.append(pieces)
                    batches += 1
                pieces, size = [], 0

            for item in items:
                if isinstance(item, Problem):
                    if strict:
                        settle(0)  # what a serial run would have committed
                        raise InputError(f"{item.message} (--strict)")
                    pending.append(item)
                    settle(ahead)
                    continue
                if isinstance(item, JsonlLines):  # pieces of lines, a batch's lines at most
                    close_chunk()
                    while item.lines:
                        block, item = item.cut(min(chunk_size, batch_size - size))
                        pieces.append((block, preparer.submit(block)))
                        size += len(block.lines)
                        if size >= batch_size:
                            close_batch()
                            settle(ahead)
                    continue
                chunk.append(item)
                size += 1
                if len(chunk) >= chunk_size:
                    close_chunk()
                if size >= batch_size:
                    close_batch()
                    settle(ahead)
            close_batch()
            settle(0)
        return result

    def _add_batch(
        self,
        batch: _Prepared,
        replace: bool,
        strict: bool,
        result: AddResult,
        progress: Callable[[int], None] | None,
        bulk: bool,
    ) -> None:
        before = len(result.problems)
        self._store(batch, replace, result, bulk=bulk)
        if strict and len(result.problems) > before:
            raise InputError(f"{result.problems[before].message} (--strict)")
        if progress:
            progress(len(batch.documents))

    def remove(self, ids: Iterable[str]) -> tuple[list[str], list[str]]:
        """Remove documents by id in one transaction: ``(removed, not_found)``."""
        removed, missing = [], []
        with self._write() as con:
            for doc_id in dict.fromkeys(ids):
                row = con.execute("SELECT doc FROM docs WHERE id = ?", (doc_id,)).fetchone()
                if row is None:
                    missing.append(doc_id)
                else:
                    self._delete(con, row[0])
                    removed.append(doc_id)
        return removed, missing

    # -- reading -------------------------------------------------------------

    def __len__(self) -> int:
        return self._con.execute("SELECT count(*) FROM docs").fetchone()[0]

    def __contains__(self, doc_id: str) -> bool:
        return self._con.execute("SELECT 1 FROM docs WHERE id = ?", (doc_id,)).fetchone() is not None

    def ids(self) -> list[str]:
        """Every indexed id, in the order they were added."""
        return [r[0] for r in self._con.execute("SELECT id FROM docs ORDER BY doc")]

    def get_document(self, doc_id: str) -> Document | None:
        """The document as it was added (original text and origin), or None."""
        row = self._con.execute("SELECT id, origin, text FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        return Document(row[0], _unpack(row[2]), row[1])

    def _schema_version(self) -> int:
        """The store's schema (an older one this dedup still reads keeps its own)."""
        return int(self._con.execute("SELECT value FROM meta WHERE key = 'index_schema_version'").fetchone()[0])

    def stats(self) -> dict:
        """Counts, parameters and on-disk size (database plus its WAL)."""
        wal = Path(f"{self.path}-wal")
        with self._read():
            documents, stored = len(self), self._postings.counts()
        return {
            "index_schema_version": self._schema_version(),
            "parameters": config_parameters(self.config),
            "windows": window_parameters(self.config),
            "documents": documents,
            # band key postings (document and window bands) and the segments
            # holding them (dedup.postings), removed documents' included until merged
            **stored,
            "file_bytes": self.path.stat().st_size,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        }

    def _window_candidates(self, batch: _Prepared, i: int, own: int | None = None) -> np.ndarray:
        """Indexed documents (numbers) sharing a window band key with
        document ``i`` of ``batch``, the scan's rule: a window of ``i`` one of
        whose keys is shared by more than ``max_window_docs`` documents,
        ``i`` included, is boilerplate and pairs nothing. ``own``: the
        number ``i`` is indexed under, if it is (not counted twice)."""
        windows = batch.windows_of(i)
        if windows.size == 0:
            return np.empty(0, dtype=np.int64)
        limit = self._max_window_docs
        query = distinct(windows).astype(np.int64)
        which, docs, crowded = self._postings.lookup(WINDOWS, query, crowd=limit + 1)
        if own is not None:
            which, docs = which[docs != own], docs[docs != own]
        crowded |= np.bincount(which, minlength=query.size) >= limit
        # a window pairs only if none of its keys is crowded
        usable = ~crowded[np.searchsorted(query, windows.astype(np.int64))].any(axis=1)
        allowed = np.zeros(query.size, dtype=bool)
        allowed[np.searchsorted(query, windows[usable].ravel().astype(np.int64))] = True
        return distinct(docs[allowed[which]])

    def _band_candidates(self, batch: _Prepared, i: int) -> np.ndarray:
        """Indexed documents (numbers) sharing a document band key with
        document ``i`` of ``batch``."""
        return distinct(self._postings.lookup(BANDS, distinct(batch.keys[i]))[1])

    def _plausible(self, batch: _Prepared, i: int, exclude: str | None) -> list[tuple]:
        """``(doc, id, shingles, signature)`` of the indexed documents that
        share a document band key or a (not crowded) window band key with
        document ``i`` of ``batch`` and whose MinHash estimates leave a
        chance of a duplicate (:func:`dedup.verify.plausible_estimates`), the
        document with id ``exclude`` left out. Candidates are judged first on
        their sketches (:mod:`dedup.sketches`), and only those left are
        read and judged on their full signatures: the same rows as judging
        every candidate's full signature, without reading thousands."""
        own = None
        if exclude is not None:
            row = self._con.execute("SELECT doc FROM docs WHERE id = ?", (exclude,)).fetchone()
            own = row[0] if row else None
        docs = distinct(np.concatenate([self._band_candidates(batch, i), self._window_candidates(batch, i, own)]))
        docs = docs[docs != own] if own is not None else docs
        if not docs.size:
            return []
        rules = self.config.verdict
        mine = float(batch.counts[i])
        counts, est = self._sketches.estimates(docs, batch.signatures[i])
        keep = (counts > 0) & plausible_estimates(est, mine, counts.astype(np.float64), rules.floor, rules.containment)
        if not keep.any():
            return []
        rows = self._con.execute(self._docs_sql, (orjson.dumps(docs[keep].tolist()).decode(),)).fetchall()
        if not rows:
            return rows
        sigs = np.frombuffer(b"".join(r[3] for r in rows), dtype="<u4").reshape(len(rows), -1)
        est = (sigs == batch.signatures[i]).mean(axis=1)
        theirs = np.array([r[2] for r in rows], dtype=np.float64)
        keep = plausible_estimates(est, mine, theirs, rules.floor, rules.containment)
        return [r for r, k in zip(rows, keep.tolist()) if k]

    def _matches(self, batch: _Prepared, i: int, exclude: str | None) -> list[Match]:
        """Verify every plausible candidate of document ``i`` of ``batch``
        (:meth:`_plausible`); keep those :func:`judge` calls duplicates."""
        with self._read():
            return self._verified(batch, i, self._plausible(batch, i, exclude))

    def _verified(self, batch: _Prepared, i: int, rows: list[tuple]) -> list[Match]:
        if not rows:
            return []
        cfg = self.config
        query = batch.normalized(i)
        blobs = dict(
            self._con.execute(f"SELECT doc, text FROM docs WHERE doc IN ({','.join('?' * len(rows))})", [r[0] for r in rows])
        )
        # Each candidate is normalized once, with its offsets: the same text
        # as the compiled batch (tests/test_offsets_fast.py), and the evidence
        # of a match needs the offsets. Rows are few: on the million-story
        # benchmark every plausible candidate of 1,000 stories was a match.
        # Texts written in one vocabulary give hundreds a story, most of them
        # no match: those are normalized in one compiled batch, and a match's
        # offsets computed when it is one.
        originals = [_unpack(blobs[r[0]]) for r in rows]
        maps: list[OffsetMap | None]
        if len(rows) <= FEW_CANDIDATES:
            maps = [normalize_with_offsets(t) for t in originals]
            normalized = [m.text for m in maps]
        else:
            maps, normalized = [None] * len(rows), normalize_many(originals)
        texts = [query.tobytes().decode("utf-32-le"), *normalized]
        cps, offsets = encode(texts)
        # Only the shingle sets are needed: one permutation makes the
        # signature work negligible (the sets do not depend on it).
        hashed = hash_encoded(cps, offsets, cfg.shingle_size, cfg.shingle_kind, 1, cfg.seed)
        pairs = np.column_stack([np.zeros(len(rows), np.int64), np.arange(1, len(rows) + 1, dtype=np.int64)])
        inter = intersection_sizes(hashed, pairs).tolist()
        sizes = hashed.set_sizes.tolist()
        matches, text = [], batch.documents[i].text
        text_map = None
        for j, (row, x) in enumerate(zip(rows, inter), start=1):
            # the leads are read only if the verdict needs them (a reworded copy)
            verdict = judge(
                texts[0], texts[j], x, sizes[0], sizes[j], cfg.verdict, lambda: (lead(text), lead(originals[j - 1]))
            )
            if verdict.is_duplicate:
                text_map = text_map or normalize_with_offsets(text)
                matches.append(matched(row[1], verdict, text, originals[j - 1], text_map, maps[j - 1]))
        matches.sort(key=lambda m: (-m.verdict.jaccard, m.id))
        return matches

    def screen(self, document: Document, *, add: bool = False, exclude_self: bool = False) -> Screening | Problem:
        """Which indexed documents ``document`` duplicates.

        With ``add``, a new document (no duplicate found) is added and
        committed before returning, so the next one is screened against it.
        ``exclude_self`` ignores an indexed document with the same id (the
        document itself, already indexed). A document too short to shingle,
        or (with ``add``) whose id is indexed with another text, is a
        :class:`Problem`.
        """
        if "numba" not in sys.modules:
            # One story at a time is below the size at which dedup.codepoints
            # would load the compiled kernels by itself (it runs small batches
            # as Python until numba is loaded); a screening process signs
            # story after story, so it loads them once (~0.5 s) rather than
            # paying the Python path (~2 ms a story) on each. Likewise
            # rapidfuzz, which the evidence of a match imports: ~50-80 ms
            # the first duplicate would otherwise pay.
            import numba  # noqa: F401
            import rapidfuzz.distance  # noqa: F401
        batch = self._prepare([document])
        return self._screen_prepared(batch, 0, add=add, exclude_self=exclude_self)

    def screen_many(
        self, documents: list[Document], *, exclude_self: bool = False
    ) -> Iterator[Screening | Problem]:
        """:meth:`screen` for many documents, signed in one batch (no adding)."""
        for start in range(0, len(documents), PREPARE_CHUNK):
            batch = self._prepare(documents[start : start + PREPARE_CHUNK])
            for i in range(len(batch.documents)):
                yield self._screen_prepared(batch, i, add=False, exclude_self=exclude_self)

    def _screen_prepared(self, batch: _Prepared, i: int, *, add: bool, exclude_self: bool) -> Screening | Problem:
        document = batch.documents[i]
        if batch.counts[i] == 0:
            return self._too_short(document)
        matches = self._matches(batch, i, document.id if exclude_self else None)
        if not add or matches:
            return Screening(document, matches)
        result = AddResult()
        self._store(batch, False, result, only=[i])
        if result.problems:
            return result.problems[0]
        return Screening(document, matches, added=result.added > 0)


def screen_stream(
    index: Index, stream: BinaryIO, fields: JsonlFields = JsonlFields(), add: bool = False, name: str = "<stdin>"
) -> Iterator[dict]:
    """One JSON-ready verdict per non-blank JSONL line of ``stream``, each
    yielded as soon as it is decided (``dedup screen``).

    ``{"line", "id", "verdict": "new" | <relation of the best match>,
    "matches": [...]}`` (plus ``"added"`` with ``add``); a line that is not a
    usable document gives ``{"line", "id", "verdict": "error", "reason",
    "error"}`` and the stream goes on.
    """
    offset = 0
    for lineno, raw in enumerate(stream, start=1):
        item = parse_jsonl_line(raw, f"{name}:{lineno}", fields, offset)
        offset += len(raw)
        if item is None:
            continue
        outcome = item if isinstance(item, Problem) else index.screen(item, add=add)
        if isinstance(outcome, Problem):
            yield {"line": lineno, "id": outcome.id, "verdict": "error", "reason": outcome.reason, "error": outcome.message}
            continue
        verdict = {
            "line": lineno,
            "id": outcome.document.id,
            "verdict": outcome.verdict,
            "matches": [match_object(m) for m in outcome.matches],
        }
        if add:
            verdict["added"] = outcome.added
        yield verdict


def _resolve(base: ScanConfig, config: ScanConfig | Mapping[str, Any] | None) -> ScanConfig:
    """The parameters asked for: ``base`` with the given fields replaced.

    Changing the threshold without an explicit LSH threshold moves the LSH
    threshold with it, as it would for a scan."""
    if config is None:
        return base
    if isinstance(config, ScanConfig):
        return config
    unknown = set(config) - set(CONFIG_FIELDS)
    if unknown:
        raise ValueError(f"unknown index parameters: {', '.join(sorted(unknown))}")
    fields = dict(config)
    if "threshold" in fields and "lsh_threshold" not in fields:
        fields["lsh_threshold"] = None
    return dataclasses.replace(base, **fields)
