"""Honest indices: seed noise is measured and named, impossible indices are flagged, and the
convergence rules say settled only when the numbers have settled."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_toml

from simulation.cli import main
from simulation.sweep import diagnostics as dg
from simulation.sweep import load_sweep, run_sweep

# -- seed noise: known answers --------------------------------------------------------------


def _two_way(p: int, r: int, sd_point: float, sd_rep: float, sd_noise: float, seed: int):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, sd_point, p)[:, None]
    c = rng.normal(0, sd_rep, r)[None, :]
    e = rng.normal(0, sd_noise, (p, r))
    return 5.0 + a + c + e


def test_seed_noise_independent_seeds_known_answer():
    # var(point) 1, noise 1, R = 4: the point means carry noise 1/4 -> share 0.25 / 1.25 = 0.2
    y = _two_way(4000, 4, 1.0, 0.0, 1.0, seed=1)
    res = dg.seed_noise(y, common=False)
    assert res["noise_var"] == pytest.approx(1.0, abs=0.05)  # sd of the estimate ~0.013
    assert res["mean_share"] == pytest.approx(0.2, abs=0.02)
    assert res["run_share"] == pytest.approx(0.5, abs=0.03)
    # 5% needs noise / R <= (0.05 / 0.95) var(point): R >= 19
    assert 17 <= res["replications_for_5pct"] <= 21


def test_common_seeds_remove_the_shared_part_of_the_noise():
    # a replicate effect shared by every point (sd 2) and a small point-by-seed part (sd 0.5)
    y = _two_way(3000, 6, 1.0, 2.0, 0.5, seed=2)
    common = dg.seed_noise(y, common=True)
    assert common["noise_var"] == pytest.approx(0.25, abs=0.02)  # only the interaction
    assert common["within_var"] == pytest.approx(0.25 + 4.0, rel=0.6)  # a run's noise: all of it
    # what is left in the point means: (0.25 / 6) / (1 + 0.25 / 6) = 4%
    assert common["mean_share"] == pytest.approx(0.04, abs=0.01)
    indep = dg.seed_noise(y, common=False)  # the same numbers read as if seeds were independent
    assert indep["noise_var"] > 10 * common["noise_var"]
    assert dg.seed_noise(y[:, :1], common=True) is None  # one replicate: nothing to estimate


# -- indices on part of a Saltelli design ---------------------------------------------------


def test_the_first_n_blocks_of_a_saltelli_design_are_the_design_of_size_n():
    from SALib.sample import sobol

    problem = {"num_vars": 3, "names": list("abc"), "bounds": [[0, 1]] * 3}
    big = sobol.sample(problem, 64, calc_second_order=False, seed=5)
    small = sobol.sample(problem, 16, calc_second_order=False, seed=5)
    np.testing.assert_array_equal(big[: len(small)], small)


def _linear_design(n: int):
    from SALib.sample import sobol

    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1]] * 2}
    x = sobol.sample(problem, n, calc_second_order=False, seed=3)
    return x[:, 0] + 2 * x[:, 1]  # S1 = 1/5 and 4/5, no interaction


def test_sobol_indices_known_answer_and_the_settled_rule():
    y = _linear_design(2048)
    full = dg.sobol_indices(y, ["a", "b"], False, seed=1)
    half = dg.sobol_indices(y, ["a", "b"], False, seed=1, n_base=1024)
    assert full["S1"].tolist() == pytest.approx([0.2, 0.8], abs=0.03)
    assert full["ST"].tolist() == pytest.approx([0.2, 0.8], abs=0.03)
    ok, why = dg.settled_indices(full, half, "sobol", "N")
    assert ok, why
    small = _linear_design(16)
    ok, why = dg.settled_indices(
        dg.sobol_indices(small, ["a", "b"], False, seed=1),
        dg.sobol_indices(small, ["a", "b"], False, seed=1, n_base=8),
        "sobol",
        "N",
    )
    assert not ok and "half-width" in why


def test_impossible_indices_are_named_in_words():
    idx = pd.DataFrame(
        {
            "factor": ["x", "y", "z"],
            "S1": [1.029, -0.462, 0.30],
            "S1_conf": [0.02, 0.10, 0.05],
            "ST": [1.508, 0.10, 0.10],
            "ST_conf": [0.30, 0.05, 0.05],
        }
    )
    w = dg.index_warnings("rpd", idx, "sobol", 512)
    assert any("S1 of x is 1.029" in m and "outside [0, 1]" in m for m in w)
    assert any("ST of x is 1.508" in m for m in w)
    assert any("S1 of y is -0.462" in m for m in w)
    assert any("S1 of z (0.300) exceeds its ST (0.100)" in m for m in w)
    assert len(w) == 4
    near = idx.assign(S1=[0.5, -0.02, 0.1], S1_conf=[0.05, 0.01, 0.05], ST=[0.6, 0.2, 0.2])
    (msg,) = dg.index_warnings("rpd", near, "sobol", 512)
    assert "S1 of y is -0.020 ± 0.010, below 0 beyond its 95% interval: read it as no" in msg
    fine = idx.assign(S1=[0.5, 0.1, 0.1], ST=[0.6, 0.2, 0.2])
    assert dg.index_warnings("rpd", fine, "sobol", 512) == []
    assert any("below the 64" in m for m in dg.index_warnings("rpd", fine, "sobol", 16))


def test_the_means_rule():
    quiet = _two_way(50, 40, 1.0, 0.1, 0.2, seed=4)  # noise 0.04 / 40 of a variance of 1
    conv = dg.mean_convergence(quiet, dg.replication_schedule(40))
    assert np.isnan(conv["ci_half"].iloc[0]) and list(conv["r"])[-1] == 40
    # the grand mean's interval comes from the 40 replicate averages
    avg = quiet.mean(axis=0)
    half = 2.0227 * avg.std(ddof=1) / np.sqrt(40)  # t(0.975, 39)
    assert conv["ci_half"].iloc[-1] == pytest.approx(half, rel=1e-3)
    assert conv["spread"].iloc[-1] == pytest.approx(quiet.mean(axis=1).std(ddof=1))
    diff, level, why = dg.settled_means(conv, dg.seed_noise(quiet, common=True), 50)
    assert diff and level, why
    # a large luck shared by every point: comparisons are exact, the level is not
    shared = _two_way(50, 4, 1.0, 2.0, 0.05, seed=4)
    conv = dg.mean_convergence(shared, [1, 2, 4])
    diff, level, why = dg.settled_means(conv, dg.seed_noise(shared, common=True), 50)
    assert diff and not level and "grand mean known to" in why
    noisy = _two_way(50, 4, 0.1, 0.0, 3.0, seed=4)
    conv = dg.mean_convergence(noisy, [1, 2, 4])
    diff, level, why = dg.settled_means(conv, dg.seed_noise(noisy, common=False), 50)
    assert diff is False and "seed noise is" in why
    diff, level, why = dg.settled_means(conv[:1], None, 50)
    assert not level and "two replications" in why


# -- the whole analysis on a cheap model ----------------------------------------------------


class Luck:
    """A model whose outcome is a known function of two factors plus luck from the seed.

    ``shared`` luck depends on the seed only (the same at every point under common random
    numbers); ``mixed`` luck also depends on the point, so no seed scheme cancels it.
    """

    def __init__(self, size: float):
        self.size = size

    def __call__(self, spec):
        a = spec.factors["behaviour.trust_erosion"]
        b = spec.factors["behaviour.unfollow_rate"]
        f = a + 4 * b
        shared = np.random.default_rng(spec.seed).normal(0, self.size)
        point = hash((round(a, 12), round(b, 12))) % 2**32
        mixed = np.random.default_rng([spec.seed % 2**32, point]).normal(0, 0.02)
        return {"return_per_dollar": f + shared, "mean_trust_final": f + mixed}


SWEEP = """
name = "luck"
replications = 4
root_seed = 3
steps = 2

[base]
config = "base.toml"

[factors]
behaviour.trust_erosion = { low = 0.0, high = 1.0 }
behaviour.unfollow_rate = { low = 0.0, high = 0.5 }

[design]
kind = "sobol"
n = 256

[outcomes]
summary = ["return_per_dollar"]
final = ["mean_trust"]
"""


@pytest.fixture
def luck_file(tmp_path: Path) -> Path:
    (tmp_path / "base.toml").write_text(tiny_toml())
    f = tmp_path / "luck.toml"
    f.write_text(SWEEP)
    return f


@pytest.mark.parametrize("seeds", ["common", "independent"])
def test_analyze_reports_seed_noise_and_settling(luck_file, tmp_path, capsys, seeds):
    out = tmp_path / seeds
    sweep = load_sweep(luck_file, [f"seeds={seeds}"])
    run_sweep(sweep, out, workers=1, progress=False, evaluate=Luck(size=1.0))
    assert main(["analyze", str(out)]) == 0
    printed = capsys.readouterr().out
    diag = pd.read_csv(out / "diagnostics.csv").set_index("outcome")
    rpd = diag.loc["return_per_dollar"]
    # luck sd 1 against a signal of variance 1/12 + 16 * 0.25 / 12 = 0.417: a run is mostly luck
    assert rpd["seed_share_of_runs"] == pytest.approx(1 / (1 + 0.417), abs=0.08)
    conv = pd.read_csv(out / "convergence.csv")
    rep = conv[(conv["outcome"] == "return_per_dollar") & (conv["axis"] == "replications")]
    st = rep[rep["quantity"] == "ST"].pivot_table(index="factor", columns="size", values="value")
    if seeds == "common":
        # the same luck at every point cancels out of the comparisons: one replicate gives
        # the indices that four give, and none of the variance they decompose is noise
        assert rpd["seed_share_of_means"] < 1e-9
        np.testing.assert_allclose(st[1], st[4], atol=1e-9)
        assert "moved <= 0.05 from half the replications" in rpd["indices_reason"]
        assert bool(rpd["screening_settled"]), rpd["screening_reason"]
        assert rpd["factors_that_matter"] == "behaviour.trust_erosion, behaviour.unfollow_rate"
        assert "warning: return_per_dollar: seed noise" not in printed
    else:
        # (1 / 4) / (0.417 + 1 / 4): 37% of what the indices decompose is luck
        assert rpd["seed_share_of_means"] == pytest.approx(0.375, abs=0.1)
        assert (st[1] - st[4]).abs().max() > 0.05  # the indices move with the replications
        assert not bool(rpd["indices_settled"]) and not bool(rpd["screening_settled"])
        assert "seed noise" in rpd["screening_reason"]
        assert "warning: return_per_dollar: seed noise is" in printed
    trust = diag.loc["mean_trust_final"]  # small mixed luck: little noise either way
    assert trust["seed_share_of_means"] < 0.01
    assert "seed noise: of a run" in printed
    assert sorted(set(conv[conv["axis"] == "N"]["size"])) == [32, 64, 128, 256]
    assert sorted(set(conv[conv["axis"] == "replications"]["size"])) == [1, 2, 4]
    sens = pd.read_csv(out / "sensitivity.csv")
    st = sens[sens["outcome"] == "mean_trust_final"].set_index("factor")["ST"]
    # f = a + 4b on a in [0, 1], b in [0, 0.5]: variances 1/12 and 16 * 0.25 / 12
    assert st["behaviour.trust_erosion"] == pytest.approx(1 / 5, abs=0.05)
    assert st["behaviour.unfollow_rate"] == pytest.approx(4 / 5, abs=0.05)
    assert (out / "plots" / "return_per_dollar_convergence.png").is_file()
    notes = json.loads((out / "analysis.json").read_text())
    assert isinstance(notes["warnings"], list)


def test_one_replication_says_the_noise_is_unknown(luck_file, tmp_path, capsys):
    out = tmp_path / "o"
    sweep = load_sweep(luck_file, ["replications=1", "design.n=16"])
    run_sweep(sweep, out, workers=1, progress=False, evaluate=Luck(size=1.0))
    assert main(["analyze", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "one replication per point: the share of seed noise cannot be estimated" in printed
    assert "N = 16 base samples is below the 64" in printed
    diag = pd.read_csv(out / "diagnostics.csv")
    assert diag["seed_share_of_means"].isna().all()
    assert not diag["indices_settled"].any()
    assert math.isnan(diag["seed_share_of_runs"].iloc[0])


def test_an_outcome_without_any_value_says_so_not_that_it_needs_replications():
    """An outcome no run has (sales per $ of a strategy no brand uses) is not a question of
    replications."""
    nan = float("nan")
    conv = pd.DataFrame(
        {"r": [2, 4], "mean": [nan, nan], "ci_half": [nan, nan], "spread": [nan, nan]}
    )
    assert dg.settled_means(conv, None, 3) == (False, False, "no run has a value for it")
    one = pd.DataFrame({"r": [1], "mean": [2.0], "ci_half": [nan], "spread": [0.1]})
    assert dg.settled_means(one, None, 3)[2] == "needs at least two replications"
