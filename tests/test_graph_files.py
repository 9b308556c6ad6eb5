"""Graph files are read honestly: tie weights and direction are used or refused, never
dropped, and a run records the file's hash and which node each follower is."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import tiny_toml

from simulation.cli import main
from simulation.config import ConfigError, GraphConfig, apply_overrides
from simulation.network import build_ties, read_graph_file


def _cfg(n: int, tmp_path, kind: str, file: str):
    """What ``build_ties`` reads of a scenario: the graph section, the follower count and the
    scenario's folder (no other section, so the test does not depend on them)."""
    return SimpleNamespace(
        graph=GraphConfig(kind=kind, file=file),
        population=SimpleNamespace(n_followers=n),
        base_dir=str(tmp_path),
    )


def _topics(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int16)


def _ties(tmp_path, n, kind, file):
    return build_ties(_cfg(n, tmp_path, kind, file), _topics(n), None)


# -- weights ------------------------------------------------------------------------------


def test_a_weighted_edge_list_is_refused_with_one_line(tmp_path):
    (tmp_path / "w.txt").write_text("# u v weight\n0 1 0.5\n1 2 2.0\n2 0 1.0\n")
    with pytest.raises(ConfigError, match=r"^graph\.file: .*3 different weights") as err:
        _ties(tmp_path, 3, "edgelist", "w.txt")
    msg = str(err.value)
    assert "\n" not in msg and "no strength" in msg and "remove them" in msg


def test_networkx_weight_dicts_are_read_as_weights(tmp_path):
    g = nx.path_graph(4)
    for i, (a, b) in enumerate(g.edges()):
        g[a][b]["weight"] = float(i + 1)
    nx.write_edgelist(g, tmp_path / "w.txt")  # "0 1 {'weight': 1.0}"
    with pytest.raises(ConfigError, match="different weights"):
        _ties(tmp_path, 4, "edgelist", "w.txt")


def test_equal_weights_carry_no_strength_and_are_read(tmp_path):
    (tmp_path / "w.txt").write_text("0 1 1\n1 2 1\n2 3 1.0\n")
    t = _ties(tmp_path, 4, "edgelist", "w.txt")
    assert t.n_ties == 3
    assert read_graph_file(_cfg(4, tmp_path, "edgelist", "w.txt").graph, tmp_path).weights == (
        "constant 1"
    )
    # networkx's default edge-list output ("0 1 {}") has no data at all
    nx.write_edgelist(nx.path_graph(4), tmp_path / "plain.txt")
    assert _ties(tmp_path, 4, "edgelist", "plain.txt").n_ties == 3


def test_extra_edge_list_columns_are_refused(tmp_path):
    (tmp_path / "t.txt").write_text("0 1 1.0 1700000000\n")
    with pytest.raises(ConfigError, match=r"line 1 has 4 columns"):
        _ties(tmp_path, 2, "edgelist", "t.txt")
    (tmp_path / "x.txt").write_text("0 1 strong\n")
    with pytest.raises(ConfigError, match=r"'strong' is not a tie weight"):
        _ties(tmp_path, 2, "edgelist", "x.txt")


def test_a_weighted_graphml_is_refused(tmp_path):
    g = nx.les_miserables_graph()  # co-appearance counts as weights
    nx.write_graphml(g, tmp_path / "lesmis.graphml")
    with pytest.raises(ConfigError, match=r"^graph\.file: .*different weights"):
        _ties(tmp_path, g.number_of_nodes(), "graphml", "lesmis.graphml")


# -- direction ----------------------------------------------------------------------------


def test_a_directed_graphml_is_refused(tmp_path):
    g = nx.DiGraph([(0, 1), (1, 2), (2, 0), (1, 0)])  # 1->2 and 2->0 have no reverse
    nx.write_graphml(g, tmp_path / "d.graphml")
    with pytest.raises(ConfigError, match=r"is directed and 2 of its 4 arcs have no rev") as err:
        _ties(tmp_path, 3, "graphml", "d.graphml")
    assert "to_undirected" in str(err.value) and "\n" not in str(err.value)


def test_a_directed_graphml_whose_arcs_all_have_reverses_is_read(tmp_path):
    g = nx.DiGraph(nx.cycle_graph(5).to_directed())
    nx.write_graphml(g, tmp_path / "d.graphml")
    t = _ties(tmp_path, 5, "graphml", "d.graphml")
    assert t.n_ties == 5
    gf = read_graph_file(_cfg(5, tmp_path, "graphml", "d.graphml").graph, tmp_path)
    assert gf.directed and gf.record()["directed_in_file"] is True


def test_an_edge_list_is_undirected_ties(tmp_path):
    # "0 1" and "1 0" are the same tie: an edge list has no direction
    (tmp_path / "e.txt").write_text("0 1\n1 0\n1 2\n")
    assert _ties(tmp_path, 3, "edgelist", "e.txt").n_ties == 2


# -- a run records the file -----------------------------------------------------------------


def test_a_run_records_the_graph_hash_node_mapping_and_followers(tmp_path, capsys):
    n = 600
    rng = np.random.default_rng(3)
    labels = [f"user{i:04d}" for i in rng.permutation(n)]  # text labels, shuffled
    g = nx.relabel_nodes(nx.watts_strogatz_graph(n, 4, 0.1, seed=5), dict(enumerate(labels)))
    nx.write_graphml(g, tmp_path / "real.graphml")
    scen = tmp_path / "scen.toml"
    scen.write_text(
        tiny_toml(run={"steps": 5}) + '[graph]\nkind = "graphml"\nfile = "real.graphml"\n'
    )
    out = tmp_path / "out"
    assert main(["run", str(scen), "--out", str(out), "--quiet", "--followers"]) == 0
    man = json.loads((out / "manifest.json").read_text())
    gf = man["graph_file"]
    digest = hashlib.sha256((tmp_path / "real.graphml").read_bytes()).hexdigest()
    assert gf["sha256"] == digest and gf["nodes"] == n and gf["ties"] == g.number_of_edges()
    assert gf["node_order"] == "text" and gf["weights"] == "none"
    nodes = pd.read_csv(out / "graph_nodes.csv", dtype={"node": str})
    assert list(nodes["follower"]) == list(range(n))
    assert list(nodes["node"]) == sorted(labels)  # text labels in text order
    fol = pd.read_parquet(out / "followers.parquet")
    assert list(fol["node"]) == list(nodes["node"])
    # the per-follower ties are the file's degrees, tied back through the node labels
    deg = dict(g.degree())
    assert list(fol["ties"]) == [deg[lb] for lb in fol["node"]]
    assert (fol["follows"] >= 0).all() and fol["adopted"].dtype == bool
    assert {"topic", "exposures", "fatigue"} <= set(fol.columns)


def test_a_generated_graph_writes_no_graph_file_record(tmp_path, tiny):
    from simulation.outputs import follower_table
    from simulation.runner import run
    from simulation.writer import write_run

    res = run(apply_overrides(tiny(), {"run.steps": 3}), keep_model=True)
    write_run(res, tmp_path / "o", plots=False, followers=follower_table(res.model))
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert man["graph_file"] is None and not (tmp_path / "o" / "graph_nodes.csv").exists()
    fol = pd.read_parquet(tmp_path / "o" / "followers.parquet")
    assert list(fol["node"]) == [str(i) for i in range(len(fol))]
    e = res.model.state.edges
    assert int(fol["follows"].sum()) == int(e.active[: e.n].sum())


def test_a_sweep_records_the_graph_file_and_refuses_to_resume_on_a_changed_one(tmp_path, capsys):
    n = 600
    nx.write_edgelist(nx.cycle_graph(n), tmp_path / "ring.txt", data=False)
    (tmp_path / "base.toml").write_text(
        tiny_toml(run={"steps": 3}) + '[graph]\nkind = "edgelist"\nfile = "ring.txt"\n'
    )
    (tmp_path / "s.toml").write_text(
        'root_seed = 1\n[base]\nconfig = "base.toml"\n'
        "[factors]\nbehaviour.trust_erosion = [0.1, 0.2]\n"
        '[outcomes]\nfinal = ["mean_trust"]\n'
    )
    out = tmp_path / "o"
    args = ["sweep", str(tmp_path / "s.toml"), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(args) == 0
    man = json.loads((out / "manifest.json").read_text())
    digest = hashlib.sha256((tmp_path / "ring.txt").read_bytes()).hexdigest()
    assert man["graph_file"]["sha256"] == digest and man["graph_file"]["format"] == "edgelist"
    nodes = pd.read_csv(out / "graph_nodes.csv")
    assert list(nodes["node"]) == list(range(n))  # integer labels in numeric order
    # the same sweep on a changed graph file is a different sweep
    nx.write_edgelist(nx.path_graph(n), tmp_path / "ring.txt", data=False)
    capsys.readouterr()
    assert main([*args, "--resume"]) == 2
    assert "the graph file changed" in capsys.readouterr().err
