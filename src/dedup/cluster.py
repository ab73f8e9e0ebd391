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


def hub_clusters(
    n: int,
    edges: np.ndarray,
    weights: np.ndarray | None = None,
    apart: np.ndarray | None = None,
    strong: float = 0.5,
) -> list[Cluster]:
    """Connected components, with chains broken at their hubs.

    A wire story and its edited copies form a star: every copy is a direct
    duplicate of the original. Template reports (weather of successive days,
    royal cables to successive countries) form chains instead, each one
    close to the next. So each component is cut to its hub (the member with
    the most duplicate edges inside it; ties to the earliest) plus the hub's
    direct neighbours, and what is left is clustered again the same way. A
    component that is already a star, or a clique, is unchanged.

    ``apart`` lists pairs that verification found to be different stories
    (the template test: the same wording around conflicting facts). The
    hub's neighbours join its star closest first (``weights``, one per edge:
    exact Jaccard; ties to the earliest), and one that is apart from a member
    already in is left for the next round, unless both joined the hub with a
    ``strong`` edge (Jaccard at or above it). Why the exception: two edited
    copies of one wire story, each with other figures, are each close to
    the original, so their conflicting figures are updates, not another
    story. A hub that merely is *contained* in both (a short, generic royal
    cable or weather report inside two longer ones) vouches for neither.
    Without the rule, such a fragment joins cables to two countries, or
    forecasts of two days, into one cluster.
    """
    if n == 0 or len(edges) == 0:
        return []
    from scipy.sparse import coo_matrix

    both = np.concatenate([edges, edges[:, ::-1]])
    w = np.ones(len(edges)) if weights is None else np.asarray(weights, dtype=np.float64)
    adj = coo_matrix((np.ones(len(both), dtype=np.int8), (both[:, 0], both[:, 1])), shape=(n, n)).tocsr()
    weight = coo_matrix((np.concatenate([w, w]), (both[:, 0], both[:, 1])), shape=(n, n)).tocsr()
    never = {(int(a), int(b)) for a, b in apart.tolist()} if apart is not None and len(apart) else set()
    never |= {(b, a) for a, b in never}
    out: list[Cluster] = []
    todo = connected_components(n, edges)
    while todo:
        cluster = todo.pop()
        if len(cluster.members) == 2:  # a single edge is a star already (most components)
            out.append(cluster)
            continue
        members = np.array(cluster.members, dtype=np.int64)
        inside = adj[members][:, members]
        degree = np.asarray(inside.sum(axis=1)).ravel()
        hub = int(np.argmax(degree))  # first maximum: the earliest member
        star = np.zeros(len(members), dtype=bool)
        star[hub] = True
        spokes = inside[hub].indices
        closeness = weight[members[hub]].toarray().ravel()[members[spokes]]
        taken: list[tuple[int, float]] = []
        for s, c in sorted(zip(spokes.tolist(), closeness.tolist()), key=lambda sc: (-sc[1], sc[0])):
            m = int(members[s])
            if not any((m, t) in never and min(c, tc) < strong for t, tc in taken):
                star[s] = True
                taken.append((m, c))
        out.append(Cluster(tuple(int(m) for m in members[star])))
        rest = members[~star]
        if len(rest) >= 2:
            sub = inside[~star][:, ~star].tocoo()
            local = connected_components(len(rest), np.stack([sub.row, sub.col], axis=1).astype(np.int64))
            todo.extend(Cluster(tuple(int(rest[m]) for m in c.members)) for c in local)
    out.sort(key=lambda c: c.representative)
    return out
