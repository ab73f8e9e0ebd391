"""Every normalization rule, with real Arabic words; fast path == reference;
offset map round-trips."""

from __future__ import annotations

import random
import unicodedata

import numpy as np
import pytest

from dedup.codepoints import decode, encode, normalize_encoded, normalize_many
from dedup.normalize import (
    OTHER,
    REMOVED,
    Tables,
    _build_tables,
    _map_char,
    codepoint_table,
    nfkc,
    normalize,
    normalize_reference,
    normalize_with_offsets,
    tables,
)

CASES = [
    # harakat and shadda
    ("مُحَمَّدٌ", "محمد"),
    ("السَّلَامُ عَلَيْكُمْ", "السلام عليكم"),
    # superscript alef and Quranic marks
    ("هٰذَا", "هذا"),
    ("الرَّحِيمِ ۝", "الرحيم"),
    ("عَلَيۡهِ", "عليه"),
    # tatweel
    ("الريـــــاض", "الرياض"),
    ("مـجـلـس", "مجلس"),
    # alef forms
    ("أحمد", "احمد"),
    ("إسلام", "اسلام"),
    ("آمال", "امال"),
    ("ٱلله", "الله"),
    # alef maksura -> yaa (not alef: pyarabic's normalize_alef would say علا)
    ("على", "علي"),
    ("مصطفى", "مصطفي"),
    # teh marbuta -> heh
    ("المملكة العربية", "المملكه العربيه"),
    # Persian yeh and keheh
    ("کویتی", "كويتي"),
    # digits
    ("٢٠٢٤", "2024"),
    ("۱۴۰۲", "1402"),
    ("عام ١٤٤٥هـ", "عام 1445ه"),
    # presentation forms (as pasted from PDFs) and the lam-alef ligature
    ("ﺍﻟﻜﻮﻳﺖ", "الكويت"),
    ("ﻻ", "لا"),
    ("ﷲ", "الله"),
    # invisible and bidi controls
    ("الكو\u200bيت", "الكويت"),
    ("\u202bالرياض\u202c", "الرياض"),
    ("\u2067واس\u2069", "واس"),
    ("سعو\u061cدي", "سعودي"),
    ("\ufeffالخبر", "الخبر"),
    ("مم\u00adلكة", "مملكه"),
    ("ال\u200dكويت", "الكويت"),
    # punctuation to space, whitespace collapsed
    ("الرياض، (واس) -", "الرياض واس"),
    ("«مرحبا»؛ كيف؟", "مرحبا كيف"),
    ("قال: \"نعم\".", "قال نعم"),
    ("الكويت\u00a0\u00a0السعودية\n\nعمان\t", "الكويت السعوديه عمان"),
    ("٣٥٪", "35"),
    # Latin is lowercased
    ("وكالة AFP", "وكاله afp"),
    ("", ""),
    ("   ،،  ", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_rules(raw, expected):
    assert normalize_reference(raw) == expected
    assert normalize(raw) == expected
    assert normalize_with_offsets(raw).text == expected


def test_pyarabic_pitfall_is_avoided():
    from pyarabic.araby import normalize_alef

    assert normalize_alef("على") == "علا"  # why we do not use it
    assert normalize("على") == "علي"


def _adversarial(rng: random.Random, n: int) -> str:
    pools = [
        (0x0600, 0x06FF),  # Arabic
        (0x0750, 0x077F),
        (0xFB50, 0xFDFF),  # presentation forms A
        (0xFE70, 0xFEFF),  # presentation forms B
        (0x200B, 0x206F),  # general punctuation, bidi
        (0x0020, 0x007E),  # ASCII
        (0x00A0, 0x00FF),
        (0x0300, 0x036F),  # Latin combining marks
        (0x1F300, 0x1F64F),  # emoji
        (0x1D400, 0x1D4FF),  # math alphanumerics (NFKC -> ASCII)
        (0xAC00, 0xAC20),  # Hangul
        (0x1100, 0x1112),  # jamo
    ]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(pools)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def test_fast_equals_reference_adversarial():
    rng = random.Random(7)
    for _ in range(3000):
        text = _adversarial(rng, rng.randint(0, 60))
        assert normalize(text) == normalize_reference(text), repr(text)


def test_fast_equals_reference_real(wirecopy_docs):
    batch = normalize_many([doc.text for doc in wirecopy_docs])
    for doc, fast in zip(wirecopy_docs, batch):
        expected = normalize_reference(doc.text)
        assert normalize(doc.text) == expected, doc.id
        assert fast == expected, doc.id


def test_fast_equals_reference_seeds(seed_texts):
    assert normalize_many(seed_texts) == [normalize_reference(t) for t in seed_texts]
    for text in seed_texts:
        assert normalize(text) == normalize_reference(text)


def test_batch_equals_reference_adversarial():
    """The compiled batch path, on texts mixing every hard case: presentation
    forms, combining marks after no-break spaces, bidi controls, astral
    characters (which take the fallback), empty and all-space texts."""
    rng = random.Random(11)
    texts = [_adversarial(rng, rng.randint(0, 80)) for _ in range(3000)]
    texts += ["", " ", "\xa0", "\xa0\u0301", "a\xa0\u0654ا", "\u0627\xa0\u0654", "ﻻ\xa0ﷲ", "\U0001f600 ا", "x" * 5000]
    texts += ["".join(rng.choice(["\xa0", " ", "\u064e", "\u0651", "ا", "\u0654", "ﻷ", "\n"]) for _ in range(40)) for _ in range(500)]
    expected = [normalize_reference(t) for t in texts]
    assert normalize_many(texts) == expected
    # in smaller batches too (offsets restart, astral splicing per batch)
    for start in range(0, len(texts), 97):
        assert normalize_many(texts[start : start + 97]) == expected[start : start + 97]


def test_codepoint_table_is_the_rule():
    table = codepoint_table()
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        out = _map_char(chr(cp))
        assert table[cp] == (ord(out) if out else REMOVED), hex(cp)


def test_nfkc_shortcut_equals_nfkc():
    rng = random.Random(5)
    for _ in range(2000):
        text = _adversarial(rng, rng.randint(0, 40)) + rng.choice(["", "\xa0", "\xa0\u0301", "\u0301\xa0"])
        assert nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)


def test_encode_decode_round_trip():
    texts = ["", "abc", "الكويت", "\U0001f600x", ""]
    cps, offsets = encode(texts)
    assert decode(cps, offsets) == texts
    assert offsets.tolist() == [0, 0, 3, 9, 11, 11]
    out, out_off = normalize_encoded(texts)
    assert decode(out, out_off) == [normalize_reference(t) for t in texts]


def _check_offsets(text: str) -> None:
    om = normalize_with_offsets(text)
    assert om.text == normalize(text)
    assert len(om.start) == len(om.text) == len(om.end)
    n = len(om.text)
    rng = random.Random(len(text))
    spans = [(0, n)] + [tuple(sorted(rng.sample(range(n + 1), 2))) for _ in range(20)] if n > 1 else []
    for i, j in spans:
        if j <= i:
            continue
        i, j = om.snap(i, j)
        a, b = om.original_span(i, j)
        piece = normalize(text[a:b])
        # The original slice normalizes to the normalized span, give or take a
        # space at an edge (a collapsed space belongs to the next character).
        assert piece == om.text[i:j].strip(" "), (text[a:b], om.text[i:j])


def test_offsets_round_trip_noisy_text(seed_texts):
    noisy = (
        "\u202bقَالَ الـــمُـتَـحَـدِّثُ بِـاسْمِ ﺍﻟﻮﺯﺍﺭﺓ\u202c، إنّ «الاجتماع» عُقِدَ يوم ٢٠ ﻻ غير\u200f.\n"
        "ٱلْمَمْلَكَة\u00a0\u00a0الْعَرَبِيَّة\u2067 السُّعُودِيَّة\u2069 ﷲ أكبر ۝ ١٢٣٤"
    )
    _check_offsets(noisy)
    for text in seed_texts:
        _check_offsets(text)
    rng = random.Random(3)
    for _ in range(300):
        _check_offsets(_adversarial(rng, rng.randint(1, 40)))


def test_offsets_point_at_original_letters():
    text = "قَالَ الـمُـتَـحَـدِّثُ"
    om = normalize_with_offsets(text)
    assert om.text == "قال المتحدث"
    i = om.text.index("المتحدث")
    a, b = om.original_span(i, i + len("المتحدث"))
    assert text[a:b].startswith("ال") and unicodedata.normalize("NFKC", text[a:b]).endswith("ثُ")


# --- the compiled pass with NFKC folded in (Tables.raw) -----------------------------------------

#: Characters the hard cases are made of: letters, harakat and the marks that
#: compose (hamza above/below, madda, a Latin acute), presentation forms and
#: ligatures, spaces of every kind, Hangul, a Quranic mark, expansions with
#: spaces (U+FDFA), emoji.
_HARD = (
    "اأإآوؤيئىهةلبك"
    "\u064b\u064c\u064e\u064f\u0650\u0651\u0652\u0653\u0654\u0655\u0670\u06e1\u0640"
    "ﻻﻷﻹﻵﺍﺎﺃﺇﻟﻠﻜﺔﷲﷺﷻ\ufdfa\ufb50\ufe8e"
    " \xa0\u2009\u3000\n\t\u200b\u200c\u200d\u202b\u202c\u2066\ufeff"
    "eE\u0301\u0308\u0327\u00e9\u2026\u2033\u00bd\u2460"
    "\uac00\u1100\u1161\u11a8\u3131"
    "\U0001f600"
)


def test_tables_cached_equal_built():
    cached, built = tables(), _build_tables()
    for name in Tables._fields:
        np.testing.assert_array_equal(getattr(cached, name), getattr(built, name), err_msg=name)


def test_tables_rebuilt_from_a_damaged_cache(tmp_path, monkeypatch):
    import dedup.normalize as normalize_module

    path = tmp_path / "tables.npz"
    path.write_bytes(b"not an npz")
    monkeypatch.setattr(normalize_module, "_cache_paths", lambda: [path])
    fresh = normalize_module.tables.__wrapped__()
    np.testing.assert_array_equal(fresh.raw, tables().raw)
    with np.load(path) as data:  # rewritten
        np.testing.assert_array_equal(data["raw"], tables().raw)


def test_tables_cached_in_the_next_place_when_not_writable(tmp_path, monkeypatch):
    import dedup.normalize as normalize_module

    blocker = tmp_path / "a-file"  # a directory cannot be made under it (even by root)
    blocker.write_bytes(b"")
    user = tmp_path / "user" / "tables.npz"
    monkeypatch.setattr(normalize_module, "_cache_paths", lambda: [blocker / "pycache" / "tables.npz", user])
    normalize_module.tables.__wrapped__()
    with np.load(user) as data:
        np.testing.assert_array_equal(data["mapped"], tables().mapped)


def test_raw_table_is_nfkc_then_the_rule():
    tab = tables()
    for cp in range(0x10000):
        value = int(tab.raw[cp])
        if value == OTHER:
            continue
        expected = "".join(_map_char(c) for c in unicodedata.normalize("NFKC", chr(cp)))
        if value == REMOVED:
            got = ""
        elif value >= 0:
            got = chr(value)
        else:
            e = -3 - value
            got = "".join(map(chr, tab.exp_cps[tab.exp_off[e] : tab.exp_off[e + 1]].tolist()))
        assert got == expected, hex(cp)


def test_every_character_in_context():
    """Each BMP character the compiled pass handles on its own, between
    characters that compose, reorder or expand."""
    rng = random.Random(13)
    tab = tables()
    texts = []
    for cp in np.flatnonzero(tab.raw != OTHER).tolist():
        left = "".join(rng.choice(_HARD) for _ in range(rng.randint(0, 3)))
        right = "".join(rng.choice(_HARD) for _ in range(rng.randint(0, 3)))
        texts.append(left + chr(cp) + right)
    assert normalize_many(texts) == [normalize_reference(t) for t in texts]


def test_short_sequences_of_hard_characters():
    rng = random.Random(17)
    texts = ["".join(rng.choice(_HARD) for _ in range(rng.randint(1, 6))) for _ in range(40000)]
    assert normalize_many(texts) == [normalize_reference(t) for t in texts]


def test_expansions_outgrow_the_input():
    """U+FDFA is 18 characters after NFKC: the output array must grow."""
    texts = ["\ufdfa" * 5000, "ا", "\ufdfa ﷲ" * 300 + "\u0654", "", " \ufdfa ", "ﷺ" * 7 + "\U0001f600"]
    assert normalize_many(texts) == [normalize_reference(t) for t in texts]
    assert normalize_many(texts[:1]) == [normalize_reference(texts[0])]


def test_fallback_texts_keep_their_place():
    """Texts taking CPython's NFKC (a composing mark) or the astral path,
    first, last and between others, come back in order."""
    fast = ["ﺍﻟﻜﻮﻳﺖ مُحَمَّدٌ", "", "الرياض"]
    slow = ["و\u0654ا", "e\u0301", "\U0001f600 ا\u0654"]
    rng = random.Random(19)
    for _ in range(200):
        texts = [rng.choice(fast + slow) for _ in range(rng.randint(0, 8))]
        assert normalize_many(texts) == [normalize_reference(t) for t in texts], texts
