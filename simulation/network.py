"""The social graph: follower-to-follower ties, and the market's graph exported to networkx.

Ties come from networkx generators seeded with the run's Generator, or from an edge list or
GraphML file, and are converted once to compressed sparse rows (CSR) for stepping. Above
``graph.array_threshold`` followers the same generators write straight into arrays (networkx
costs about 440 bytes per tie). Who is in the market (account sizes, follower attributes and
the follow edges from followers to influencers) is drawn apart, in ``population.py``.
:func:`to_networkx` exports ties and follow edges together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from . import mechanisms as mech
from .config import Config, ConfigError, GraphConfig
from .vocabulary import TIERS

__all__ = [
    "GraphFile",
    "Ties",
    "ba_edges_array",
    "block_edges_array",
    "build_ties",
    "graph_file_nodes",
    "read_graph_file",
    "sorted_unique",
    "to_networkx",
    "ws_edges_array",
]


@dataclass
class Ties:
    """Undirected follower-to-follower ties in CSR form (or the complete graph, implicitly).

    Attributes:
        n: number of followers.
        indptr, indices: CSR rows; the friends of ``i`` are ``indices[indptr[i]:indptr[i+1]]``.
        complete: True for the complete graph, which is never materialised.
    """

    n: int
    indptr: np.ndarray
    indices: np.ndarray
    complete: bool = False

    @classmethod
    def from_edges(cls, n: int, u: np.ndarray, v: np.ndarray) -> Ties:
        """CSR from an undirected edge list; self-loops and repeated ties are dropped."""
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        keep = u != v
        a, b = u[keep], v[keep]
        # both directions as one sorted key per directed tie: row-major CSR order
        key = sorted_unique(np.concatenate([a * n + b, b * n + a]))
        src, dst = np.divmod(key, n) if n else (key, key)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        return cls(n=n, indptr=indptr, indices=dst.astype(np.int32))

    @classmethod
    def from_networkx(cls, g: nx.Graph) -> Ties:
        """CSR from a networkx graph; its nodes become followers 0..n-1 in numeric order when
        every label is an integer, else in text order (the inverse of :meth:`to_networkx`
        for a graph on 0..n-1)."""
        n = g.number_of_nodes()
        if n == 0:
            return cls.from_edges(0, np.zeros(0), np.zeros(0))
        index = {node: i for i, node in enumerate(_node_order(g.nodes()))}
        if g.number_of_edges() == 0:
            return cls.from_edges(n, np.zeros(0), np.zeros(0))
        pairs = np.array([(index[a], index[b]) for a, b in g.edges()], dtype=np.int64)
        return cls.from_edges(n, pairs[:, 0], pairs[:, 1])

    @classmethod
    def complete_graph(cls, n: int) -> Ties:
        """Everybody tied to everybody else (stored as a flag, not n^2 ties)."""
        return cls(n=n, indptr=np.zeros(1, np.int64), indices=np.zeros(0, np.int32), complete=True)

    @property
    def degree(self) -> np.ndarray:
        """Ties per follower."""
        if self.complete:
            return np.full(self.n, self.n - 1, dtype=np.int64)
        return np.diff(self.indptr)

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""
        if self.complete:
            return self.n * (self.n - 1) // 2
        return int(self.indices.size // 2)

    def friends(self, i: int) -> np.ndarray:
        """Friends of follower ``i``."""
        if self.complete:
            return np.delete(np.arange(self.n), i)
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def friend_share(self, flag: np.ndarray) -> np.ndarray:
        """Share of each follower's friends for which ``flag`` is true (0 with no friends)."""
        flag = np.asarray(flag)
        if self.complete:
            if self.n < 2:
                return np.zeros(self.n)
            return (flag.sum() - flag) / (self.n - 1)
        counts = (
            np.add.reduceat(np.append(flag[self.indices], False).astype(np.int64), self.indptr[:-1])
            if self.indices.size
            else np.zeros(self.n, np.int64)
        )
        deg = self.degree
        counts = np.where(deg > 0, counts, 0)
        return np.divide(counts, deg, out=np.zeros(self.n), where=deg > 0)

    def expand(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All ties of ``nodes``: (the node repeated per tie, the friend)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if self.complete:
            src = np.repeat(nodes, self.n)
            dst = np.tile(np.arange(self.n), nodes.size)
            keep = src != dst
            return src[keep], dst[keep]
        starts, ends = self.indptr[nodes], self.indptr[nodes + 1]
        lengths = ends - starts
        src = np.repeat(nodes, lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return src, self.indices[np.repeat(starts, lengths) + offsets].astype(np.int64)

    def random_friend(self, nodes: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One friend of each node, picked by uniforms ``u`` in [0, 1); -1 where none."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if self.complete:
            pick = (u * (self.n - 1)).astype(np.int64)
            return np.where(pick >= nodes, pick + 1, pick) if self.n > 1 else -np.ones_like(pick)
        deg = self.indptr[nodes + 1] - self.indptr[nodes]
        pick = self.indptr[nodes] + (u * deg).astype(np.int64)
        out = np.full(nodes.size, -1, dtype=np.int64)
        has = deg > 0
        out[has] = self.indices[pick[has]]
        return out

    def to_networkx(self) -> nx.Graph:
        """The ties as a networkx Graph on nodes 0..n-1."""
        if self.complete:
            return nx.complete_graph(self.n)
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        src = np.repeat(np.arange(self.n), np.diff(self.indptr))
        keep = src < self.indices
        g.add_edges_from(zip(src[keep].tolist(), self.indices[keep].tolist(), strict=True))
        return g


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique`` by sorting; faster than its hash path here)."""
    a = np.sort(a)
    if a.size == 0:
        return a
    keep = np.empty(a.size, dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _node_order(nodes) -> list:
    """Nodes in a stable order: numerically when every label is an integer, else as text.

    A file whose nodes are labelled 0..n-1 maps node k to follower k."""
    nodes = list(nodes)
    try:
        return sorted(nodes, key=lambda x: int(x))
    except (TypeError, ValueError):
        return sorted(nodes, key=str)


def ba_edges_array(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Barabasi-Albert preferential attachment written straight into arrays.

    The networkx algorithm (a star on ``m + 1`` nodes, then each new node attaches ``m`` ties
    to nodes drawn from the list of all tie endpoints so far, i.e. in proportion to degree),
    vectorized: every new tie's target is a uniformly drawn earlier slot of the endpoint list,
    resolved to a node by pointer jumping. Unlike networkx, a node's ``m`` draws are not
    forced to be distinct; repeats are merged, so a few nodes get fewer than ``m`` ties.
    """
    star = m + 1
    new_nodes = np.arange(star, n, dtype=np.int64)
    n_new = new_nodes.size * m
    slots = 2 * m + 2 * n_new
    node = np.full(slots, -1, dtype=np.int64)
    ptr = np.arange(slots, dtype=np.int64)
    node[0 : 2 * m : 2] = 0
    node[1 : 2 * m : 2] = np.arange(1, star)
    src_slots = 2 * m + 2 * np.arange(n_new)
    tgt_slots = src_slots + 1
    src_nodes = np.repeat(new_nodes, m)
    node[src_slots] = src_nodes
    block_start = 2 * m + 2 * m * (src_nodes - star)  # first slot of this node's ties
    ptr[tgt_slots] = (rng.random(n_new) * block_start).astype(np.int64)
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    node = node[ptr]
    u = np.concatenate([np.zeros(m, np.int64), src_nodes])
    v = np.concatenate([np.arange(1, star), node[tgt_slots]])
    return u, v


def ws_edges_array(
    n: int, k: int, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Watts-Strogatz small world written straight into arrays.

    A ring where each node ties to its ``k/2`` clockwise neighbours; each tie's far end is
    rewired to a uniform node with probability ``p`` (self-loops and repeats are then dropped).
    """
    base = np.arange(n, dtype=np.int64)
    u = np.repeat(base, k // 2)
    v = (u + np.tile(np.arange(1, k // 2 + 1), n)) % n
    rewire = rng.random(u.size) < p
    v = v.copy()
    v[rewire] = rng.integers(0, n, size=int(rewire.sum()))
    return u, v


def block_edges_array(
    topics: np.ndarray, mean_degree: float, homophily: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stochastic block model by topic (homophily), sampled sparsely into arrays.

    Each follower expects ``homophily * mean_degree`` ties inside its topic and the rest
    outside: within block k the tie probability is ``h d / (n_k - 1)``, between blocks
    ``(1 - h) d / (n - n_k)`` averaged over the pair. The number of ties of each block pair is
    binomial and their ends uniform in the blocks (repeats dropped).
    """
    n = topics.size
    order = np.argsort(topics, kind="stable")
    sizes = np.bincount(topics)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    us, vs = [], []
    for a in range(sizes.size):
        for b in range(a, sizes.size):
            na, nb = int(sizes[a]), int(sizes[b])
            if na == 0 or nb == 0:
                continue
            if a == b:
                pairs = na * (na - 1) // 2
                prob = homophily * mean_degree / max(na - 1, 1)
            else:
                pairs = na * nb
                out_a = (1 - homophily) * mean_degree / max(n - na, 1)
                out_b = (1 - homophily) * mean_degree / max(n - nb, 1)
                prob = 0.5 * (out_a + out_b)
            count = rng.binomial(pairs, min(prob, 1.0))
            us.append(order[starts[a] + rng.integers(0, na, count)])
            vs.append(order[starts[b] + rng.integers(0, nb, count)])
    if not us:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(us), np.concatenate(vs)


@dataclass
class GraphFile:
    """A follower-tie graph read from a file, and what reading it found.

    Attributes:
        graph: the ties as an undirected networkx Graph (node labels as in the file).
        path: the file.
        format: ``"edgelist"`` or ``"graphml"``.
        sha256: SHA-256 of the file's bytes.
        directed: the file declares its edges directed (GraphML ``edgedefault``); such a file
            is read only when every arc has its reverse, so no direction is lost.
        weights: ``"none"``, or ``"constant <w>"`` when every tie carries the same weight
            (which carries no tie strength, so nothing is lost).
        unused_attributes: edge attributes in the file that the model does not use.
    """

    graph: nx.Graph
    path: Path
    format: str
    sha256: str
    directed: bool = False
    weights: str = "none"
    unused_attributes: tuple[str, ...] = ()

    def labels(self) -> list:
        """Node labels in follower order: follower k is ``labels()[k]``."""
        return _node_order(self.graph.nodes())

    def record(self) -> dict:
        """What a run's manifest says about the file (JSON-ready)."""
        return {
            "file": str(self.path.resolve()),
            "format": self.format,
            "sha256": self.sha256,
            "nodes": self.graph.number_of_nodes(),
            "ties": self.graph.number_of_edges(),
            "directed_in_file": self.directed,
            "weights": self.weights,
            "unused_edge_attributes": list(self.unused_attributes),
            "node_order": "numeric" if _numeric_labels(self.graph.nodes()) else "text",
        }


_WEIGHT_REFUSED = (
    "the model's ties have no strength (word of mouth and discovery pick friends uniformly), "
    "so weights would be dropped; remove them to use the ties unweighted"
)


def _numeric_labels(nodes) -> bool:
    try:
        [int(x) for x in nodes]
    except (TypeError, ValueError):
        return False
    return True


def _weight_summary(path: Path, weights: list[float]) -> str:
    """``"none"`` or ``"constant w"``; refuses weights that differ between ties."""
    if not weights:
        return "none"
    distinct = sorted(set(weights))
    if len(distinct) == 1:
        return f"constant {distinct[0]:g}"
    raise ConfigError(
        f"graph.file: {path} gives its ties {len(distinct)} different weights "
        f"({distinct[0]:g} to {distinct[-1]:g}); {_WEIGHT_REFUSED}"
    )


def _read_edgelist(path: Path) -> tuple[nx.Graph, str, tuple[str, ...]]:
    """A whitespace edge list: ``u v``, ``u v weight`` or networkx's ``u v {'weight': w}``
    (``#`` starts a comment). Each line is one undirected tie."""
    import ast

    g = nx.Graph()
    weights: list[float] = []
    unused: set[str] = set()
    text = path.read_text(encoding="utf-8")
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            raise ConfigError(f"graph.file: {path} line {lineno}: expected two node labels")
        u, v = parts[0], parts[1]
        g.add_edge(u, v)
        if len(parts) == 2:
            continue
        rest = parts[2].strip()
        if rest.startswith("{"):
            try:
                data = ast.literal_eval(rest)
            except (ValueError, SyntaxError):
                data = None
            if not isinstance(data, dict):
                raise ConfigError(
                    f"graph.file: {path} line {lineno}: cannot read {rest!r} as tie data"
                )
            for k, val in data.items():
                if str(k).lower() == "weight":
                    weights.append(_number(val, path, lineno))
                else:
                    unused.add(str(k))
            continue
        cols = rest.split()
        if len(cols) > 1:
            raise ConfigError(
                f"graph.file: {path} line {lineno} has {len(cols) + 2} columns; an edge list "
                "is 'u v' or 'u v weight' (time-stamped or multi-column edges are not read)"
            )
        weights.append(_number(cols[0], path, lineno))
    return g, _weight_summary(path, weights), tuple(sorted(unused))


def _number(v, path: Path, lineno: int) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ConfigError(
            f"graph.file: {path} line {lineno}: the third column {v!r} is not a tie weight "
            "(a number)"
        ) from None
    return x


def _read_graphml(path: Path) -> tuple[nx.Graph, bool, str, tuple[str, ...]]:
    """GraphML: weights (an edge attribute named ``weight``) and direction are checked."""
    graph = nx.read_graphml(path)
    directed = graph.is_directed()
    weights, unused = [], set()
    for _, _, data in graph.edges(data=True):
        for k, val in data.items():
            if k.lower() == "weight":
                try:
                    weights.append(float(val))
                except (TypeError, ValueError):
                    unused.add(k)
            elif k != "id":
                unused.add(k)
    if directed:
        arcs = {(a, b) for a, b in graph.edges() if a != b}
        one_way = sum((b, a) not in arcs for a, b in arcs)
        if one_way:
            raise ConfigError(
                f"graph.file: {path} is directed and {one_way:,} of its {len(arcs):,} arcs have "
                "no reverse; the model's ties are undirected (word of mouth passes both ways), "
                "so a one-way arc cannot be kept as one; save the graph undirected "
                "(networkx: nx.write_graphml(G.to_undirected(), path)) to use every arc as a "
                "two-way tie"
            )
    return nx.Graph(graph), directed, _weight_summary(path, weights), tuple(sorted(unused))


def read_graph_file(g: GraphConfig, base_dir: str) -> GraphFile:
    """Read ``graph.file`` honestly: weights and direction are used or refused, never dropped.

    - An edge list is a list of ties, each undirected (the format has no direction). A third
      column (or networkx's ``{'weight': w}``) is a tie weight.
    - GraphML keeps its declared direction: a directed file is read only if every arc has its
      reverse (then no direction is lost); otherwise it is refused.
    - Weights that differ between ties are refused, since the model's ties have no strength;
      the same weight on every tie is read (it carries no strength either).

    Raises:
        ConfigError: one line naming the file and what is wrong.
    """
    path = Path(g.file)
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        raise ConfigError(f"graph.file: {path} does not exist")
    directed, unused = False, ()
    try:
        if g.kind == "graphml":
            graph, directed, weights, unused = _read_graphml(path)
        else:
            graph, weights, unused = _read_edgelist(path)
    except ConfigError:
        raise
    except Exception as err:  # networkx raises many kinds on malformed files
        raise ConfigError(f"graph.file: cannot read {path} as {g.kind}: {err}") from None
    return GraphFile(
        graph=graph,
        path=path,
        format=g.kind,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        directed=directed,
        weights=weights,
        unused_attributes=tuple(unused),
    )


def _load_graph_file(g: GraphConfig, n: int, base_dir: str) -> nx.Graph:
    graph = read_graph_file(g, base_dir)
    count = graph.graph.number_of_nodes()
    if count != n:
        raise ConfigError(
            f"graph.file: {graph.path} has {count:,} nodes but population.n_followers is "
            f"{n:,}; set population.n_followers = {count}"
        )
    return graph.graph


def graph_file_nodes(cfg: Config) -> list:
    """Node labels of the scenario's graph file in follower order (follower k is label k)."""
    return read_graph_file(cfg.graph, cfg.base_dir).labels()


def build_ties(cfg: Config, topics: np.ndarray, rng: np.random.Generator) -> Ties:
    """Follower-to-follower ties for a scenario, drawn from the run's Generator."""
    g = cfg.graph
    n = cfg.population.n_followers
    big = n > g.array_threshold
    if g.kind == "complete":
        return Ties.complete_graph(n)
    if g.kind == "path":
        return Ties.from_edges(n, np.arange(n - 1), np.arange(1, n))
    if g.kind == "balanced_tree":
        child = np.arange(1, n)
        return Ties.from_edges(n, (child - 1) // g.branching, child)
    if g.kind == "karate":
        return Ties.from_networkx(nx.karate_club_graph())
    if g.kind in ("edgelist", "graphml"):
        return Ties.from_networkx(_load_graph_file(g, n, cfg.base_dir))
    if g.kind == "barabasi_albert":
        if big:
            return Ties.from_edges(n, *ba_edges_array(n, g.m, rng))
        return Ties.from_networkx(nx.barabasi_albert_graph(n, g.m, seed=rng))
    if g.kind == "watts_strogatz":
        if big:
            return Ties.from_edges(n, *ws_edges_array(n, g.k, g.rewire, rng))
        return Ties.from_networkx(nx.watts_strogatz_graph(n, g.k, g.rewire, seed=rng))
    if g.kind == "topic_blocks":
        return Ties.from_edges(n, *block_edges_array(topics, g.mean_degree, g.homophily, rng))
    raise ConfigError(f"graph.kind: {g.kind!r} is not supported")  # pragma: no cover


def to_networkx(model, followers: np.ndarray | None = None, ties: bool = True) -> nx.DiGraph:
    """The market's graph at the current step, for analysis and drawing.

    Nodes ``("f", i)`` are followers (attributes: topic, fatigue, adopted) and ``("i", j)``
    influencers (tier, topic, followers, price). Follow edges run follower -> influencer with
    ``kind="follows"`` and ``trust``; ties run both ways with ``kind="tie"``. ``followers``
    restricts the export to a sample of followers (and the ties among them).
    """
    st = model.state
    if followers is None:
        followers = np.arange(st.n_followers)
    followers = np.asarray(followers, dtype=np.int64)
    keep = np.zeros(st.n_followers, dtype=bool)
    keep[followers] = True
    g = nx.DiGraph()
    fatigue = mech.fatigue_level(st.exposures, model.cfg.behaviour.fatigue_scale)
    for f in followers.tolist():
        g.add_node(
            ("f", f),
            kind="follower",
            topic=int(st.topic[f]),
            fatigue=float(fatigue[f]),
            adopted=bool(st.any_adopted[f]),
        )
    followers_now = st.follower_counts()
    for j in range(st.n_influencers):
        g.add_node(
            ("i", j),
            kind="influencer",
            tier=TIERS[st.tier[j]],
            topic=int(st.inf_topic[j]),
            followers=float(followers_now[j]),
            price=float(st.price[j]),
        )
    e = st.edges
    idx = np.flatnonzero(e.active[: e.n] & keep[e.src[: e.n]])
    for s, d, t in zip(
        e.src[idx].tolist(), e.dst[idx].tolist(), e.trust[idx].tolist(), strict=True
    ):
        g.add_edge(("f", s), ("i", d), kind="follows", trust=t)
    if ties and not model.ties.complete:
        src, dst = model.ties.expand(followers)
        inside = keep[dst]
        g.add_edges_from(
            (
                (("f", a), ("f", b))
                for a, b in zip(src[inside].tolist(), dst[inside].tolist(), strict=True)
            ),
            kind="tie",
        )
    return g
