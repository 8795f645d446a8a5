"""gankit: train, sample and evaluate GANs on image data."""

from gankit.config import Config, resolve_config
from gankit.errors import GankitError
from gankit.train import train

__all__ = ["Config", "GankitError", "resolve_config", "train"]
__version__ = "0.1.0"
