"""Experiment: when do many micro influencers beat one celebrity? A map of the forces, by PRIM."""
