"""Clusters: connected components, and the hub split that breaks chains."""

from __future__ import annotations

import numpy as np

from dedup.cluster import connected_components, hub_clusters


def _members(clusters):
    return [c.members for c in clusters]


def test_components():
    edges = np.array([[0, 1], [1, 2], [4, 5]], dtype=np.int64)
    assert _members(connected_components(7, edges)) == [(0, 1, 2), (4, 5)]
    assert connected_components(3, np.empty((0, 2), dtype=np.int64)) == []


def test_star_and_clique_are_unchanged():
    star = np.array([[3, 0], [3, 1], [3, 2], [3, 5]], dtype=np.int64)
    assert _members(hub_clusters(6, star)) == _members(connected_components(6, star)) == [(0, 1, 2, 3, 5)]
    clique = np.array([(i, j) for i in range(5) for j in range(i + 1, 5)], dtype=np.int64)
    assert _members(hub_clusters(5, clique)) == [(0, 1, 2, 3, 4)]


def test_chain_is_cut_at_hubs():
    # 0-1-2-3-4-5-6: a chain of template reports, each close to the next
    chain = np.array([(i, i + 1) for i in range(6)], dtype=np.int64)
    assert _members(connected_components(7, chain)) == [(0, 1, 2, 3, 4, 5, 6)]
    got = _members(hub_clusters(7, chain))
    # hub 1 (first of the degree-2 nodes) takes 0 and 2; then hub 4 takes 3 and 5; 6 is left alone
    assert got == [(0, 1, 2), (3, 4, 5)]
    # every member of a cluster is a direct neighbour of one member (the hub)
    adj = {(a, b) for a, b in chain.tolist()} | {(b, a) for a, b in chain.tolist()}
    for c in got:
        assert any(all(m == h or (h, m) in adj for m in c) for h in c)


def test_two_stars_joined_by_one_edge_split_into_the_stars():
    edges = np.array([[0, 1], [0, 2], [0, 3], [10, 11], [10, 12], [10, 13], [3, 13]], dtype=np.int64)
    assert _members(hub_clusters(14, edges)) == [(0, 1, 2, 3), (10, 11, 12, 13)]
