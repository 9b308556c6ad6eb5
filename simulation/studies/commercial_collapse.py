"""Commercial share against follower retention and engagement: where audiences collapse
(force 5, the unfollow effect).

Question: at what commercial share does an influencer's audience start to collapse, and how
does that depend on how sensitive followers are to commercial content?

Method: a market with demand that buys whatever influencers offer (40 brands on the
platform, their whole budget on influencers, whatever the return) and influencers that take
every offer up to ``influencers.sponsored_cap`` (``lookahead`` 0: myopic), so that the cap
sets each account's commercial share. A grid of ``influencers.sponsored_cap`` (posts a
period) by ``population.sensitivity_mean``, R replications each, 365 days. ``cap = 0`` is
the control with no sponsored posts (the same markets, by common seeds). Outcomes:
market-wide follower retention (followers at the end over the start) as a heatmap; and per
influencer, retention and engagement (relative to the same account in the control run of the
same replicate) against its commercial share over the run (sponsored posts over all its
posts; its share at the end would place accounts that collapsed and then sold nothing at low
shares), binned, with 95% CIs over
replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .common import (
    Condition,
    Settings,
    base_config,
    mean_ci,
    run_conditions,
    save_figure,
    save_table,
    summarise,
    write_summary,
)

NAME = "commercial_collapse"
QUESTION = "At what commercial share do audiences collapse, and how does sensitivity move it?"

CAPS = (2, 4, 8, 16)
SENSITIVITIES = (0.0, 0.5, 1.0, 2.0, 4.0)
SHARE_BINS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0)
#: Strong demand that buys whatever influencers offer, from influencers that take every offer
#: up to the cap (myopic): the cap then sets each account's commercial share.
DEMAND = {
    "brands.n_brands": 40,
    "brands.platform_share": 1.0,
    "brands.own_share": 0.0,
    "brands.learning_rate": 0.0,
    "brands.hurdle": 0.0,
    "influencers.lookahead": 0.0,
}
#: Retention below which an audience counts as collapsed (half of it gone).
COLLAPSE = 0.5


def _extract(res, _snaps):
    inf = res.influencers[
        [
            "influencer",
            "tier",
            "followers_start",
            "retention",
            "engagement_rate",
            "commercial_share",
            "commercial_share_run",
            "deals",
        ]
    ].copy()
    return {
        "influencers": inf,
        "retention": res.summary["follower_retention"],
        "sponsored_share": res.summary["sponsored_share"],
    }


def run(out: Path, quick: bool = False, replications: int | None = None) -> dict:
    """Run the experiment; write figures and tables into ``out``; return the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = Settings.make(quick, replications, default_r=3)
    caps = CAPS[::2] if quick else CAPS
    sens = (0.0, 4.0) if quick else SENSITIVITIES
    demand = {**DEMAND, "brands.n_brands": 8} if quick else DEMAND
    conds = [
        Condition(
            {"cap": 0, "sensitivity": np.nan},
            base_config(quick, overrides={**demand, "influencers.sponsored_cap": 0}),
        )
    ]
    for c in caps:
        for s in sens:
            conds.append(
                Condition(
                    {"cap": c, "sensitivity": s},
                    base_config(
                        quick,
                        overrides={
                            **demand,
                            "influencers.sponsored_cap": c,
                            "population.sensitivity_mean": s,
                        },
                    ),
                )
            )
    runs = run_conditions(conds, st, _extract)

    market = pd.DataFrame(
        [
            {
                **lab,
                "replicate": k,
                "seed": seed,
                "retention": x["retention"],
                "sponsored_share": x["sponsored_share"],
            }
            for lab, k, seed, x in runs
        ]
    )
    save_table(market, out, "market_runs")
    control = market[market["cap"] == 0]
    treated = market[market["cap"] > 0]
    grid = summarise(treated, ["cap", "sensitivity"], "retention")
    grid = grid.merge(
        summarise(treated, ["cap", "sensitivity"], "sponsored_share").rename(
            columns={"mean": "sponsored_share"}
        )[["cap", "sensitivity", "sponsored_share"]],
        on=["cap", "sensitivity"],
    )
    ctrl = mean_ci(control["retention"])
    save_table(grid, out, "retention_grid")

    # influencer level: retention and engagement relative to the control run
    ctrl_inf = {
        k: x["influencers"].set_index("influencer") for lab, k, _, x in runs if lab["cap"] == 0
    }
    rows = []
    for lab, k, _, x in runs:
        if lab["cap"] == 0:
            continue
        inf = x["influencers"].set_index("influencer")
        base = ctrl_inf[k]
        inf = inf.assign(
            cap=lab["cap"],
            sensitivity=lab["sensitivity"],
            replicate=k,
            retention_vs_control=inf["retention"] / base["retention"],
            engagement_vs_control=inf["engagement_rate"] / base["engagement_rate"],
        )
        rows.append(inf.reset_index())
    infl = pd.concat(rows, ignore_index=True)
    # the account's commercial share over the whole run (sponsored over all its posts): its
    # share at the end would put accounts that collapsed, and then sold nothing, at low shares
    infl["share_bin"] = pd.cut(infl["commercial_share_run"], SHARE_BINS, include_lowest=True)
    save_table(infl.drop(columns="share_bin"), out, "influencers")
    # mean per (sensitivity, bin, replicate), then CI over replicates
    per_rep = (
        infl.groupby(["sensitivity", "share_bin", "replicate"], observed=True)
        .agg(
            retention=("retention_vs_control", "mean"),
            engagement=("engagement_vs_control", "mean"),
            n=("retention", "size"),
        )
        .reset_index()
    )
    curves = summarise(per_rep, ["sensitivity", "share_bin"], "retention").merge(
        summarise(per_rep, ["sensitivity", "share_bin"], "engagement"),
        on=["sensitivity", "share_bin"],
        suffixes=("_retention", "_engagement"),
    )
    curves["share_mid"] = [b.mid for b in curves["share_bin"]]
    curves["share_bin"] = curves["share_bin"].astype(str)
    save_table(curves, out, "retention_by_share")
    collapse = {}
    for s, g in curves.groupby("sensitivity"):
        g = g.sort_values("share_mid")
        hit = g[g["mean_retention"] < COLLAPSE]
        collapse[float(s)] = float(hit["share_mid"].iloc[0]) if len(hit) else None

    # figure 1: phase diagram
    mat = grid.pivot(index="cap", columns="sensitivity", values="mean")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    im = ax.imshow(mat.to_numpy(), origin="lower", cmap="RdYlGn", vmin=0, vmax=1.1, aspect="auto")
    for i, c in enumerate(mat.index):
        for j, s in enumerate(mat.columns):
            row = grid[(grid["cap"] == c) & (grid["sensitivity"] == s)].iloc[0]
            ax.text(
                j,
                i,
                f"{row['mean']:.2f}\n±{(row['ci_high'] - row['ci_low']) / 2:.2f}\n"
                f"sp {row['sponsored_share']:.1%}",
                ha="center",
                va="center",
                fontsize=7,
            )
    ax.set_xticks(range(len(mat.columns)), [f"{s:g}" for s in mat.columns])
    ax.set_yticks(range(len(mat.index)), [str(c) for c in mat.index])
    ax.set_xlabel("population.sensitivity_mean (trust erosion multiplier)")
    ax.set_ylabel("influencers.sponsored_cap (posts / month)")
    fig.colorbar(im, ax=ax, label="follower retention after a year (end / start)")
    ax.set_title(
        f"Follower retention, mean ±95% CI half-width of R={st.replications} (sp = sponsored "
        f"share);\ncontrol without sponsored posts: {ctrl[0]:.3f}",
        fontsize=9,
    )
    save_figure(fig, out, "retention_phase_diagram")

    # figure 2: per influencer, retention and engagement against commercial share
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    cmap = plt.cm.plasma(np.linspace(0, 0.85, len(sens)))
    for color, (s, g) in zip(cmap, curves.groupby("sensitivity"), strict=False):
        g = g.sort_values("share_mid")
        for ax, what in zip(axes, ("retention", "engagement"), strict=True):
            ax.plot(
                g["share_mid"],
                g[f"mean_{what}"],
                "o-",
                color=color,
                ms=3,
                label=f"sensitivity {s:g}",
            )
            ax.fill_between(
                g["share_mid"],
                g[f"ci_low_{what}"].clip(lower=0),
                g[f"ci_high_{what}"],
                color=color,
                alpha=0.15,
                lw=0,
            )
    axes[0].axhline(COLLAPSE, color="0.5", ls=":", lw=1)
    axes[0].set_ylabel("follower retention / same account, no deals")
    axes[1].set_ylabel("engagement rate / same account, no deals")
    for ax in axes:
        ax.set_ylim(0, 1.4)
    for ax in axes:
        ax.set_xlabel("commercial share over the run: sponsored / all posts (binned)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(
        "Per influencer: the more commercial the account, the more of its audience "
        f"it loses (mean, 95% CI over R={st.replications})",
        fontsize=10,
        y=1.02,
    )
    save_figure(fig, out, "retention_vs_commercial_share")

    numbers = {
        "control_retention": {"mean": ctrl[0], "ci": [ctrl[1], ctrl[2]]},
        "grid": grid.to_dict(orient="records"),
        "collapse_share_by_sensitivity": collapse,
    }
    write_summary(out, NAME, st, numbers)
    return numbers
