"""Clusters: connected components of verified duplicate edges.

A connected component can chain (A~B, B~C while A and C differ a lot); each
cluster therefore reports every member's exact similarity to the
representative and the minimum of those, so a reader can see at once whether a
cluster is tight or a chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cluster:
    """One component. ``members`` are document numbers in input order; the
    representative is the first (earliest in input order)."""

    members: tuple[int, ...]

    @property
    def representative(self) -> int:
        return self.members[0]


def connected_components(n: int, edges: np.ndarray) -> list[Cluster]:
    """Components of size >= 2 of the graph on ``n`` nodes, ordered by their
    representative (smallest member)."""
    if n == 0 or len(edges) == 0:
        return []
    from scipy.sparse import coo_matrix  # datasketch's own dependency
    from scipy.sparse.csgraph import connected_components as components

    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    clusters = [Cluster(tuple(int(m) for m in group)) for group in np.split(order, bounds) if len(group) >= 2]
    clusters.sort(key=lambda c: c.representative)
    return clusters
