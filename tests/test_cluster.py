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


def test_apart_pairs_never_share_a_star_through_a_contained_hub():
    # hub 0 is a short generic text contained in 1, 2 and 3 (weak edges,
    # Jaccard 0.4); 2 and 3 are different stories (the template test)
    edges = np.array([[0, 1], [0, 2], [0, 3], [1, 2]], dtype=np.int64)
    weak = np.array([0.45, 0.42, 0.40, 0.7])
    apart = np.array([[2, 3]], dtype=np.int64)
    assert _members(hub_clusters(4, edges)) == [(0, 1, 2, 3)]
    got = _members(hub_clusters(4, edges, weak, apart, strong=0.5))
    assert got == [(0, 1, 2)]  # 3 is left out: it is apart from 2, which joined first (closer to the hub)
    for members in got:
        assert not {2, 3} <= set(members)


def test_apart_pairs_stay_together_when_both_are_close_copies_of_the_hub():
    # two edited copies of one story (each with other figures: apart), both
    # Jaccard >= 0.5 with the original: one cluster, as before
    edges = np.array([[0, 1], [0, 2], [0, 3]], dtype=np.int64)
    strong = np.array([0.8, 0.7, 0.6])
    apart = np.array([[1, 2]], dtype=np.int64)
    assert _members(hub_clusters(4, edges, strong, apart, strong=0.5)) == [(0, 1, 2, 3)]
