from simulation.config import config_from_dict
from simulation.runner import run


def test_default_market_runs_coarse_and_produces_tables():
    # the default market (3,000 accounts, 4M people) simulated coarsely by 3,000 followers
    cfg = config_from_dict({"population": {"n_followers": 3000}})
    res = run(cfg, seed=3, steps=20)
    assert len(res.timeseries) == 20
    assert len(res.influencers) == cfg.n_influencers
    assert len(res.brands) == cfg.brands.n_brands
    assert res.summary["people_per_follower"] == 4_000_000 / 3000
