"""Agent-based simulation of the influencer-marketing market (brands, influencers, followers)."""

from .config import Config, ConfigError, load_config
from .model import MarketModel

__all__ = ["Config", "ConfigError", "MarketModel", "load_config"]
__version__ = "0.1.0"
