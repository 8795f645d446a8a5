"""gankit: train, sample and evaluate GANs on image data, and on 2-D points in the lab.

The blocks below `train` are public, so that a notebook can write the loop itself:
`load_dataset`, `build_models`, `make_optimizer`, `get_loss`, `discriminator_step`,
`generator_step` and `Run` (see the README's "Writing your own loop").

Names are imported on first use, so that `gankit --help` answers without loading torch.
(The loop lives in gankit.training: a submodule named `train` would replace the function
`gankit.train` as soon as it was imported.)
"""

import importlib

_HOMES = {
    "cluster_images": "gankit.clusters",
    "Config": "gankit.config", "resolve_config": "gankit.resolve",
    "load_dataset": "gankit.kinds",
    "GankitError": "gankit.errors",
    "get_loss": "gankit.losses",
    "set_language": "gankit.language",
    "html_image": "gankit.inline", "described": "gankit.inline",
    "Lab": "gankit.gan_lab", "lab": "gankit.gan_lab", "lab_animation": "gankit.gan_lab",
    "lab_metrics": "gankit.gan_lab", "lab_player": "gankit.lab_controls",
    "dirac_figure": "gankit.dirac",
    "evaluate": "gankit.metrics", "exercises": "gankit.exercises",
    "build_models": "gankit.models", "count_parameters": "gankit.models",
    "Resume": "gankit.checkpoint", "Run": "gankit.run",
    "load_discriminator": "gankit.sample", "load_generator": "gankit.sample",
    "sample_images": "gankit.sample",
    "Networks": "gankit.steps", "discriminator_step": "gankit.steps",
    "generator_step": "gankit.steps", "make_optimizer": "gankit.steps",
    "train": "gankit.training",
}
__all__ = sorted(_HOMES)
__version__ = "0.1.0"


def __getattr__(name: str):
    """A name of _HOMES from its module, or the module itself when the name is one
    (gankit.exercises)."""
    if name not in _HOMES:
        raise AttributeError(f"module 'gankit' has no attribute {name!r}")
    module = importlib.import_module(_HOMES[name])
    return module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
