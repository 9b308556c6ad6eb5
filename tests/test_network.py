"""The social graph: follower ties (CSR), graph generators and files, export to networkx.

Statistical checks are seeded and sized so that a false failure needs about five standard
deviations (networkx's convention); the sizes and tolerances say how in a comment.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from simulation.config import ConfigError, config_from_dict
from simulation.model import MarketModel
from simulation.network import (
    Ties,
    ba_edges_array,
    block_edges_array,
    build_ties,
    to_networkx,
    ws_edges_array,
)
from simulation.population import draw_interests
from simulation.vocabulary import TIERS


def graph_cfg(n: int, base_dir=".", **graph):
    """A scenario with ``n`` followers, no influencers or brands, and the given graph."""
    zero = {f"n_{t}": 0 for t in TIERS}
    return config_from_dict(
        {"population": {"n_followers": n}, "influencers": zero, "graph": graph},
        base_dir=base_dir,
    )


def edge_set(t: Ties) -> set[tuple[int, int]]:
    src = np.repeat(np.arange(t.n), np.diff(t.indptr))
    return {(int(a), int(b)) for a, b in zip(src, t.indices, strict=True) if a < b}


def assert_symmetric(t: Ties) -> None:
    src = np.repeat(np.arange(t.n), np.diff(t.indptr))
    fwd = set(zip(src.tolist(), t.indices.tolist(), strict=True))
    assert fwd == {(b, a) for a, b in fwd}
    assert all(a != b for a, b in fwd)
    assert len(fwd) == t.indices.size  # no repeated ties


# -- Ties ------------------------------------------------------------------------------


@pytest.fixture
def hand():
    """0-1, 1-2, 2-3 with a self loop and repeats in the input; node 4 alone."""
    u = np.array([0, 1, 1, 1, 2, 0, 3])
    v = np.array([1, 0, 1, 2, 3, 1, 2])
    return Ties.from_edges(5, u, v)


def test_from_edges_drops_self_loops_and_duplicates(hand):
    assert hand.n_ties == 3
    assert edge_set(hand) == {(0, 1), (1, 2), (2, 3)}
    assert hand.degree.tolist() == [1, 2, 2, 1, 0]
    assert hand.friends(1).tolist() == [0, 2]
    assert hand.friends(4).tolist() == []
    assert_symmetric(hand)


def test_from_edges_random_input_is_symmetric():
    rng = np.random.default_rng(0)
    u, v = rng.integers(0, 50, 400), rng.integers(0, 50, 400)
    t = Ties.from_edges(50, u, v)
    assert_symmetric(t)
    expected = {(min(a, b), max(a, b)) for a, b in zip(u.tolist(), v.tolist(), strict=True)}
    assert edge_set(t) == {e for e in expected if e[0] != e[1]}


def test_friend_share_hand_graph(hand):
    flag = np.array([True, False, True, False, False])
    np.testing.assert_allclose(hand.friend_share(flag), [0.0, 1.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(hand.friend_share(np.ones(5, bool)), [1, 1, 1, 1, 0])
    flag = np.array([False, True, False, False, True])
    np.testing.assert_allclose(hand.friend_share(flag), [1.0, 0.0, 0.5, 0.0, 0.0])


def test_friend_share_isolated_nodes_at_both_ends():
    t = Ties.from_edges(4, np.array([1]), np.array([2]))
    np.testing.assert_allclose(t.friend_share(np.ones(4, bool)), [0, 1, 1, 0])
    np.testing.assert_allclose(t.friend_share(np.array([1, 0, 1, 1], bool)), [0, 1, 0, 0])
    empty = Ties.from_edges(3, np.zeros(0), np.zeros(0))
    np.testing.assert_allclose(empty.friend_share(np.ones(3, bool)), [0, 0, 0])


def test_friend_share_complete_graph():
    t = Ties.complete_graph(5)
    assert t.n_ties == 10
    assert t.degree.tolist() == [4] * 5
    flag = np.array([True, True, False, False, False])
    np.testing.assert_allclose(t.friend_share(flag), [0.25, 0.25, 0.5, 0.5, 0.5])
    # same as the materialised complete graph
    full = Ties.from_networkx(nx.complete_graph(5))
    np.testing.assert_allclose(full.friend_share(flag), t.friend_share(flag))
    np.testing.assert_allclose(Ties.complete_graph(1).friend_share(np.ones(1, bool)), [0.0])


def test_expand(hand):
    src, dst = hand.expand(np.array([1, 3, 4]))
    assert src.tolist() == [1, 1, 3]
    assert dst.tolist() == [0, 2, 2]
    src, dst = hand.expand(np.array([], dtype=np.int64))
    assert src.size == dst.size == 0
    src, dst = Ties.complete_graph(3).expand(np.array([0, 2]))
    assert list(zip(src.tolist(), dst.tolist(), strict=True)) == [(0, 1), (0, 2), (2, 0), (2, 1)]


def test_random_friend(hand):
    nodes = np.array([1, 1, 0, 4, 2])
    out = hand.random_friend(nodes, np.array([0.0, 0.99, 0.5, 0.3, 0.6]))
    assert out.tolist() == [0, 2, 1, -1, 3]
    # complete graph: never oneself, uniform over the others
    t = Ties.complete_graph(4)
    picks = t.random_friend(np.full(5, 2), np.array([0.0, 0.25, 0.5, 0.75, 0.999]))
    assert picks.tolist() == [0, 0, 1, 3, 3]
    rng = np.random.default_rng(3)
    k = 30_000
    picks = t.random_friend(np.full(k, 2), rng.random(k))
    counts = np.bincount(picks, minlength=4)
    assert counts[2] == 0
    # each other node 1/3: sd sqrt(k * 2/9) ~ 82, 5 sd ~ 410
    assert np.all(np.abs(counts[[0, 1, 3]] - k / 3) < 410)


def test_ties_to_networkx_round_trip(hand):
    g = hand.to_networkx()
    assert g.number_of_nodes() == 5
    assert {tuple(sorted(e)) for e in g.edges()} == edge_set(hand)
    back = Ties.from_networkx(g)
    np.testing.assert_array_equal(back.indptr, hand.indptr)
    np.testing.assert_array_equal(back.indices, hand.indices)
    big = Ties.from_networkx(nx.barabasi_albert_graph(300, 2, seed=1))
    again = Ties.from_networkx(big.to_networkx())
    np.testing.assert_array_equal(again.indices, big.indices)
    assert nx.utils.graphs_equal(Ties.complete_graph(6).to_networkx(), nx.complete_graph(6))


# -- build_ties for every kind ---------------------------------------------------------


def _topics(n: int, k: int = 8, seed: int = 0) -> np.ndarray:
    return draw_interests(n, k, 0.3, np.random.default_rng(seed))[1]


@pytest.mark.parametrize(
    ("graph", "n", "n_ties"),
    [
        ({"kind": "barabasi_albert", "m": 3}, 500, 3 * (500 - 3)),
        ({"kind": "watts_strogatz", "k": 6, "rewire": 0.2}, 500, 500 * 3),
        ({"kind": "complete"}, 40, 40 * 39 // 2),
        ({"kind": "path"}, 40, 39),
        ({"kind": "balanced_tree", "branching": 3}, 40, 39),
        ({"kind": "karate"}, 34, 78),
    ],
)
def test_build_ties_kinds(graph, n, n_ties):
    t = build_ties(graph_cfg(n, **graph), _topics(n), np.random.default_rng(1))
    assert t.n == n
    assert t.n_ties == n_ties
    assert t.degree.sum() == 2 * n_ties
    if not t.complete:
        assert_symmetric(t)
        ref = nx.Graph()
        ref.add_nodes_from(range(n))
        ref.add_edges_from(edge_set(t))
        assert nx.is_connected(ref)


def test_build_ties_path_and_tree_structure():
    assert edge_set(build_ties(graph_cfg(5, kind="path"), _topics(5), None)) == {
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 4),
    }
    tree = build_ties(graph_cfg(7, kind="balanced_tree", branching=2), _topics(7), None)
    assert edge_set(tree) == {(0, 1), (0, 2), (1, 3), (1, 4), (2, 5), (2, 6)}
    karate = build_ties(graph_cfg(34, kind="karate"), _topics(34), None)
    assert sorted(karate.degree.tolist()) == sorted(d for _, d in nx.karate_club_graph().degree())


def test_build_ties_topic_blocks_counts():
    n = 2000
    t = build_ties(
        graph_cfg(n, kind="topic_blocks", mean_degree=6.0, homophily=0.8),
        _topics(n),
        np.random.default_rng(2),
    )
    assert_symmetric(t)
    # about n * d / 2 = 6000 ties (Poisson-like, sd ~ 80); a few repeats are dropped
    assert abs(t.n_ties - 6000) < 400


def test_build_ties_edgelist_file(tmp_path):
    g = nx.cycle_graph(30)
    g.add_edge(0, 15)
    nx.write_edgelist(g, tmp_path / "ties.txt", data=False)
    t = build_ties(graph_cfg(30, tmp_path, kind="edgelist", file="ties.txt"), _topics(30), None)
    assert t.n_ties == 31
    assert sorted(t.degree.tolist()) == sorted(d for _, d in g.degree())
    assert_symmetric(t)
    # absolute path, comments allowed
    path = tmp_path / "abs.txt"
    path.write_text("# a comment\n0 1\n1 2\n2 0\n")
    t = build_ties(graph_cfg(3, kind="edgelist", file=str(path)), _topics(3), None)
    assert edge_set(t) == {(0, 1), (0, 2), (1, 2)}


def test_build_ties_graphml_file(tmp_path):
    g = nx.Graph(nx.les_miserables_graph().edges())  # its weights would be refused
    nx.write_graphml(g, tmp_path / "lesmis.graphml")
    n = g.number_of_nodes()
    cfg = graph_cfg(n, tmp_path, kind="graphml", file="lesmis.graphml")
    t = build_ties(cfg, _topics(n), None)
    assert t.n == n
    assert t.n_ties == g.number_of_edges()
    assert sorted(t.degree.tolist()) == sorted(d for _, d in g.degree())


def test_build_ties_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"^graph\.file: .*does not exist"):
        build_ties(graph_cfg(30, tmp_path, kind="edgelist", file="nope.txt"), _topics(30), None)
    nx.write_edgelist(nx.path_graph(10), tmp_path / "ten.txt", data=False)
    with pytest.raises(ConfigError, match=r"^graph\.file: .*10 nodes.*n_followers = 10") as err:
        build_ties(graph_cfg(30, tmp_path, kind="edgelist", file="ten.txt"), _topics(30), None)
    assert "\n" not in str(err.value)
    (tmp_path / "bad.graphml").write_text("<graphml><oops")
    with pytest.raises(ConfigError, match=r"^graph\.file: cannot read") as err:
        build_ties(graph_cfg(30, tmp_path, kind="graphml", file="bad.graphml"), _topics(30), None)
    assert "\n" not in str(err.value)


# -- generators: same seed, same graph; arrays agree with networkx -----------------------


@pytest.mark.parametrize(
    "graph",
    [
        {"kind": "barabasi_albert", "m": 2},
        {"kind": "watts_strogatz", "k": 4},
        {"kind": "topic_blocks"},
        {"kind": "barabasi_albert", "m": 2, "array_threshold": 0},
        {"kind": "watts_strogatz", "k": 4, "array_threshold": 0},
    ],
)
def test_same_generator_seed_same_graph(graph):
    n = 400
    cfg = graph_cfg(n, **graph)
    topics = _topics(n)
    a = build_ties(cfg, topics, np.random.default_rng(11))
    b = build_ties(cfg, topics, np.random.default_rng(11))
    c = build_ties(cfg, topics, np.random.default_rng(12))
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert edge_set(a) != edge_set(c)


def test_model_graph_follows_the_run_seed(tiny):
    cfg = tiny()
    a, b, c = MarketModel(cfg, seed=3), MarketModel(cfg, seed=3), MarketModel(cfg, seed=4)
    np.testing.assert_array_equal(a.ties.indices, b.ties.indices)
    np.testing.assert_array_equal(a.state.edges.src, b.state.edges.src)
    assert edge_set(a.ties) != edge_set(c.ties)
    # the graph is drawn from the run's Generator: a fresh draw after building differs by seed
    assert a.rng.random() == b.rng.random()


def _degree_ccdf_ba(k: int, m: int) -> float:
    """P(degree >= k) of the Barabasi-Albert degree law 2m(m+1) / (k(k+1)(k+2))."""
    return m * (m + 1) / (k * (k + 1))


def test_ba_array_agrees_with_networkx():
    n, m = 20_000, 3
    t = Ties.from_edges(n, *ba_edges_array(n, m, np.random.default_rng(5)))
    g = nx.barabasi_albert_graph(n, m, seed=np.random.default_rng(5))
    deg_nx = np.array([d for _, d in g.degree()])
    assert_symmetric(t)
    # mean degree 2m (a few merged repeats make it a hair less)
    assert 2 * m - 0.05 < t.degree.mean() <= 2 * m
    assert deg_nx.mean() == pytest.approx(2 * m, abs=0.01)
    assert t.degree.min() >= 1
    # heavy tail: P(deg >= 20) = m(m+1)/(20*21) ~ 0.0286, i.e. ~571 nodes, sd ~ 24 -> +-120
    for deg in (t.degree, deg_nx):
        assert abs((deg >= 20).sum() - n * _degree_ccdf_ba(20, m)) < 120
    # the largest hub grows as m sqrt(n) (~420); same order as networkx's
    assert 0.4 < t.degree.max() / deg_nx.max() < 2.5
    assert t.degree.max() > 150


def test_ws_array_agrees_with_networkx():
    n, k, p = 20_000, 6, 0.1
    u, v = ws_edges_array(n, k, p, np.random.default_rng(6))
    t = Ties.from_edges(n, u, v)
    g = nx.watts_strogatz_graph(n, k, p, seed=np.random.default_rng(6))
    deg_nx = np.array([d for _, d in g.degree()])
    assert_symmetric(t)
    assert k - 0.01 < t.degree.mean() <= k
    assert deg_nx.mean() == pytest.approx(k)
    # rewired share of ties: p of n k / 2 = 60,000 ties, sd ~ 0.0012 -> +-0.006
    a, b = u % n, v % n
    ring = np.minimum((a - b) % n, (b - a) % n) <= k // 2
    assert (~ring).mean() == pytest.approx(p * (1 - k / n), abs=0.006)
    # similar spread of degrees
    assert t.degree.std() == pytest.approx(deg_nx.std(), rel=0.15)


def test_topic_blocks_homophily():
    n, d, h = 20_000, 6.0, 0.8
    topics = _topics(n, 8, seed=9)
    u, v = block_edges_array(topics, d, h, np.random.default_rng(9))
    t = Ties.from_edges(n, u, v)
    src = np.repeat(np.arange(n), np.diff(t.indptr))
    within = (topics[src] == topics[t.indices]).mean()
    # ~60,000 ties: sd of the within share sqrt(.16 / 60000) ~ 0.0016 -> +-0.01
    assert within == pytest.approx(h, abs=0.01)
    assert t.degree.mean() == pytest.approx(d, rel=0.02)
    u, v = block_edges_array(topics, d, 0.125, np.random.default_rng(9))
    t = Ties.from_edges(n, u, v)
    src = np.repeat(np.arange(n), np.diff(t.indptr))
    assert (topics[src] == topics[t.indices]).mean() == pytest.approx(0.125, abs=0.01)


# -- export ----------------------------------------------------------------------------


def test_model_to_networkx(tiny):
    model = MarketModel(tiny(), seed=2)
    for _ in range(5):
        model.step()
    st = model.state
    g = to_networkx(model)
    kinds = nx.get_node_attributes(g, "kind")
    assert sum(k == "follower" for k in kinds.values()) == st.n_followers
    assert sum(k == "influencer" for k in kinds.values()) == st.n_influencers
    follows = [(a, b, d) for a, b, d in g.edges(data=True) if d["kind"] == "follows"]
    assert len(follows) == int(st.counts.sum())
    assert all(a[0] == "f" and b[0] == "i" and 0.0 <= d["trust"] <= 1.0 for a, b, d in follows)
    for j in range(st.n_influencers):
        assert g.in_degree(("i", j)) == st.counts[j]
        assert g.nodes["i", j]["followers"] == pytest.approx(st.counts[j] * st.w)
    ties = [(a, b) for a, b, d in g.edges(data=True) if d["kind"] == "tie"]
    assert len(ties) == 2 * model.ties.n_ties  # both ways
    # a sample export is bounded by the sample
    sample = np.arange(0, 600, 10)
    small = to_networkx(model, followers=sample)
    fnodes = [n for n, k in small.nodes(data="kind") if k == "follower"]
    assert sorted(i for _, i in fnodes) == sample.tolist()
    keep = set(sample.tolist())
    for a, b, d in small.edges(data=True):
        assert a[0] == "f"
        assert a[1] in keep
        if d["kind"] == "tie":
            assert b[1] in keep
    assert to_networkx(model, followers=sample, ties=False).number_of_edges() <= sum(
        1 for *_, d in small.edges(data=True) if d["kind"] == "follows"
    )
