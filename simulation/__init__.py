"""Agent-based simulation of the influencer-marketing market (brands, influencers, followers)."""

from importlib import metadata as _metadata

from .config import Config, ConfigError, load_config
from .model import MarketModel

__all__ = ["Config", "ConfigError", "MarketModel", "load_config"]

try:
    # pyproject.toml holds the version; the installed package's metadata carries it here,
    # to `influencer-sim --version` and to every manifest (outputs.package_versions).
    __version__ = _metadata.version("influencer-sim")
except _metadata.PackageNotFoundError:  # pragma: no cover (imported from a bare checkout)
    __version__ = "0+unknown"
