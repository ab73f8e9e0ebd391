"""Large synthetic Arabic news corpora for the scale benchmarks.

    python benchmarks/_corpus.py 100000 /tmp/corpus-100k.jsonl [SEED]

Why synthetic: the real evaluation sets have a few thousand documents; cost
at 100k or 1M documents has to be measured on something of that size that
still looks like news to every stage.

How: the real sentences of ``../shared/eval/wirecopy-dev/docs.jsonl`` (~60k)
are recombined at the word level: every new sentence is a walk through the
word-bigram table of those real sentences (each next word is a word that
follows the current one somewhere in the source). Recombining whole sentences
instead would reuse each source sentence ~300 times at 1M documents, so
unrelated documents would share whole sentences far more than real news does,
and LSH would face hundreds of millions of spurious candidate pairs that no
real corpus produces. Bigram walks keep real Arabic words, spellings,
punctuation and word-pair statistics (what char shingles see) while two
unrelated documents share only common phrases, as real articles do.
Documents are 1,800-3,600 characters long (mean ~2,700: a long news article).

Near-duplicates are planted so candidate generation, verification and
clustering do realistic work: ``dup_rate`` (default 3%) of the documents are
edited copies of one of the last ``RECENT`` documents (1-3 edits: drop or
insert a sentence, substitute words, alef/yaa/teh-marbuta spelling noise and
harakat, truncation); copies of copies occur, so clusters grow past pairs.

Deterministic: the same ``n``, ``seed`` and source give the same documents in
the same order. The output lives outside the repository (e.g. /tmp) and is
never committed: it is derived from internal evaluation data.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

SOURCE = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "wirecopy-dev" / "docs.jsonl"

#: Sentence ends: Arabic/Latin full stop, question and exclamation marks, line breaks.
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\s*\n+\s*")
#: How many recent documents an edited copy may come from (bounds memory).
RECENT = 4096
#: Documents whose fresh text is drawn in one vectorized walk.
_BATCH = 2048
#: Words walked per document: enough for 3,600 characters (~6.5 characters a word).
_STEPS = 900
_START, _END = 0, 1

_ALEF_FORMS = ("أ", "إ", "آ")
_HARAKAT = ("\u064e", "\u064f", "\u0650", "\u0652", "\u0651", "\u064b")


@dataclass(frozen=True)
class Bigrams:
    """Word-bigram table of real sentences, in CSR form.

    Word ``w``'s successors (with repeats, so sampling uniformly follows the
    bigram frequencies) are ``successors[start[w]:start[w + 1]]``; word 0
    starts a sentence, word 1 ends it.
    """

    words: np.ndarray  # object array: id -> word ("" and "." for start/end)
    lengths: np.ndarray  # characters of each word
    start: np.ndarray
    successors: np.ndarray

    @property
    def vocab(self) -> int:
        return len(self.words)


def load_bigrams(source: Path = SOURCE) -> Bigrams:
    """The bigram table of the real sentences (40-600 characters) of ``source``."""
    if not source.exists():
        raise FileNotFoundError(f"{source} is absent (internal evaluation data in ../shared/, not shipped with the repo)")
    ids: dict[str, int] = {"": _START, ".": _END}
    firsts: list[int] = []
    seconds: list[int] = []
    with open(source, "rb") as fh:
        for line in fh:
            for sentence in _SENTENCE_END.split(orjson.loads(line)["text"]):
                sentence = sentence.strip()
                if not 40 <= len(sentence) <= 600:
                    continue
                seq = [_START, *(ids.setdefault(w, len(ids)) for w in sentence.split()), _END]
                firsts.extend(seq[:-1])
                seconds.extend(seq[1:])
    first = np.asarray(firsts, dtype=np.int64)
    order = np.argsort(first, kind="stable")
    start = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(first, minlength=len(ids)), out=start[1:])
    words = np.empty(len(ids), dtype=object)
    for w, i in ids.items():
        words[i] = w
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    return Bigrams(words, lengths, start, np.asarray(seconds, dtype=np.int64)[order])


def _walk(table: Bigrams, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` token streams of ``_STEPS`` words; an end token restarts a sentence."""
    out = np.empty((n, _STEPS), dtype=np.int64)
    cur = np.full(n, _START, dtype=np.int64)
    for step in range(_STEPS):
        cur = np.where(cur == _END, _START, cur)
        lo, hi = table.start[cur], table.start[cur + 1]
        cur = table.successors[lo + (rng.random(n) * (hi - lo)).astype(np.int64)]
        out[:, step] = cur
    return out


def _sentences(table: Bigrams, tokens: np.ndarray, target: int) -> list[str]:
    """Cut one token stream into sentences once ``target`` characters are reached."""
    cut = int(np.searchsorted(np.cumsum(table.lengths[tokens] + 1), target)) + 1
    tokens = tokens[:cut]
    ends = np.flatnonzero(tokens == _END)
    pieces = np.split(table.words[tokens], ends + 1)
    return [" ".join(p[:-1] if len(p) and p[-1] == "." else p) for p in pieces if len(p) > 1]


def _substitute(sentence: str, table: Bigrams, rnd: random.Random) -> str:
    words = sentence.split(" ")
    words[rnd.randrange(len(words))] = table.words[rnd.randrange(2, table.vocab)]
    return " ".join(words)


def _noise(sentence: str, rnd: random.Random) -> str:
    """Spelling noise the normalizer must undo: alef forms, ى/ة, harakat."""
    words = sentence.split(" ")
    for i, w in enumerate(words):
        r = rnd.random()
        if r < 0.15 and w.startswith("ا"):
            words[i] = rnd.choice(_ALEF_FORMS) + w[1:]
        elif r < 0.22 and w.endswith("ي"):
            words[i] = w[:-1] + "ى"
        elif r < 0.28 and w.endswith("ة"):
            words[i] = w[:-1] + "ه"
        elif r < 0.33 and len(w) > 2:
            words[i] = w[:2] + rnd.choice(_HARAKAT) + w[2:]
    return " ".join(words)


def _edited(base: list[str], fresh: list[str], table: Bigrams, rnd: random.Random) -> list[str]:
    """An edited copy of ``base`` (a list of sentences): 1-3 editorial edits.
    ``fresh`` supplies sentences to insert."""
    out = list(base)
    for _ in range(rnd.randint(1, 3)):
        op = rnd.randrange(5)
        if op == 0 and len(out) > 3:  # drop a sentence (never the first)
            del out[rnd.randrange(1, len(out))]
        elif op == 1:  # insert a sentence from elsewhere
            out.insert(rnd.randrange(1, len(out) + 1), fresh[rnd.randrange(len(fresh))])
        elif op == 2:  # substitute a few words
            for _ in range(rnd.randint(2, 6)):
                i = rnd.randrange(len(out))
                out[i] = _substitute(out[i], table, rnd)
        elif op == 3:  # spelling noise and harakat on every sentence
            out = [_noise(s, rnd) for s in out]
        elif len(out) > 4:  # truncate to the first 75-95%
            out = out[: max(3, round(len(out) * rnd.uniform(0.75, 0.95)))]
    return out


def _layout(sentences: list[str], rnd: random.Random) -> str:
    """Join sentences into paragraphs (a line break after ~30% of them)."""
    parts: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            parts.append("\n" if rnd.random() < 0.3 else " ")
        parts.append(sentence)
    return "".join(parts)


def generate(n: int, seed: int = 0, dup_rate: float = 0.03, source: Path = SOURCE) -> Iterator[tuple[str, str]]:
    """Yield ``n`` documents ``(id, text)``; ids are ``g0000000``, ``g0000001``, ...

    About ``dup_rate`` of them are edited copies of one of the previous
    ``RECENT`` documents (planted near-duplicates).
    """
    table = load_bigrams(source)
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    recent: list[list[str]] = []
    for batch_start in range(0, n, _BATCH):
        size = min(_BATCH, n - batch_start)
        walks = _walk(table, size, rng)
        targets = rng.integers(1800, 3601, size)
        for b in range(size):
            fresh = _sentences(table, walks[b], int(targets[b]))
            doc = _edited(recent[rnd.randrange(len(recent))], fresh, table, rnd) if recent and rnd.random() < dup_rate else fresh
            if len(recent) < RECENT:
                recent.append(doc)
            else:
                recent[rnd.randrange(RECENT)] = doc
            yield f"g{batch_start + b:07d}", _layout(doc, rnd)


def write_jsonl(n: int, out: Path, seed: int = 0) -> None:
    """Write ``generate(n, seed)`` as JSONL ``{"id", "text"}`` lines."""
    with open(out, "wb", buffering=1 << 20) as fh:
        for doc_id, text in generate(n, seed):
            fh.write(orjson.dumps({"id": doc_id, "text": text}))
            fh.write(b"\n")


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit("usage: python benchmarks/_corpus.py N OUT.jsonl [SEED]")
    write_jsonl(int(argv[0]), Path(argv[1]), int(argv[2]) if len(argv) == 3 else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
