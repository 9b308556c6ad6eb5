"""The market model reduces to the classic models it contains (known-answer tests; the sources:
docs/REFERENCES.md).

Bass (1969): with influencers and prices switched off, adoption on a complete graph follows
the discrete Bass recursion F' = F + (p + qF)(1 - F). Independent cascade (Kempe, Kleinberg
& Tardos 2003): with one-shot pass-on, the expected reach on a path of n seeded at one end
is (1 - p^n) / (1 - p), and on a tree the sum of p^depth.
"""

import numpy as np
import pytest

from simulation.config import load_config
from simulation.runner import run
from simulation.validation import bass_closed_form, bass_recursion


def test_bass_scenario_follows_the_discrete_recursion():
    cfg = load_config("configs/bass.toml")
    p = cfg.brands.own_reach * cfg.brands.own_conversion
    q = cfg.behaviour.wom_q
    runs = np.array([run(cfg, seed=s).timeseries["adopted_share"].to_numpy() for s in range(20)])
    expected = bass_recursion(p, q, cfg.run.steps)
    # per-run sd of the adopted share is at most about 0.015 at n = 2000; the mean of 20 runs
    # has sd about 0.0034, so 0.02 is about six standard deviations (plus the O(1/n) bias of
    # excluding oneself from the imitation share).
    assert np.abs(runs.mean(axis=0) - expected).max() < 0.02
    # and it has the Bass shape: the continuous curve is within the daily-step error
    t = np.arange(1, cfg.run.steps + 1)
    assert np.abs(runs.mean(axis=0) - bass_closed_form(p, q, t)).max() < 0.1
    assert np.abs(expected - bass_closed_form(p, q, t)).max() < 0.1


def test_bass_error_shrinks_with_population():
    errors = []
    for n in (200, 5000):
        cfg = load_config("configs/bass.toml", [f"population.n_followers={n}"])
        p = cfg.brands.own_reach * cfg.brands.own_conversion
        runs = np.array(
            [run(cfg, seed=s).timeseries["adopted_share"].to_numpy() for s in range(10)]
        )
        per_run = np.abs(runs - bass_recursion(p, cfg.behaviour.wom_q, cfg.run.steps))
        errors.append(per_run.max(axis=1).mean())
    # the typical deviation of one run falls roughly as 1/sqrt(n): 5x at 25x the size
    assert errors[1] < errors[0] / 2.5


def _forest_file(tmp_path, components: int, edges: list[tuple[int, int]], size: int):
    """``components`` copies of a graph whose roots are nodes 0..components-1."""
    lines = []
    for c in range(components):
        node = [c] + [components + c * (size - 1) + k for k in range(size - 1)]
        lines += [f"{node[a]} {node[b]}" for a, b in edges]
    path = tmp_path / "forest.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cascade_reach(tmp_path, components, edges, size, p, seed):
    path = _forest_file(tmp_path, components, edges, size)
    cfg = load_config(
        "configs/cascade.toml",
        [
            'graph.kind="edgelist"',
            f'graph.file="{path}"',
            f"population.n_followers={components * size}",
            f"brands.seed_adopters={components}",
            f"behaviour.wom_p={p}",
            f"run.steps={size + 1}",
        ],
    )
    res = run(cfg, seed=seed)
    return res.timeseries["adopted_share"].iloc[-1] * res.config.population.n_followers / components


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_cascade_on_paths_matches_closed_form(tmp_path, p):
    n, copies = 10, 4000
    edges = [(k, k + 1) for k in range(n - 1)]
    reach = _cascade_reach(tmp_path, copies, edges, n, p, seed=5)
    expected = (1 - p**n) / (1 - p)
    # reach of one path has variance below p / (1 - p)^2; the mean over 4,000 paths
    # has sd below 0.04 at p = 0.7, so 0.2 is about five standard deviations
    assert reach == pytest.approx(expected, abs=0.2)


def test_cascade_on_trees_matches_sum_of_powers(tmp_path):
    p, depth = 0.5, 4
    size = 2 ** (depth + 1) - 1  # binary tree of depth 4: nodes k have children 2k+1, 2k+2
    edges = [((k - 1) // 2, k) for k in range(1, size)]
    reach = _cascade_reach(tmp_path, 2000, edges, size, p, seed=9)
    expected = sum((2 * p) ** d for d in range(depth + 1))
    assert reach == pytest.approx(expected, abs=0.25)


def test_cascade_scenario_on_a_path():
    cfg = load_config("configs/cascade.toml")
    n = cfg.population.n_followers
    reach = np.mean([run(cfg, seed=s).timeseries["adopted_share"].iloc[-1] * n for s in range(200)])
    p, n = cfg.behaviour.wom_p, cfg.population.n_followers
    assert reach == pytest.approx((1 - p**n) / (1 - p), abs=0.5)
