"""gankit: train, sample and evaluate GANs on image data.

The blocks below `train` are public, so that a notebook can write the loop itself:
`load_dataset`, `build_models`, `make_optimizer`, `get_loss`, `discriminator_step`,
`generator_step` and `Run` (see the README's "Writing your own loop").
"""

from gankit.config import Config, resolve_config
from gankit.data import load_dataset
from gankit.errors import GankitError
from gankit.losses import get_loss
from gankit.metrics import evaluate
from gankit.models import build_models, count_parameters
from gankit.run import Resume, Run
from gankit.sample import load_generator, sample_images
from gankit.steps import Networks, discriminator_step, generator_step, make_optimizer
from gankit.train import train

__all__ = ["Config", "GankitError", "Networks", "Resume", "Run", "build_models",
           "count_parameters", "discriminator_step", "evaluate", "generator_step", "get_loss",
           "load_dataset", "load_generator", "make_optimizer", "resolve_config",
           "sample_images", "train"]
__version__ = "0.1.0"
