"""gankit: train, sample and evaluate GANs on image data."""

from gankit.config import Config, resolve_config
from gankit.errors import GankitError
from gankit.metrics import evaluate
from gankit.sample import load_generator, sample_images
from gankit.train import train

__all__ = ["Config", "GankitError", "evaluate", "load_generator", "resolve_config",
           "sample_images", "train"]
__version__ = "0.1.0"
