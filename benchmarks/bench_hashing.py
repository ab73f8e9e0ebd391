"""The hashing core side by side with datasketch and rensa, one run, interleaved.

    python benchmarks/bench_hashing.py                # 1,000 docs, 5 rounds
    python benchmarks/bench_hashing.py --docs 2000 --rounds 7

Four ways to get a 128-permutation MinHash signature of character 5-shingles,
on the same documents, timed round-robin (one method after another, each
round), reporting the median round:

- datasketch 2.x ``MinHash(scheme="affine32", hashfunc=shingle_hash32)``
  ``.update_batch(shingles)``: the same scheme and hash as ours, so its
  signatures are checked equal to ours here;
- rensa ``RMinHash.update(shingles)`` as its users call it (a list of shingle
  strings; its own hash, so its signatures differ from ours by design);
- ours from normalized text: ``encode`` + ``sign_encoded``;
- ours from raw text, normalization included: ``normalize_encoded`` +
  ``sign_encoded`` (and, for reference, with exact shingle sets too:
  ``hash_encoded``), and the normalization alone (``normalize_encoded``:
  raw text to normalized code points, NFKC included).

The shingle lists the first two need are built outside the timed region
(their users have them already); normalization is outside it for every
method but the raw-text rows. Corpora: ``../shared/eval/wirecopy-dev`` and
the generated corpus of ``_corpus.py`` (~2,700 characters a document).
Single process, single core. Needs the ``bench`` extra (rensa, psutil).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import SOURCE, generate  # noqa: E402

from dedup.codepoints import decode, encode, normalize_encoded, normalize_many  # noqa: E402
from dedup.minhash import hash_encoded, sign_encoded  # noqa: E402
from dedup.normalize import normalize  # noqa: E402
from dedup.shingle import shingle_hash32, shingles  # noqa: E402

K, NUM_PERM, SEED = 5, 128, 1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def methods(raw: list[str], norm: list[str], shingle_lists: list[list[str]]):
    from datasketch import MinHash
    from rensa import RMinHash

    def datasketch_batch():
        out = []
        for sh in shingle_lists:
            m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=shingle_hash32)
            m.update_batch(sh)
            out.append(m.hashvalues)
        return np.array(out, dtype=np.uint32)

    def rensa_update():
        out = []
        for sh in shingle_lists:
            m = RMinHash(num_perm=NUM_PERM, seed=SEED)
            m.update(sh)
            out.append(m.digest())
        return out

    def ours_normalized():
        return sign_encoded(*encode(norm), K, "char", NUM_PERM, SEED)[0]

    def ours_raw():
        return sign_encoded(*normalize_encoded(raw), K, "char", NUM_PERM, SEED)[0]

    def ours_normalize_only():
        return normalize_encoded(raw)

    def ours_raw_sets():
        return hash_encoded(*normalize_encoded(raw), K, "char", NUM_PERM, SEED).signatures

    return {
        "datasketch update_batch (normalized)": datasketch_batch,
        "rensa RMinHash.update (normalized)": rensa_update,
        "dedup sign_encoded (normalized)": ours_normalized,
        "dedup normalize+sign (raw)": ours_raw,
        "dedup normalize+sign+sets (raw)": ours_raw_sets,
        "dedup normalize only (raw)": ours_normalize_only,
    }


def bench(name: str, raw: list[str], rounds: int) -> None:
    norm = normalize_many(raw)
    shingle_lists = [shingles(t, K, "char") for t in norm]
    total_shingles = sum(len(s) for s in shingle_lists)
    table = methods(raw, norm, shingle_lists)
    # warm-up (numba cache load, table build) and the equality check
    results = {label: fn() for label, fn in table.items()}
    if decode(*results["dedup normalize only (raw)"]) != [normalize(t) for t in raw]:
        raise SystemExit("normalize_encoded differs from dedup.normalize.normalize")
    ds = results["datasketch update_batch (normalized)"]
    for label in ("dedup sign_encoded (normalized)", "dedup normalize+sign (raw)", "dedup normalize+sign+sets (raw)"):
        if not np.array_equal(results[label], ds):
            raise SystemExit(f"{label}: signatures differ from datasketch's")
    times: dict[str, list[float]] = {label: [] for label in table}
    rss: dict[str, float] = {}
    for _ in range(rounds):
        for label, fn in table.items():
            started = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - started)
            rss.setdefault(label, peak_rss_mb())
    chars = sum(len(t) for t in raw) / len(raw)
    print(f"\n### {name}: {len(raw)} documents, {chars:,.0f} raw characters on average, "
          f"{total_shingles / len(raw):,.0f} shingles per document; median of {rounds} interleaved rounds\n")
    print("| method | docs/s | shingles/s | x datasketch | x rensa | peak RSS so far (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    med = {label: statistics.median(ts) for label, ts in times.items()}
    ds_t, rensa_t = med["datasketch update_batch (normalized)"], med["rensa RMinHash.update (normalized)"]
    for label, t in med.items():
        print(f"| {label} | {len(raw) / t:,.0f} | {total_shingles / t:,.3g} | {ds_t / t:,.1f} | {rensa_t / t:,.2f} | {rss[label]:,.0f} |")
    print(f"\nsignatures equal datasketch's: yes ({len(raw)} documents x {NUM_PERM} slots)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents per corpus")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median reported)")
    args = parser.parse_args()
    with open(SOURCE, "rb") as fh:
        wire = [orjson.loads(line)["text"] for _, line in zip(range(args.docs), fh)]
    bench("wirecopy-dev", wire, args.rounds)
    bench("generated (_corpus.py, seed 1)", [text for _, text in generate(args.docs, seed=1)], args.rounds)


if __name__ == "__main__":
    main()
