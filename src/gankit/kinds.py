"""The kinds of data gankit trains on, images and the lab's 2-D points: the one place
that tells a dataset's kind from its name, and what each kind brings to the modules
below the loop (loading, checks, a sample's shape, the architectures that fit it).

The modules above the loop key their own registries by a kind's `name` (the schedules
in gankit.schedule, the CLI's samplers and evaluators). The lab's parts live in the
lab's own modules (toys, frames, gan_lab); no other module asks whether a dataset is a
toy. (A `points:FILE` dataset is still read as a path where paths are handled, as
`folder:PATH` is: made absolute by gankit.resolve, checked for UTF-8 by gankit.config,
shortened for a run dir's name by gankit.data.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from gankit.config import Config
from gankit.data import ImageData, check_images, load_images
from gankit.errors import phrase
from gankit.toys import TOY_NAMES, Points, check_lab_config, is_toy, load_points


@dataclass(frozen=True)
class Kind:
    name: str  # "images" or "points": the key of the registries above the loop
    command: str  # the CLI command that trains it; a resume hint names it
    architectures: tuple[str, ...]  # gankit.models' ARCHITECTURES that build for it
    load: Callable[[str, str, str, int, int], ImageData | Points]
    check: Callable[[Config], None]  # what a config of this kind cannot ask
    sample_shape: Callable[[Config], tuple[int, ...]]
    wrong_architecture: Callable[[Config], str]  # the refusal of another architecture
    draws_frames: bool  # its samples are lab frames: drawn wide, with their own curves


def check_image_config(config: Config) -> None:
    check_images(config.dataset, config.image_size, config.channels, config.conditional,
                 others=TOY_NAMES)


KINDS = {
    "images": Kind(
        name="images", command="train", architectures=("mlp", "dcgan"),
        load=functools.partial(load_images, others=TOY_NAMES),
        check=check_image_config,
        sample_shape=lambda config: (config.channels, config.image_size, config.image_size),
        wrong_architecture=lambda config: phrase(
            "--arch toy is for the lab's 2-D points; use mlp or dcgan for images"),
        draws_frames=False),
    "points": Kind(
        name="points", command="lab", architectures=("toy",),
        load=lambda dataset, split, *_: load_points(dataset, split), check=check_lab_config,
        sample_shape=lambda config: (2,),
        wrong_architecture=lambda config: phrase(
            "{dataset} is 2-D points, which only --arch toy trains on: gankit lab --toy "
            "{dataset}", dataset=config.dataset),
        draws_frames=True),
}


def kind_of(dataset: str) -> Kind:
    """The kind of the dataset a config names (an unknown name is left to the image
    datasets to refuse: their refusal lists every kind's names)."""
    return KINDS["points" if is_toy(dataset) else "images"]


def load_dataset(dataset: str, split: str = "train", data_dir: str = "", image_size: int = 28,
                 channels: int = 1) -> ImageData | Points:
    """Load a dataset by name: mnist, fashion-mnist, folder:PATH (images), or a lab toy or
    points:FILE (2-D points)."""
    return kind_of(dataset).load(dataset, split, data_dir, image_size, channels)
