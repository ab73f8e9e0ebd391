"""What a verified pair of documents is, in a desk's terms.

Every command that reports a pair (scan clusters and pairs, screen matches,
check reports) asks :func:`judge` and nothing else, so the rules live in one
place. Relations:

- ``duplicate``: the same text up to normalization;
- ``near_duplicate``: an edited copy (exact Jaccard at or above the threshold);
- ``different``: not a copy.

Only relations in :data:`DUPLICATE_RELATIONS` count as duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

DUPLICATE_RELATIONS = frozenset({"duplicate", "near_duplicate"})


@dataclass(frozen=True)
class Verdict:
    relation: str
    jaccard: float
    #: (share of a's shingles found in b, share of b's shingles found in a)
    containment: tuple[float, float]
    reason: str | None = None

    @property
    def is_duplicate(self) -> bool:
        return self.relation in DUPLICATE_RELATIONS


def overlap(inter: int, size_a: int, size_b: int) -> tuple[float, tuple[float, float]]:
    """Jaccard and both containments from an intersection and set sizes."""
    union = size_a + size_b - inter
    jac = inter / union if union else 0.0
    return jac, (inter / size_a if size_a else 0.0, inter / size_b if size_b else 0.0)


def judge(norm_a: str, norm_b: str, inter: int, size_a: int, size_b: int, threshold: float) -> Verdict:
    """The relation of two documents, from their normalized texts and the
    exact intersection and sizes of their shingle sets."""
    jac, cont = overlap(inter, size_a, size_b)
    if norm_a == norm_b:
        return Verdict("duplicate", jac, cont)
    if jac >= threshold:
        return Verdict("near_duplicate", jac, cont)
    return Verdict("different", jac, cont, "low_similarity")
