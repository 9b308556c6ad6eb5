from simulation.config import config_from_dict
from simulation.runner import run


def test_tiny_run_produces_tables():
    cfg = config_from_dict(
        {"population": {"n_followers": 3000}, "influencers": {"audience_cap": 500}}
    )
    res = run(cfg, seed=3, steps=20)
    assert len(res.timeseries) == 20
    assert len(res.influencers) == cfg.n_influencers
    assert len(res.brands) == cfg.brands.n_brands
