"""What a verified pair of documents is, in a desk's terms.

Every command that reports a pair (scan clusters and pairs, screen matches,
check reports) asks :func:`judge` and nothing else, so the rules live in one
place. Relations:

- ``duplicate``: the same text up to normalization.
- ``near_duplicate``: an edited copy (reason ``edited``: exact Jaccard at or
  above the threshold), a cut-down copy (reason ``truncated``: the shorter
  text is contained in the longer, which adds fewer than
  :data:`NEW_LEAD_WORDS` words before it and inside it: what it adds is at
  its end), or a copy reworded sentence by sentence (reason ``reworded``:
  Jaccard just under the threshold, no conflicting slot, nothing added, and
  each text's lead told in the other).
- ``update``: the same story with changed figures (reason ``figures_changed``)
  or with a new lead (``new_lead``: that many words or more before the shared
  text) or new paragraphs inside it (``expanded``).
- ``partial``: the shorter text is contained in the longer but is less than
  :attr:`VerdictConfig.min_share` of it (a short story inside a long
  article); counted as a duplicate only with
  :attr:`VerdictConfig.partial_is_duplicate`. Scan also reports shared
  passages between otherwise different stories as partial pairs
  (:mod:`dedup.passages`).
- ``different``: not a copy; reason ``low_similarity``, or ``template`` when
  the two texts share their wording but disagree on its facts (royal cables to
  different countries, weather or market reports of different days, different
  missile interceptions).

Only relations in :data:`DUPLICATE_RELATIONS` count as duplicates.

Why these rules (measured on natural-dev, README "Verdicts"): a single
similarity threshold cannot tell a truncated copy (low Jaccard, high
containment) from a template report about another occasion (high Jaccard and
containment). Containment recovers the truncations and updates; the template
test rejects pairs whose shared wording is interrupted by conflicting slots:
aligned words replaced by words that occur nowhere in the other text (or
figures by other figures, which a report repeats) and are not rewordings of
them (spelling variants, the same stem inflected, a figure in digits against
the same in words, a function word). Copies rarely do that
(they add or cut whole sentences, or re-spell); templates do it in every
sentence. Two kinds of slot settle it alone, however few: another ordinal
(the fourth relief plane against the sixth) and another name after a place
noun both texts share (the city of Jazan against the city of Najran): an
edited copy does not change which occurrence of an event it reports, or
where it happened.

Just under the threshold (from :attr:`VerdictConfig.reworded` of it), a pair
that is not contained is a copy reworded sentence by sentence only when not
one slot conflicts, the longer text adds nothing (no new lead, no new
paragraph) and each text's lead (:func:`lead`, read from the original text)
is told in the other: template reports of other days list other items, and
stories that share a background paragraph lead with different news.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

DUPLICATE_RELATIONS = frozenset({"duplicate", "near_duplicate", "update"})
#: reasons of the pairs a report lists (duplicate relations and partial);
#: the other two, ``low_similarity`` and ``template``, are of ``different``
PAIR_REASONS = ("edited", "reworded", "truncated", "figures_changed", "new_lead", "expanded", "contained")
#: words the longer text has before the shared text for it to count as a new
#: lead, or inside it for new paragraphs (a sentence of wire copy)
NEW_LEAD_WORDS = 15
#: A lead is the first sentence of at least this many words (a headline or a
#: dateline is shorter), sentences ending at . ! ? ؟ or a line break.
LEAD_MIN_WORDS = 8
#: ... and at most this many (its first words): a text without sentence ends
#: would otherwise be its own lead, and the test a plain overlap of the texts
#: (no pair of natural-dev or wirecopy-dev changes with 25, 40 or 60)
LEAD_MAX_WORDS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")
#: share of a lead's content stems the other text must have for the lead to
#: be told there (a reworded copy)
LEAD_TOLD = 0.5
#: Two texts' leads (:func:`lead`), or a function that reads them when asked
Leads = tuple[str, str] | Callable[[], tuple[str, str]]
_DIGITS = re.compile(r"\d+")
#: Time references (normalized), which copies edit when re-sent a day later:
#: a changed weekday or "today" -> "yesterday" is not a conflicting fact.
TIME_WORDS = frozenset(
    "السبت الاحد الاثنين الثلاثاء الاربعاء الخميس الجمعه اليوم امس غدا الليله البارحه صباح مساء ظهر فجر".split()
)
_CLITICS = ("وب", "ول", "و", "ف", "ب", "ل")
#: Function words (normalized): prepositions, particles, pronouns and
#: demonstratives. A rewording swaps them for content words and back; they
#: never state a fact, so a slot with only these on one side is no conflict.
FUNCTION_WORDS = frozenset(
    "في من الي عن مع خلال بعد عند ضد دون بين منذ حتي لدي ان انه انها انهم لان كما قد لقد ثم او "
    "بل لكن الا اذا لو لم لن لا ما الذي التي الذين هذا هذه ذلك تلك هناك هنا هو هي هم كان كانت تم ايضا كل "
    "بعض اي".split()
)  # not علي (also the name Ali), امام, ام, حول, قبل, غير: content words too
#: Light-stemming affixes (Larkey's light10, on normalized text, plus the
#: accusative alef, which unvocalized text writes as a letter).
_PREFIXES = ("بال", "كال", "فال", "ال", "لل")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي", "ا")


def _number_values() -> dict[str, int]:
    from pyarabic.number import text2number
    from pyarabic.number_const import NUMBER_WORDS as words

    from .normalize import normalize

    # text2number reads the unnormalized word (it knows ة, not ه); it reads
    # واحدة as 0, and the list has no feminine "two"
    values = {normalize(w): text2number(w) for w in words}
    values.update({normalize(w): v for w, v in (("واحدة", 1), ("اثنتان", 2), ("اثنتين", 2), ("اثنتا", 2), ("اثنتي", 2))})
    return values


#: Arabic number words (pyarabic's list), normalized like the texts, and
#: their values: wire copy writes a figure in digits where a paper spells it
#: out, or back.
NUMBER_VALUES = _number_values()
NUMBER_WORDS = frozenset(NUMBER_VALUES) | {"فاصله"}  # "point", of a decimal


def _ordinal_values() -> dict[str, int]:
    from pyarabic.number import text2number
    from pyarabic.number_const import UNITS_ORDINAL_WORDS, UNITS_ORDINAL_WORDS_FEMININ

    from .normalize import normalize

    out = {}
    for table in (UNITS_ORDINAL_WORDS, UNITS_ORDINAL_WORDS_FEMININ):
        for cardinal, ordinal in table.items():
            value = text2number(cardinal)
            if value > 0:
                out[normalize(ordinal)] = out["ال" + normalize(ordinal)] = value
    # "first" is not a form of واحد (pyarabic's حادي is the 1 of 11th, 21st)
    out.update({w: 1 for w in ("اول", "الاول", "اولي", "الاولي")})
    return out


#: Ordinal words 1-10, masculine and feminine, with and without the article
#: (pyarabic's tables, normalized), and their values: "the fourth relief
#: plane", "the sixth round" name which occurrence of a recurring event a
#: report is about, which an edited copy of it does not change.
ORDINAL_VALUES = _ordinal_values()


def _forms(word: str, clitics: tuple[str, ...] = _CLITICS) -> Iterator[str]:
    """``word``, then ``word`` without each leading conjunction or preposition it starts with."""
    yield word
    yield from (word[len(c) :] for c in clitics if word.startswith(c))


def _in(words: frozenset[str], word: str, clitics: tuple[str, ...] = _CLITICS) -> bool:
    return any(form in words for form in _forms(word, clitics))


def _value(word: str, values: dict[str, int] = NUMBER_VALUES) -> int | None:
    """The value of a number word (or of a word of another table of
    ``values``), with a leading conjunction or preposition, if it is one."""
    return next((values[form] for form in _forms(word) if form in values), None)


def _place_nouns() -> frozenset[str]:
    from .normalize import normalize

    return frozenset(
        normalize(w)
        for w in "مدينة محافظة منطقة ولاية إقليم مقاطعة قرية بلدة دولة جمهورية عاصمة مطار ميناء جزيرة حي".split()
    )


#: Nouns that introduce a place's name ("the city of", "the governorate of",
#: "the airport of"): the word after one is a name, the fact a report of a
#: recurring event (an interception, a flight, a forecast) changes.
PLACE_NOUNS = _place_nouns()


def _names_a_place(word: str) -> bool:
    """Whether ``word`` is a place noun (with the article or a leading conjunction or preposition)."""
    return any(f in PLACE_NOUNS or (f.startswith("ال") and f[2:] in PLACE_NOUNS) for f in _forms(word))


#: the second word of a compound ordinal 11th-19th (الحادية عشرة, الثاني عشر)
_TEEN = frozenset({"عشر", "عشره"})


def _ordinal(word: str) -> int | None:
    """The value of an ordinal word (after a leading conjunction or
    preposition), or of a compound one (:func:`_words`: الحاديه عشره is 11)."""
    head, _, teen = word.partition(" ")
    value = _value(head, ORDINAL_VALUES)
    return value + 10 if value is not None and teen else value


def _ordinals(words: list[str]) -> set[int]:
    """The values of the ordinal words among ``words``."""
    return {v for v in map(_ordinal, words) if v is not None}


def _words(text: str) -> list[str]:
    """The words of a normalized text, a compound ordinal 11th-19th as one
    (الحاديه عشره): aligned word by word, الحادية عشرة against الأولى, or
    الثانية عشرة against الثانية, would leave عشرة a word inserted or
    replacing another, never a slot of two ordinals."""
    out: list[str] = []
    for w in text.split():
        if w in _TEEN and out and " " not in out[-1] and _ordinal(out[-1]) is not None:
            out[-1] = f"{out[-1]} {w}"
        else:
            out.append(w)
    return out


def _and(word: str, vocab: set[str]) -> bool:
    """Whether ``word`` is the conjunction و, alone or before a word: one
    that occurs bare in either text, a function word, one with the article
    (والرياض) or, a guess, a verb in the imperfect (ويرجع, وتقول: ي, ت or ن
    and at least three more letters). A name that starts with the letter is a
    name (واشنطن, وهران), unless it looks like that verb (ويسكونسن)."""
    rest = word[1:]
    return word == "و" or (
        word.startswith("و")
        and (rest in vocab or rest in FUNCTION_WORDS or rest.startswith("ال") or (rest[:1] in "يتن" and len(rest) >= 4))
    )


def _figure(words: list[str]) -> bool:
    """Whether ``words`` hold a figure, in digits or in words."""
    return any(_DIGITS.search(w) or _in(NUMBER_WORDS, w) for w in words)


def _same_figure(digits: list[str], words: list[str]) -> bool:
    """Whether a slot with digits on one side and number words on the other
    can be one figure written two ways: not when each side holds a single
    number and their values differ (5 against ثلاثة, 5 قتلى against ثلاثة
    جرحى). Several numbers on a side (ثلاث مئة, a decimal) are not compared."""
    if not _figure(words):
        return False
    figures = _DIGITS.findall(" ".join(digits))  # 40كم: the unit attached
    values = [v for v in map(_value, words) if v is not None]
    if len(figures) == 1 and len(values) == 1:
        return values[0] == int(figures[0])
    return True


def stem(word: str) -> str:
    """A light stem of a normalized word: the same word with its article,
    conjunction or inflection keeps it (صاروخيا, الصاروخ -> صاروخ), so a
    reworded phrase is not read as another fact."""
    if word.startswith("و") and len(word) > 3:
        word = word[1:]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word, stripped = word[: -len(suffix)], True
                break
    return word


def _stems(words: list[str]) -> set[str]:
    """Light stems of ``words`` (number words left out: ثلاثة and ثلاثين share one)."""
    return {s for s in (stem(w) for w in words if not _in(NUMBER_WORDS, w)) if len(s) >= 3}


@dataclass(frozen=True)
class VerdictConfig:
    """Thresholds of the rules; defaults measured on natural-dev (README)."""

    #: exact Jaccard at or above which an unconflicted pair is an edited copy
    threshold: float = 0.5
    #: share of the shorter text's shingles found in the longer text at or
    #: above which an unconflicted pair is a truncation or an update
    containment: float = 0.75
    #: ... provided the shared text is at least this share of the longer text;
    #: a short story inside a much longer article is a ``partial`` pair (issue
    #: "evidence and partial duplicates"), reported but not clustered
    min_share: float = 0.33
    #: conflicting slots per 100 aligned words at or above which shared
    #: wording is a template about other facts
    conflict_rate: float = 1.5
    #: Jaccard at or above which the template test is not run: so much text is
    #: shared that conflicting slots are edits (this also keeps random word
    #: substitutions in heavily edited copies from reading as templates)
    template_max_jaccard: float = 0.75
    #: a slot is at most this many words on each side
    slot_words: int = 3
    #: replaced words at least this similar (rapidfuzz ratio, 0-100) are
    #: spelling variants, not conflicting facts: one letter added or changed
    #: in a word of four or more letters scores 75 or more (اميركيه and
    #: امريكيه 86), while two names sharing three of five letters score 60
    #: (نجران, جازان); no labeled pair changes between 60 and 80
    variant_ratio: float = 75.0
    #: a non-numeric slot is a fact only if its words recur in their text
    #: (a country, a city, a name is mentioned again; an edited word is not)
    recurring: bool = True
    #: run the template test at all (off: shared wording is always a copy)
    templates: bool = True
    #: count ``partial`` pairs (a short text inside a much longer one) as
    #: duplicates too
    partial_is_duplicate: bool = False
    #: a pair with Jaccard from this share of ``threshold`` up to it is a
    #: reworded copy when nothing else tells it apart: no conflicting slot,
    #: no new lead or paragraphs, each lead told in the other text (1.0: off)
    reworded: float = 0.9

    @property
    def floor(self) -> float:
        """The lowest Jaccard at which a pair that is not contained can be a
        duplicate (a reworded copy)."""
        return self.threshold * self.reworded

    def __post_init__(self) -> None:
        # a library caller gets the same guard the CLI's option ranges give
        for name in ("threshold", "containment", "template_max_jaccard", "reworded"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if not 0.0 <= self.min_share <= 1.0:
            raise ValueError(f"min_share must be in [0, 1], got {self.min_share}")
        if self.conflict_rate <= 0.0:
            raise ValueError(f"conflict_rate must be > 0 (conflicting slots per 100 aligned words), got {self.conflict_rate}")
        if self.slot_words < 1:
            raise ValueError(f"slot_words must be >= 1, got {self.slot_words}")
        if not 0.0 <= self.variant_ratio <= 100.0:
            raise ValueError(f"variant_ratio must be in [0, 100], got {self.variant_ratio}")


@dataclass(frozen=True)
class Verdict:
    relation: str
    jaccard: float
    #: (share of a's shingles found in b, share of b's shingles found in a)
    containment: tuple[float, float]
    reason: str | None = None
    #: conflicting slots found by the template test, as (words in a, words in b)
    conflicts: tuple[tuple[str, str], ...] = ()
    #: partial pairs count as duplicates (``VerdictConfig.partial_is_duplicate``)
    partial_counts: bool = False

    @property
    def is_duplicate(self) -> bool:
        return self.relation in DUPLICATE_RELATIONS or (self.partial_counts and self.relation == "partial")


def overlap(inter: int, size_a: int, size_b: int) -> tuple[float, tuple[float, float]]:
    """Jaccard and both containments from an intersection and set sizes."""
    union = size_a + size_b - inter
    jac = inter / union if union else 0.0
    return jac, (inter / size_a if size_a else 0.0, inter / size_b if size_b else 0.0)


@dataclass(frozen=True)
class Alignment:
    """A word-level alignment of two normalized texts, summarized."""

    aligned_words: int
    conflicts: tuple[tuple[str, str], ...]
    #: conflicts that settle it alone: another ordinal (the fourth relief
    #: plane against the sixth) or another name after a shared place noun
    #: (the city of Jazan against the city of Najran)
    decisive: int
    #: words of the longer text before its first aligned word (a new lead)
    longer_head: int
    #: words the longer text has between its first and last aligned word
    #: beyond what the shorter has between its own (inserted paragraphs)
    longer_inside: int


def _fact_slot(
    sa: list[str], sb: list[str], count_a: Counter, count_b: Counter, place: bool, cfg: VerdictConfig
) -> tuple[str, str] | None:
    """The replaced words ``sa`` / ``sb`` as a conflicting slot (what is left
    of each side once shared stems are set aside), or None when they are the
    same words reworded: spelling variants, one stem inflected, one figure in
    digits and in words, particles, a new day, function words, or (with
    ``cfg.recurring``) words mentioned once that do not follow a place noun."""
    from rapidfuzz import fuzz

    if fuzz.ratio(" ".join(sa), " ".join(sb)) >= cfg.variant_ratio:
        return None
    shared = _stems(sa) & _stems(sb)
    if shared:  # the same words inflected: a rewording, unless figures differ beside them
        sa, sb = [w for w in sa if stem(w) not in shared], [w for w in sb if stem(w) not in shared]
        if not (sa and sb and _figure(sa) and _figure(sb)):
            return None
    ja, jb = " ".join(sa), " ".join(sb)
    digits_a, digits_b = bool(_DIGITS.search(ja)), bool(_DIGITS.search(jb))
    if digits_a != digits_b and _same_figure(sa if digits_a else sb, sb if digits_a else sa):
        return None  # one figure, in digits here and in words there
    if not (_figure(sa) and _figure(sb)):
        if not any(len(w) >= 3 for w in sa + sb):
            return None  # particles and one-letter clitics, not facts
        if all(_in(TIME_WORDS, w) for w in sa + sb):
            return None  # a re-sent copy's new day
        if all(_in(FUNCTION_WORDS, w, ("و",)) for w in sa) or all(_in(FUNCTION_WORDS, w, ("و",)) for w in sb):
            return None  # a reworded phrase: no fact on one side
        if cfg.recurring and not place and not (any(count_a[w] > 1 for w in sa) or any(count_b[w] > 1 for w in sb)):
            return None
    return ja, jb


def align(norm_a: str, norm_b: str, cfg: VerdictConfig = VerdictConfig()) -> Alignment:
    """Align the word sequences (rapidfuzz Levenshtein opcodes) and collect
    the conflicting slots: short replaced spans whose words occur nowhere in
    the other text (figures: whose sides share no figure) and that are not
    the same words reworded: not spelling variants, no shared light stem
    (:func:`stem`), not one figure in digits and in words, not a function
    word against a content word. Other
    ordinals, and names after a shared place noun even when mentioned once,
    are conflicts and :attr:`Alignment.decisive` ones; such a name is the
    first word on each side of the replaced words after the noun, however
    many follow it."""
    from rapidfuzz.distance import Levenshtein

    wa, wb = _words(norm_a), _words(norm_b)
    vocab_a, vocab_b = set(wa), set(wb)
    vocab = vocab_a | vocab_b
    count_a, count_b = Counter(wa), Counter(wb)
    aligned = decisive = 0
    conflicts: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    first_a = last_a = first_b = last_b = None
    # the edit region (the words between two aligned blocks) being walked:
    # where it starts, and whether a place's name opens it (until its first
    # replacement has been read)
    start = (0, 0)
    place = after_equal = False
    for op in Levenshtein.opcodes(wa, wb):
        if op.tag == "equal":
            aligned += op.src_end - op.src_start
            if first_b is None:
                first_a, first_b = op.src_start, op.dest_start
            last_a, last_b = op.src_end, op.dest_end
            after_equal = True
            continue
        if after_equal:
            # a region right after a shared place noun starts with a place's
            # name, unless a side starts a new clause (normalized text has
            # no full stops)
            start = (op.src_start, op.dest_start)
            place = (
                _names_a_place(wa[op.src_start - 1])
                and op.src_start < len(wa)
                and op.dest_start < len(wb)
                and not any(_and(w, vocab) for w in (wa[op.src_start], wb[op.dest_start]))
            )
        after_equal = False
        if op.tag != "replace":
            continue
        sa, sb = wa[op.src_start : op.src_end], wb[op.dest_start : op.dest_end]
        # the name is the region's first word on each side when the words
        # after it are rewritten too, or Levenshtein put an insertion first
        at_place, place = place, False
        if at_place and ((op.src_start, op.dest_start) != start or max(len(sa), len(sb)) > cfg.slot_words):
            sa, sb = wa[start[0] : start[0] + 1], wb[start[1] : start[1] + 1]
        elif len(sa) > cfg.slot_words or len(sb) > cfg.slot_words:
            continue
        if all(w.isdigit() for w in sa + sb):
            # figures recur in a report (the same wind speeds for two seas),
            # so one the other text has elsewhere has not moved there: a
            # slot of figures is a conflict unless its sides share one
            if not set(sa).isdisjoint(sb):
                continue
        elif any(w in vocab_b for w in sa) or any(w in vocab_a for w in sb):
            continue  # a word the other text has elsewhere may have moved there
        ordinals_a, ordinals_b = _ordinals(sa), _ordinals(sb)
        # before the spelling test: الرابعه and السابعه look alike
        ordinal = bool(ordinals_a and ordinals_b and ordinals_a.isdisjoint(ordinals_b))
        slot = (" ".join(sa), " ".join(sb)) if ordinal else _fact_slot(sa, sb, count_a, count_b, at_place, cfg)
        if slot is not None and slot not in seen:
            seen.add(slot)
            conflicts.append(slot)
            decisive += ordinal or at_place
    if first_b is None:
        return Alignment(aligned, tuple(conflicts), decisive, len(wb), 0)
    inside = max(0, (last_b - first_b) - (last_a - first_a))
    return Alignment(aligned, tuple(conflicts), decisive, first_b, inside)


def _numbers(text: str) -> set[str]:
    return set(_DIGITS.findall(text))


def lead(text: str) -> str:
    """The normalized lead of an ORIGINAL text: its first sentence of
    :data:`LEAD_MIN_WORDS` words or more (the whole text when it has none),
    cut to its first :data:`LEAD_MAX_WORDS` words. Normalized text has no
    punctuation left, so callers read the lead from the original and pass it
    along (:func:`judge`'s ``leads``)."""
    from .normalize import normalize

    first = next((s for s in _SENTENCE_END.split(text) if len(s.split()) >= LEAD_MIN_WORDS), text)
    return " ".join(normalize(first).split()[:LEAD_MAX_WORDS])


def _content_stems(norm: str) -> set[str]:
    """:func:`_stems` of a normalized text's content words (no function or
    time words)."""
    return _stems([w for w in norm.split() if not (_in(FUNCTION_WORDS, w) or _in(TIME_WORDS, w))])


def _told(lead_norm: str, other_norm: str) -> bool:
    """Whether at least :data:`LEAD_TOLD` of a lead's content stems occur in
    the other text: a reworded copy tells the same lead in other words; two
    stories that share background paragraphs lead with different news."""
    stems = _content_stems(lead_norm)
    return bool(stems) and len(stems & _content_stems(other_norm)) >= LEAD_TOLD * len(stems)


def judge(
    norm_a: str,
    norm_b: str,
    inter: int,
    size_a: int,
    size_b: int,
    threshold: float | VerdictConfig = VerdictConfig(),
    leads: Leads | None = None,
) -> Verdict:
    """The relation of two documents, from their normalized texts and the
    exact intersection and sizes of their shingle sets.

    ``threshold`` is a :class:`VerdictConfig`, or just the Jaccard threshold
    (the other rules at their defaults). ``leads`` are the two texts'
    :func:`lead`, read from their original texts, or a function returning
    them: only a pair under the threshold that passes every other test of a
    reworded copy needs them (ValueError without them then).
    """
    cfg = threshold if isinstance(threshold, VerdictConfig) else VerdictConfig(threshold=threshold)
    jac, cont = overlap(inter, size_a, size_b)
    if norm_a and norm_a == norm_b:  # two empty texts are not one story
        return Verdict("duplicate", jac, cont)
    contained = max(cont)
    if jac < cfg.floor and contained < cfg.containment:
        return Verdict("different", jac, cont, "low_similarity")
    # the shorter text is the alignment's source, so head/tail describe what
    # the longer one adds
    short, long_ = (norm_a, norm_b) if len(norm_a) <= len(norm_b) else (norm_b, norm_a)
    if jac < cfg.threshold and contained < cfg.containment:
        return _reworded(short, long_, jac, cont, (norm_a, norm_b), leads, cfg)
    alignment = None
    if cfg.templates and jac < cfg.template_max_jaccard:
        alignment = align(short, long_, cfg)
        rate = 100.0 * len(alignment.conflicts) / max(1, alignment.aligned_words)
        if alignment.decisive or (alignment.conflicts and rate >= cfg.conflict_rate):
            return Verdict("different", jac, cont, "template", alignment.conflicts)
    if jac >= cfg.threshold:
        nums_a, nums_b = _numbers(norm_a), _numbers(norm_b)
        if nums_a - nums_b and nums_b - nums_a:
            return Verdict("update", jac, cont, "figures_changed")
        return Verdict("near_duplicate", jac, cont, "edited")
    if min(cont) < cfg.min_share:
        return Verdict("partial", jac, cont, "contained", partial_counts=cfg.partial_is_duplicate)
    alignment = alignment or align(short, long_, cfg)
    if alignment.longer_head >= NEW_LEAD_WORDS:
        return Verdict("update", jac, cont, "new_lead")
    if alignment.longer_inside >= NEW_LEAD_WORDS:
        return Verdict("update", jac, cont, "expanded")
    return Verdict("near_duplicate", jac, cont, "truncated")


def _reworded(
    short: str,
    long_: str,
    jac: float,
    cont: tuple[float, float],
    texts: tuple[str, str],
    leads: Leads | None,
    cfg: VerdictConfig,
) -> Verdict:
    """A pair just under the threshold (at or above
    :attr:`VerdictConfig.floor`) and not contained: a copy reworded sentence
    by sentence (an editor's rewrite shares less wording than the threshold
    asks) when not one slot conflicts (stricter than the template test, and
    run whether or not that is), the longer adds no new lead or paragraphs
    (:data:`NEW_LEAD_WORDS`), and each text's lead is told in the other.
    Otherwise two stories, ``low_similarity`` (not ``template``, which keeps
    pairs apart in clusters: :func:`dedup.cluster.hub_clusters`): template
    reports of other days conflict somewhere or list other items, stories
    sharing background paragraphs lead with different news."""
    alignment = align(short, long_, cfg)
    if alignment.conflicts or max(alignment.longer_head, alignment.longer_inside) >= NEW_LEAD_WORDS:
        return Verdict("different", jac, cont, "low_similarity")
    if leads is None:
        raise ValueError("a pair just under the threshold is judged with both texts' leads (dedup.verdict.lead)")
    lead_a, lead_b = leads() if callable(leads) else leads
    if _told(lead_a, texts[1]) and _told(lead_b, texts[0]):
        return Verdict("near_duplicate", jac, cont, "reworded")
    return Verdict("different", jac, cont, "low_similarity")


def judge_pairs(
    pairs: np.ndarray,
    inter: np.ndarray,
    sizes: np.ndarray,
    normalized_of: Callable[[int], str],
    cfg: VerdictConfig = VerdictConfig(),
    lead_of: Callable[[int], str] | None = None,
) -> list[Verdict]:
    """:func:`judge` for many pairs ``(i, j)`` of document numbers.

    Pairs that cannot be duplicates by any rule are decided from the set
    sizes alone, without asking for the texts (``normalized_of(i)`` is
    document ``i``'s normalized text; ``lead_of(i)`` its :func:`lead`, asked
    for only when :func:`judge` needs it).
    """
    out = []
    for (i, j), x in zip(pairs.tolist(), inter.tolist()):
        a, b = int(sizes[i]), int(sizes[j])
        jac, cont = overlap(x, a, b)
        if jac < cfg.floor and max(cont) < cfg.containment:
            out.append(Verdict("different", jac, cont, "low_similarity"))
        else:
            leads = None if lead_of is None else lambda: (lead_of(i), lead_of(j))  # noqa: B023 (called here)
            out.append(judge(normalized_of(i), normalized_of(j), x, a, b, cfg, leads))
    return out
