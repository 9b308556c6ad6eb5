"""Follower engines: one day of every follower, vectorized or one follower at a time.

Both engines apply the same rules, in the same order, by calling the same functions of
``mechanisms.py``; they differ only in how the work is laid out (and so in the order of
random draws, so they agree in distribution, not draw for draw):

1. each active follow edge of an account that posted today is *seen* with probability
   ``reach``; a seen post is *engaged* with :func:`~mechanisms.engagement_probability`
   (one uniform per edge: engaged implies seen);
2. an engaged sponsored post is *adopted* with :func:`~mechanisms.adoption_probability`;
3. trust on every seen edge moves by :func:`~mechanisms.trust_update`, and the follower may
   *unfollow* with :func:`~mechanisms.unfollow_probability` of the new trust;
4. sponsored posts seen add to the follower's exposures (:func:`~mechanisms.exposure_update`);
5. an engagement shows the account to a random friend with probability ``discovery_rate``,
   who follows it with probability equal to their interest in its topic;
6. brands' own posts and imitation (:func:`~mechanisms.adoption_hazard`) and one-shot word
   of mouth from last step's new adopters (pass-on ``wom_p``) add adopters.

All reads are of the state at the start of the day (simultaneous activation); new adoptions
and new follow edges take effect together at the end of the day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import mechanisms as mech

__all__ = [
    "ENGINES",
    "DayInputs",
    "DayResult",
    "FollowerDay",
    "step_follower",
    "step_reference",
    "step_vectorized",
]


@dataclass
class DayInputs:
    """Per-day quantities computed once by the model, read by both engines."""

    size_term: np.ndarray  # (m,) size_engagement of each influencer today
    excess: np.ndarray  # (m,) commercial_excess of each influencer
    fatigue: np.ndarray  # (n,) fatigue_level of each follower at the start of the day
    own_p: np.ndarray  # (B,) external adoption probability at full interest
    trust0: np.ndarray  # (m,) baseline trust B of each influencer's followers


@dataclass
class DayResult:
    """What the followers did today, in simulated (unweighted) counts."""

    seen: np.ndarray  # (m,) follow edges that saw the account's post
    engaged: np.ndarray  # (m,) follow edges that engaged
    expected: np.ndarray  # (m,) sum of engagement probabilities of the edges that saw it
    unfollows: np.ndarray  # (m,)
    follows: np.ndarray  # (m,)
    adopt_via: np.ndarray  # (m,) adoptions through each account's sponsored post
    adopt_own: np.ndarray  # (B,) adoptions through own posts and imitation
    adopt_wom: np.ndarray  # (B,) adoptions through one-shot word of mouth
    exposures: int  # sponsored posts seen


def _empty(m: int, b: int) -> DayResult:
    z = np.zeros(m, np.int64)
    return DayResult(
        seen=z.copy(),
        engaged=z.copy(),
        expected=np.zeros(m),
        unfollows=z.copy(),
        follows=z.copy(),
        adopt_via=z.copy(),
        adopt_own=np.zeros(b, np.int64),
        adopt_wom=np.zeros(b, np.int64),
        exposures=0,
    )


def _new_edges(model, friend, j, rng) -> tuple[np.ndarray, np.ndarray]:
    """Keep candidate follows that are new and distinct; append them at their baseline
    trust (r = 1); return (friend, j)."""
    st, beh = model.state, model.cfg.behaviour
    e = st.edges
    fresh = ~e.exists(friend, j)
    friend, j = friend[fresh], j[fresh]
    _, first = np.unique(e.key(friend, j), return_index=True)
    first.sort()
    friend, j = friend[first], j[first]
    fit = st.interest[friend, st.inf_topic[j]]
    e.append(friend, j, np.ones(friend.size, np.float32), fit, mech.fit_term(fit, beh.fit_floor))
    return friend, j


def _apply_adoptions(model, sources, res: DayResult) -> None:
    """Union the day's adoptions into the state, each (follower, brand) pair once.

    ``sources`` are (followers, brands) arrays through sponsored posts, through own posts
    and imitation, and through word of mouth, in that order of attribution.
    """
    st = model.state
    n = st.n_followers
    keys = np.concatenate(
        [np.asarray(b, np.int64) * n + np.asarray(f, np.int64) for f, b in sources]
    )
    origin = np.concatenate([np.full(np.asarray(f).size, k) for k, (f, _) in enumerate(sources)])
    keys, first = np.unique(keys, return_index=True)
    origin = origin[first]
    fresh = ~st.adopted.ravel()[keys]
    keys, origin = keys[fresh], origin[fresh]
    b, f = np.divmod(keys, n) if n else (keys, keys)
    res.adopt_own = np.bincount(b[origin == 1], minlength=st.n_brands)
    res.adopt_wom = np.bincount(b[origin == 2], minlength=st.n_brands)
    st.adopted.ravel()[keys] = True
    st.any_adopted[f] = True
    st.new_f, st.new_b = f, b


def step_vectorized(model, inp: DayInputs) -> DayResult:
    """One day of all followers at once, in numpy over the follow-edge arrays."""
    cfg, st, rng, ties = model.cfg, model.state, model.rng, model.ties
    beh = cfg.behaviour
    e = st.edges
    m, nb, nf = st.n_influencers, st.n_brands, st.n_followers
    res = _empty(m, nb)
    n = e.n

    # 1. seen and engaged: one uniform per edge
    dst_all = e.dst[:n]
    u = rng.random(n, dtype=np.float32)
    mask = st.posted[dst_all]
    mask &= e.active[:n]
    mask &= u < beh.reach
    idx = np.flatnonzero(mask)
    d = dst_all[idx]
    s = e.src[idx]
    spons = st.sponsored[d]
    trust = e.trust[idx]
    p_eng = mech.engagement_probability(
        inp.size_term[d], e.fit_mult[idx], trust, inp.fatigue[s], spons
    )
    engaged = u[idx] < beh.reach * p_eng
    res.seen = np.bincount(d, minlength=m)
    res.engaged = np.bincount(d[engaged], minlength=m)
    res.expected = np.bincount(d, weights=p_eng, minlength=m)

    # 2. adoption through sponsored posts: trust in the recommendation is r * B
    a = np.flatnonzero(engaged & spons)
    sa, da = s[a], d[a]
    ba = st.post_brand[da]
    fit_p = st.interest[sa, st.category[ba]]
    p_ad = mech.adoption_probability(st.susceptibility[sa], trust[a] * inp.trust0[da], fit_p)
    took = rng.random(a.size) < p_ad
    hit = took & ~st.adopted[ba, sa]
    sa, ba, da = sa[hit], ba[hit], da[hit]
    _, first = np.unique(sa.astype(np.int64) * max(nb, 1) + ba, return_index=True)
    res.adopt_via = np.bincount(da[first], minlength=m)

    # 3. trust and unfollowing
    new_trust = mech.trust_update(
        trust,
        np.float32(1.0),
        (~spons).astype(np.float32),  # float32 flags keep the arithmetic in float32
        st.offtopic[d].astype(np.float32),
        inp.excess[d],
        st.sensitivity[s],
        beh.trust_rebuild,
        beh.trust_erosion,
        beh.offtopic_penalty,
    )
    e.trust[idx] = new_trust
    p_unf = mech.unfollow_probability(new_trust, beh.unfollow_threshold, beh.unfollow_rate)
    cand = np.flatnonzero(p_unf > 0)
    gone = cand[rng.random(cand.size) < p_unf[cand]]
    e.active[idx[gone]] = False
    e.trust[idx[gone]] = 0.0  # an unfollowed edge keeps no trust (means over edges stay sums)
    st.unfollowed[s[gone]] = True
    res.unfollows = np.bincount(d[gone], minlength=m)

    # 4. exposures (fatigue)
    new_exp = np.bincount(s[spons], minlength=nf).astype(np.float32)
    res.exposures = int(spons.sum())
    st.exposures = mech.exposure_update(st.exposures, new_exp, beh.fatigue_decay)

    # 5. discovery through friends
    eng_idx = np.flatnonzero(engaged)
    tell = eng_idx[rng.random(eng_idx.size) < beh.discovery_rate]
    friend = ties.random_friend(s[tell], rng.random(tell.size))
    j = d[tell].astype(np.int64)
    ok = friend >= 0
    friend, j = friend[ok], j[ok]
    ok = rng.random(friend.size) < st.interest[friend, st.inf_topic[j]]
    _, j_new = _new_edges(model, friend[ok], j[ok], rng)
    res.follows = np.bincount(j_new, minlength=m)

    # 6. own posts, imitation and word of mouth, brand by brand
    own, wom = [], []
    by_brand = np.argsort(st.new_b, kind="stable")
    bounds = np.searchsorted(st.new_b[by_brand], np.arange(nb + 1))
    for b in range(nb):
        col = st.adopted[b]
        cat = st.category[b]
        if beh.wom_q > 0:
            share = ties.friend_share(col)
            h = mech.adoption_hazard(inp.own_p[b] * st.interest[:, cat], beh.wom_q, share)
            own.append(np.flatnonzero((rng.random(nf) < h) & ~col))
        elif inp.own_p[b] > 0:
            # thinning: candidates at the largest hazard, kept with hazard / largest
            k = int(rng.binomial(nf, min(1.0, inp.own_p[b])))
            cand = rng.choice(nf, size=k, replace=False)
            keep = rng.random(k) < st.interest[cand, cat]
            own.append(cand[keep & ~col[cand]])
        else:
            own.append(np.zeros(0, np.int64))
        srcs = st.new_f[by_brand[bounds[b] : bounds[b + 1]]]
        if beh.wom_p > 0 and srcs.size:
            _, tg = ties.expand(srcs)
            tg = tg[rng.random(tg.size) < beh.wom_p]
            wom.append(tg[~col[tg]])
        else:
            wom.append(np.zeros(0, np.int64))
    brands = np.arange(nb)
    own_b = np.repeat(brands, [x.size for x in own])
    wom_b = np.repeat(brands, [x.size for x in wom])
    _apply_adoptions(
        model,
        [
            (sa[first], ba[first]),
            (np.concatenate([np.zeros(0, np.int64), *own]), own_b),
            (np.concatenate([np.zeros(0, np.int64), *wom]), wom_b),
        ],
        res,
    )
    return res


@dataclass
class FollowerDay:
    """Scratch space of one reference-engine day, shared by every follower's step.

    Everything a follower reads is the start-of-day state (``adopted0``, ``new_adopted0``
    and the model's arrays as they were before the first follower moved, apart from each
    follower's own rows); what it adds is staged here and applied at the end of the day.
    """

    inp: DayInputs
    res: DayResult
    order: np.ndarray  # active edge rows sorted by follower
    starts: np.ndarray  # follower f's edges are order[starts[f]:starts[f+1]]
    adopted0: np.ndarray  # adoption at the start of the day
    new_adopted0: np.ndarray  # adopted during the previous day
    pairs: list  # (follower, brand, influencer) adoptions through posts
    own: np.ndarray  # adoptions through own posts and imitation
    wom: np.ndarray  # adoptions through word of mouth
    new_friend: list
    new_j: list


def step_follower(model, f: int, day: FollowerDay) -> None:
    """One day of follower ``f``: the reference engine's rule, the six steps of this
    module's docstring for one follower, with the same mechanism functions as
    :func:`step_vectorized`.

    1. Each followed account that posted today is seen if ``u < reach`` and engaged with if
       ``u < reach * p_eng``, one uniform u per follow edge,
       ``p_eng = engagement_probability(size_term, fit_mult, r, F, sponsored)``.
    2. Each engaged sponsored post is adopted with
       ``adoption_probability(susceptibility, r * B, fit_p)``; a brand counts once a day.
    3. Trust on every seen edge moves by ``trust_update``; the edge is unfollowed with
       ``unfollow_probability`` of the new trust.
    4. ``E' = exposure_update(E, sponsored posts seen, fatigue_decay)``.
    5. Each engagement shows the account to one random friend with probability
       ``discovery_rate``, who follows it with probability equal to their interest in its
       topic.
    6. For each brand not yet adopted: its own posts and imitation
       (``adoption_hazard(own_p * interest, wom_q, adopted share of friends)``, or
       ``own_p * interest`` when ``wom_q`` is 0), and one pass-on chance ``wom_p`` per friend
       who adopted it yesterday.

    Parameters are those of ``[behaviour]`` (``reach``, ``trust_rebuild``,
    ``trust_erosion``, ``offtopic_penalty``, ``unfollow_threshold``, ``unfollow_rate``,
    ``fatigue_decay``, ``discovery_rate``, ``wom_p``, ``wom_q``); sources are those of the
    mechanisms (docs/ODD.md 3.2 and 7). Reads the start-of-day state, writes only follower
    ``f``'s rows and the staging arrays of ``day``.
    """
    st = model.state
    beh, rng, e, inp, res = model.cfg.behaviour, model.rng, st.edges, day.inp, day.res
    susceptibility = float(st.susceptibility[f])
    sensitivity = float(st.sensitivity[f])
    rows = day.order[day.starts[f] : day.starts[f + 1]]
    rows = rows[st.posted[e.dst[rows]]]
    u = rng.random(rows.size)
    rows, u = rows[u < beh.reach], u[u < beh.reach]
    d = e.dst[rows]
    spons = st.sponsored[d]
    trust = e.trust[rows].astype(np.float64)
    p_eng = mech.engagement_probability(
        inp.size_term[d], e.fit_mult[rows], trust, inp.fatigue[f], spons
    )
    engaged = u < beh.reach * p_eng
    np.add.at(res.seen, d, 1)
    np.add.at(res.engaged, d[engaged], 1)
    np.add.at(res.expected, d, p_eng)

    adopted_now = set()
    for j, t in zip(d[engaged & spons].tolist(), trust[engaged & spons].tolist(), strict=True):
        b = int(st.post_brand[j])
        fit_p = float(st.interest[f, st.category[b]])
        p_ad = float(mech.adoption_probability(susceptibility, t * inp.trust0[j], fit_p))
        took = rng.random() < p_ad
        if took and not day.adopted0[b, f] and b not in adopted_now:
            adopted_now.add(b)
            day.pairs.append((f, b, j))

    new_trust = mech.trust_update(
        trust,
        1.0,
        ~spons,
        st.offtopic[d],
        inp.excess[d],
        sensitivity,
        beh.trust_rebuild,
        beh.trust_erosion,
        beh.offtopic_penalty,
    )
    e.trust[rows] = new_trust
    gone = rng.random(rows.size) < mech.unfollow_probability(
        new_trust, beh.unfollow_threshold, beh.unfollow_rate
    )
    e.active[rows[gone]] = False
    e.trust[rows[gone]] = 0.0  # an unfollowed edge keeps no trust
    np.add.at(res.unfollows, d[gone], 1)
    if gone.any():
        st.unfollowed[f] = True

    seen_sponsored = int(spons.sum())
    res.exposures += seen_sponsored
    st.exposures[f] = mech.exposure_update(st.exposures[f], seen_sponsored, beh.fatigue_decay)

    for j in d[engaged].tolist():
        if rng.random() < beh.discovery_rate:
            friend = int(model.ties.random_friend(np.array([f]), rng.random(1))[0])
            if friend >= 0 and rng.random() < st.interest[friend, st.inf_topic[j]]:
                day.new_friend.append(friend)
                day.new_j.append(j)

    friends = model.ties.friends(f)
    for b in range(st.n_brands):
        if day.adopted0[b, f]:
            continue
        external = inp.own_p[b] * st.interest[f, st.category[b]]
        if beh.wom_q > 0:
            share = day.adopted0[b, friends].mean() if friends.size else 0.0
            if rng.random() < mech.adoption_hazard(external, beh.wom_q, share):
                day.own[b, f] = True
        elif external > 0 and rng.random() < external:
            day.own[b, f] = True
        if beh.wom_p > 0:
            for _ in range(int(day.new_adopted0[b, friends].sum())):
                if rng.random() < beh.wom_p:
                    day.wom[b, f] = True


def step_reference(model, inp: DayInputs) -> DayResult:
    """One day, one follower at a time (:func:`step_follower`), simultaneous activation.

    The test oracle and the teaching version: Python loops over followers in index order,
    the same mechanism functions. Each follower reads the start-of-day state and writes only
    its own rows; adoptions and new follow edges are staged in a :class:`FollowerDay` and
    applied together.
    """
    st = model.state
    e = st.edges
    res = _empty(st.n_influencers, st.n_brands)
    active = np.flatnonzero(e.active[: e.n])
    order = active[np.argsort(e.src[active], kind="stable")]
    starts = np.searchsorted(e.src[order], np.arange(st.n_followers + 1))
    new_adopted0 = np.zeros_like(st.adopted)
    new_adopted0[st.new_b, st.new_f] = True
    day = FollowerDay(
        inp=inp,
        res=res,
        order=order,
        starts=starts,
        adopted0=st.adopted.copy(),
        new_adopted0=new_adopted0,
        pairs=[],
        own=np.zeros_like(st.adopted),
        wom=np.zeros_like(st.adopted),
        new_friend=[],
        new_j=[],
    )
    for f in range(st.n_followers):  # all read the same start-of-day snapshot
        step_follower(model, f, day)
    if day.pairs:
        pf, pb, pj = (np.array(x, np.int64) for x in zip(*day.pairs, strict=True))
    else:
        pf = pb = pj = np.zeros(0, np.int64)
    res.adopt_via = np.bincount(pj, minlength=st.n_influencers)
    own_b, own_f = np.nonzero(day.own & ~day.adopted0)
    wom_b, wom_f = np.nonzero(day.wom & ~day.adopted0)
    _apply_adoptions(model, [(pf, pb), (own_f, own_b), (wom_f, wom_b)], res)
    if day.new_friend:
        _, j_new = _new_edges(
            model, np.array(day.new_friend, np.int64), np.array(day.new_j, np.int64), model.rng
        )
        res.follows = np.bincount(j_new, minlength=st.n_influencers)
    return res


ENGINES = {"vectorized": step_vectorized, "reference": step_reference}
