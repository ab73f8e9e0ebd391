"""Arabic text normalization: one explicit mapping, a reference and a fast path.

The key we compare documents on must not change when a desk re-types a story:
diacritics, tatweel, alef/yaa/teh-marbuta spellings, digit scripts, presentation
forms pasted from PDFs, invisible and bidi marks, and punctuation all vary
between copies of the same wire text. The mapping (applied in this order):

1. Unicode NFKC of the whole text (presentation forms U+FB50-FDFF and
   U+FE70-FEFF become letters; lam-alef ligatures become two letters).
2. Per character, after NFKC:
   - removed: harakat and Quranic marks (U+0610-061A, U+064B-065F, U+0670,
     U+06D6-06ED), tatweel U+0640, zero-width and bidi controls (U+200B-200F,
     U+202A-202E, U+2066-2069, U+061C, U+FEFF, U+00AD), and likewise any other
     format character (category Cf) or non-spacing/enclosing mark (Mn, Me),
     which carry no letters;
   - أ إ آ ٱ -> ا, ى -> ي, ة -> ه, Persian ی -> ي and ک -> ك;
   - Arabic-Indic ٠-٩ and Persian ۰-۹ digits -> ASCII 0-9;
   - uppercase -> lowercase (Latin names in Arabic copy: "AFP" vs "afp");
   - punctuation (P*), symbols (S*), separators (Z*), controls (Cc) -> space.
3. Runs of spaces collapse to one space; leading/trailing spaces are dropped.

pyarabic's ``normalize_alef`` folds ى into ا as well, which is wrong for this
key (ى is a yaa form, not an alef), so only pyarabic's character names are
used here, not its normalizers.

:func:`normalize_reference` spells the rules out one by one and is the
specification; :func:`normalize` is the fast path for one text (C-level
``str.translate`` with a table derived from the same rules) and
:func:`dedup.codepoints.normalize_encoded` the one for batches (a compiled
pass over :func:`tables`, NFKC included), both giving identical output;
:func:`normalize_with_offsets` also returns, for every normalized character,
the span of the original text it came from, so evidence can be reported in the
original document's offsets: a numpy pass over :attr:`Tables.raw`, equal to
the loop :func:`normalize_with_offsets_reference` (which texts with composing
marks take).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarabic.araby as araby

from .arrays import distinct

#: Code point ranges (inclusive) removed outright.
REMOVED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0610, 0x061A),  # Quranic annotation signs
    (0x064B, 0x065F),  # harakat (fathatan .. wavy hamza below)
    (0x0670, 0x0670),  # superscript alef
    (0x06D6, 0x06ED),  # Quranic marks
    (0x0640, 0x0640),  # tatweel
    (0x200B, 0x200F),  # zero-width space/joiners, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2066, 0x2069),  # bidi isolates
    (0x061C, 0x061C),  # Arabic letter mark
    (0xFEFF, 0xFEFF),  # byte order mark / ZWNBSP
    (0x00AD, 0x00AD),  # soft hyphen
)

#: Letters unified to one form.
LETTER_MAP: dict[str, str] = {
    araby.ALEF_HAMZA_ABOVE: araby.ALEF,  # أ
    araby.ALEF_HAMZA_BELOW: araby.ALEF,  # إ
    araby.ALEF_MADDA: araby.ALEF,  # آ
    araby.ALEF_WASLA: araby.ALEF,  # ٱ
    araby.ALEF_MAKSURA: araby.YEH,  # ى
    araby.TEH_MARBUTA: araby.HEH,  # ة
    "\u06cc": araby.YEH,  # Persian yeh ی
    "\u06a9": araby.KAF,  # keheh ک
}

#: Digits of other scripts mapped to ASCII.
DIGIT_MAP: dict[str, str] = {
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended (Persian)
}


def _is_removed(ch: str) -> bool:
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in REMOVED_RANGES):
        return True
    return unicodedata.category(ch) in ("Cf", "Mn", "Me")


def _map_char(ch: str) -> str:
    """The per-character rule (step 2) for one character of NFKC text."""
    if _is_removed(ch):
        return ""
    if ch in LETTER_MAP:
        return LETTER_MAP[ch]
    if ch in DIGIT_MAP:
        return DIGIT_MAP[ch]
    cat = unicodedata.category(ch)
    if cat[0] in "PSZ" or cat == "Cc":
        return " "
    lower = ch.lower()
    # A few characters lowercase to two (İ -> i̇); keep those as they are so
    # the rule stays one character in, at most one character out.
    return lower if len(lower) == 1 else ch


def normalize_reference(text: str) -> str:
    """The specification, written for clarity rather than speed."""
    nfkc = unicodedata.normalize("NFKC", text)
    mapped = "".join(_map_char(ch) for ch in nfkc)
    return " ".join(part for part in mapped.split(" ") if part)


@functools.lru_cache(maxsize=1)
def _bmp_table() -> dict[int, str | None]:
    """``str.translate`` table for the Basic Multilingual Plane: the
    characters :func:`codepoint_table` changes (``translate`` leaves the
    rest alone). Built lazily so ``dedup --help`` does not pay it."""
    table = codepoint_table()
    changed = np.flatnonzero(table != np.arange(table.size)).tolist()
    return {cp: (chr(out) if out >= 0 else None) for cp, out in zip(changed, table[changed].tolist())}


#: Value of :func:`codepoint_table` for a code point the rules remove.
REMOVED = -1
#: Value of :attr:`Tables.raw` for a code point whose NFKC depends on its
#: neighbours (it composes with the character before it, or is a combining
#: mark that decomposes or that the rules keep): a text holding one takes
#: CPython's NFKC.
OTHER = -2


class Tables(NamedTuple):
    """The normalization as arrays a compiled loop reads.

    ``mapped[cp]``: the per-character rule (step 2) for a character of NFKC
    text: the code point it becomes, or :data:`REMOVED`.

    ``raw[cp]``: steps 1 and 2 at once for a character of raw text, whenever
    NFKC can be applied character by character: the code point, or
    :data:`REMOVED`, or :data:`OTHER`, or ``-3 - e`` for the multi-character
    result ``exp_cps[exp_off[e]:exp_off[e + 1]]`` (ﷲ -> الله, ﻻ -> لا).
    """

    mapped: np.ndarray
    raw: np.ndarray
    exp_off: np.ndarray
    exp_cps: np.ndarray


def _composers() -> frozenset[int]:
    """Code points that can compose with the character before them: the
    second of every two-character canonical decomposition, and the Hangul
    vowel and trailing jamo."""
    out = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<") and d.count(" ") == 1:
            out.add(int(d.split()[1], 16))
    return frozenset(out)


def _build_tables() -> Tables:
    """Derive :class:`Tables` from :func:`_map_char` and ``unicodedata``.

    Why NFKC may go character by character (``raw``): NFKC of a text is the
    concatenation of NFKC of its segments, each from one character to just
    before the next character that starts one, i.e. whose NFKD begins with a
    starter (combining class 0) that composes with nothing before it (ICU's
    "boundary before"). A text made of such characters only is normalized
    one character at a time. Combining marks that decompose to themselves,
    compose with nothing and are removed by the rules (harakat, shadda, most
    marks) may follow them: they can be reordered among marks or block a
    composition only with a mark that composes (which is :data:`OTHER`), so
    dropping them gives the same result. Anything else is :data:`OTHER`.
    """
    composers = _composers()
    mapped = np.arange(0x10000, dtype=np.int32)
    raw = np.arange(0x10000, dtype=np.int32)
    exp_off = [0]
    exp_cps: list[int] = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            raw[cp] = OTHER
            continue
        ch = chr(cp)
        out = _map_char(ch)
        mapped[cp] = ord(out) if out else REMOVED
        nfkd = unicodedata.normalize("NFKD", ch)
        if unicodedata.combining(nfkd[0]) == 0 and ord(nfkd[0]) not in composers:
            nfkc = unicodedata.normalize("NFKC", ch)
            if max(nfkc) > "\uffff":
                raw[cp] = OTHER
                continue
            out = "".join(_map_char(c) for c in nfkc)
            if len(out) <= 1:
                raw[cp] = ord(out) if out else REMOVED
            else:
                raw[cp] = -3 - (len(exp_off) - 1)
                exp_cps.extend(map(ord, out))
                exp_off.append(len(exp_cps))
        elif unicodedata.combining(ch) and nfkd == ch and cp not in composers and not out:
            raw[cp] = REMOVED
        else:
            raw[cp] = OTHER
    return Tables(mapped, raw, np.asarray(exp_off, dtype=np.int64), np.asarray(exp_cps, dtype=np.uint32))


def _cache_paths() -> list[Path]:
    """Where the built tables may be kept, in order: next to the compiled
    numba cache, else (a read-only install) in the user's cache directory,
    as numba does; named after everything they depend on (the rules in this
    file and CPython's Unicode data)."""
    key = hashlib.sha256(Path(__file__).read_bytes())
    key.update(f"{unicodedata.unidata_version}|{sys.version_info[:2]}".encode())
    name = f"normalize-tables-{key.hexdigest()[:16]}.npz"
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dedup"
    return [Path(__file__).resolve().parent / "__pycache__" / name, user / name]


def _save(built: Tables, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **built._asdict())
    os.replace(tmp, path)
    for stale in path.parent.glob("normalize-tables-*.npz"):  # of earlier rules
        if stale != path:
            stale.unlink(missing_ok=True)


@functools.lru_cache(maxsize=1)
def tables() -> Tables:
    """:class:`Tables`, built on first use (~1 s) and cached on disk, so a
    warm start loads them in about a millisecond."""
    paths = _cache_paths()
    for path in paths:
        try:
            with np.load(path) as data:
                return Tables(*(data[name] for name in Tables._fields))
        except (OSError, KeyError, ValueError):
            pass
    built = _build_tables()
    for path in paths:
        try:
            _save(built, path)
            break
        except OSError:  # not writable: try the next place (none: build on each start)
            pass
    return built


def codepoint_table() -> np.ndarray:
    """The per-character rule for every BMP code point as an int32 array:
    ``table[cp]`` is the code point it becomes, or :data:`REMOVED`
    (:attr:`Tables.mapped`)."""
    return tables().mapped


def nfkc(text: str) -> str:
    """Unicode NFKC of ``text`` (step 1), skipping the work when it is a no-op.

    Most news text is NFKC already except for no-break spaces (U+00A0, which
    NFKC turns into U+0020: a starter that composes with nothing, so replacing
    it first gives the same result); the quick check then answers without
    normalizing."""
    text = text.replace("\xa0", " ")
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def _astral_fix(text: str) -> str:
    """Apply the rules to characters outside the BMP (emoji and the like)."""
    return "".join(_map_char(ch) if ord(ch) > 0xFFFF else ch for ch in text)


def normalize(text: str) -> str:
    """Normalize ``text``; identical to :func:`normalize_reference`, faster."""
    out = nfkc(text).translate(_bmp_table())
    if out and max(out) > "\uffff":
        out = _astral_fix(out)
    # Every whitespace character is already a plain space here, so split()
    # collapses exactly the runs of spaces.
    return " ".join(out.split())


@dataclass(frozen=True)
class OffsetMap:
    """Normalized text plus, for each of its characters, the original span.

    ``start[i]:end[i]`` is the slice of the original text that produced
    normalized character ``i``; a normalized span ``[i, j)`` maps back to
    ``original[start[i]:end[j-1]]``.
    """

    text: str
    start: np.ndarray
    end: np.ndarray

    def snap(self, i: int, j: int) -> tuple[int, int]:
        """Widen normalized ``[i, j)`` so it neither starts nor ends inside
        the expansion of one original character (ﷲ -> الله)."""
        while 0 < i < len(self.start) and self.start[i - 1] == self.start[i]:
            i -= 1
        while 0 < j < len(self.end) and self.end[j] == self.end[j - 1]:
            j += 1
        return i, j

    def original_span(self, i: int, j: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalized characters ``[i, j)``."""
        if j <= i:
            raise ValueError(f"empty normalized span [{i}, {j})")
        return int(self.start[i]), int(self.end[j - 1])


def _clusters(text: str):
    """Split ``text`` into a starter and its following combining characters.

    NFKC of the whole text equals the concatenation of NFKC of these clusters
    for everything but rare cross-starter compositions (Hangul jamo); the
    offset map checks that equality and falls back to one cluster otherwise.
    """
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        yield i, j
        i = j


def normalize_with_offsets_reference(text: str) -> OffsetMap:
    """Normalize ``text`` and keep the map back to original offsets: the
    specification of :func:`normalize_with_offsets`, a Python loop written
    for clarity (~5 us a character).

    The text is cut into clusters (:func:`_clusters`); every character of a
    cluster's NFKC that the rules keep maps back to the whole cluster, so a
    letter's span includes the harakat after it.
    """
    pieces: list[tuple[int, int, str]] = []
    for i, j in _clusters(text):
        pieces.append((i, j, unicodedata.normalize("NFKC", text[i:j])))
    if "".join(p[2] for p in pieces) != unicodedata.normalize("NFKC", text):
        pieces = [(0, len(text), unicodedata.normalize("NFKC", text))]
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    rule: dict[str, str] = {}  # _map_char of the characters seen so far
    for i, j, nfkc in pieces:
        for ch in nfkc:
            out = rule.get(ch)
            if out is None:
                out = rule[ch] = _map_char(ch)
            if not out:
                continue
            if out == " ":
                if not chars or chars[-1] == " ":
                    continue
            chars.append(out)
            starts.append(i)
            ends.append(j)
    if chars and chars[-1] == " ":
        chars.pop()
        starts.pop()
        ends.pop()
    return OffsetMap("".join(chars), np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))


def _maybe_composer(ch: str) -> bool:
    """A superset of :func:`_composers` that needs no scan of Unicode: every
    character composing with the one before it is a mark or a Hangul vowel
    or trailing jamo (checked against the scan in the tests)."""
    return unicodedata.category(ch)[0] == "M" or 0x1160 <= ord(ch) <= 0x11FF


@functools.lru_cache(maxsize=4096)
def _astral_raw(cp: int) -> tuple[int, str]:
    """:attr:`Tables.raw` for a code point outside the BMP, by the same
    reasoning, conservatively: ``(value, expansion)`` where value is a code
    point, :data:`REMOVED`, :data:`OTHER`, or ``-3`` with the
    multi-character result in ``expansion``."""
    ch = chr(cp)
    nfkd = unicodedata.normalize("NFKD", ch)
    if _maybe_composer(ch) or unicodedata.combining(nfkd[0]) or _maybe_composer(nfkd[0]):
        return OTHER, ""
    out = "".join(_map_char(c) for c in unicodedata.normalize("NFKC", ch))
    if len(out) <= 1:
        return (ord(out) if out else REMOVED), ""
    return -3, out


#: Per code point: 1 if its combining class is 0 (it opens a cluster), 0 if
#: not, -1 not looked up yet (filled as texts come, see :func:`_opens`).
_OPENS = np.full(0x110000, -1, dtype=np.int8)


def _opens(cps: np.ndarray) -> np.ndarray:
    """Whether each code point has combining class 0 (a new array)."""
    known = _OPENS[cps]
    if (known < 0).any():
        for cp in distinct(cps[known < 0]).tolist():
            _OPENS[cp] = unicodedata.combining(chr(cp)) == 0
        known = _OPENS[cps]
    return known == 1


def normalize_with_offsets(text: str) -> OffsetMap:
    """Normalize ``text`` and keep the map back to original offsets; the
    same :class:`OffsetMap` as :func:`normalize_with_offsets_reference`.

    Vectorized over the text's code points with :attr:`Tables.raw` (NFKC and
    the rules per character: kept, removed or expanded, e.g. ﷲ -> الله), the
    clusters cut before every character of combining class 0, then the runs
    of spaces collapsed. The clusters holding a character whose NFKC depends
    on its neighbours (:data:`OTHER`: composing marks, Hangul jamo) are
    normalized one by one as in the reference; the rare text where that is
    not NFKC of the whole (jamo composing across clusters) takes the
    reference. ~25x faster on a news article (0.18 ms, was 5 ms); used for
    evidence on the pairs that are reported, and for the candidates a
    screened story is verified against (their text equals the compiled
    batch's, tests/test_offsets_fast.py).
    """
    if not text:
        return OffsetMap("", np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    tab = tables()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    raw = tab.raw[np.minimum(cps, 0xFFFF)].astype(np.int64)
    exp_off, exp_cps = tab.exp_off, tab.exp_cps
    extra_off: list[int] = []  # expansions of this text only, after the table's
    extra_cps: list[int] = []

    def expansion(out: str) -> int:
        """The ``raw`` value of a further expansion ``out``."""
        extra_cps.extend(map(ord, out))
        extra_off.append(int(exp_off[-1]) + len(extra_cps))
        return -3 - (len(exp_off) - 2 + len(extra_off))

    if cps.max() > 0xFFFF:
        where = np.flatnonzero(cps > 0xFFFF)
        uniq, inv = np.unique(cps[where], return_inverse=True)
        value = np.empty(len(uniq), dtype=np.int64)
        for k, cp in enumerate(uniq.tolist()):
            v, out = _astral_raw(cp)
            value[k] = expansion(out) if v == -3 else v
        raw[where] = value[inv.reshape(-1)]
    # clusters: a character of combining class 0 opens one (and so does the first)
    opens = _opens(cps)
    opens[0] = True
    first = np.flatnonzero(opens)
    last = np.append(first[1:], len(cps))
    cluster = np.cumsum(opens) - 1
    c_start = first[cluster]
    c_end = last[cluster]
    other = np.flatnonzero(raw == OTHER)
    if len(other):
        # A cluster holding a character whose NFKC depends on its neighbours
        # (composing marks, jamo) is normalized as the reference does it, as
        # one expansion; NFKC of the text splits before every cluster opened
        # by a character that is not OTHER (see _build_tables), so only runs
        # of clusters opened by OTHER characters are checked as the reference
        # checks the whole text (and take the reference when that fails).
        dirty = distinct(cluster[other]).tolist()
        weak = set(cluster[other[opens[other]]].tolist()) - {0}
        for k in sorted(weak):
            if k - 1 in weak:
                continue  # checked with the run starting before it
            k0, k1 = k - 1, k
            while k1 + 1 in weak:
                k1 += 1
            pieces = [unicodedata.normalize("NFKC", text[first[c] : last[c]]) for c in range(k0, k1 + 1)]
            if "".join(pieces) != unicodedata.normalize("NFKC", text[first[k0] : last[k1]]):
                return normalize_with_offsets_reference(text)
        for k in dirty:
            i, j = int(first[k]), int(last[k])
            out = "".join(_map_char(ch) for ch in unicodedata.normalize("NFKC", text[i:j]))
            raw[i:j] = REMOVED
            if out:
                raw[i] = ord(out) if len(out) == 1 else expansion(out)
    if extra_off:
        exp_off = np.concatenate((exp_off, np.asarray(extra_off, dtype=exp_off.dtype)))
        exp_cps = np.concatenate((exp_cps, np.asarray(extra_cps, dtype=exp_cps.dtype)))
    # output characters per input character
    e = np.where(raw <= -3, -3 - raw, 0)
    count = np.where(raw >= 0, 1, np.where(raw == REMOVED, 0, exp_off[e + 1] - exp_off[e]))
    pos = np.repeat(np.arange(len(cps), dtype=np.int64), count)
    if not len(pos):
        return OffsetMap("", np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    within = np.arange(len(pos), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    rp = raw[pos]
    if len(exp_cps):
        out = np.where(rp >= 0, rp, exp_cps[np.minimum(exp_off[e[pos]] + within, len(exp_cps) - 1)])
    else:
        out = rp
    # a space is kept after a kept non-space only; then a trailing one goes
    space = out == 0x20
    keep = ~space
    keep[1:] |= ~space[:-1]
    keep[0] = not space[0]
    idx = np.flatnonzero(keep)
    if len(idx) and space[idx[-1]]:
        idx = idx[:-1]
    pos = pos[idx]
    chars = out[idx].astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    return OffsetMap(chars, c_start[pos].astype(np.int64), c_end[pos].astype(np.int64))
