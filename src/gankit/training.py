"""The training loop: the notebook's algorithm, built from gankit's blocks.

The tutorial notebook writes this same loop out in a cell; everything around the
algorithm (device, run dir, logs, checkpoints, resume, the live panel) is the Run's.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from gankit import distributed, seeds
from gankit.checkpoint import Resume
from gankit.clusters import cluster_images
from gankit.config import Config
from gankit.kinds import kind_of, load_dataset
from gankit.language import resolve_language
from gankit.losses import get_loss
from gankit.models import build_models
from gankit.resolve import check_config
from gankit.run import Run
from gankit.steps import discriminator_step, generator_step, make_optimizer


def train(config: Config, quiet: bool = False, resume: str | Path | Resume | None = None,
          overwrite: bool = False, display: str = "auto",
          language: str | None = None) -> Path:
    """Train a GAN as `config` says, or continue the run in `resume`; return the run dir.

    `overwrite` lets a new run replace an earlier gankit run in `config.run_dir`;
    `display` is "terminal", "notebook" (a live panel), "none" or "auto" (the panel in
    Jupyter);
    `language` ("en" or "fr"; None: the session's, see gankit.set_language) that of the
    messages and the panel. Under torchrun it joins the process group and leaves it at
    the end, after every rank is done.
    """
    started = time.perf_counter()  # the run's time counts loading the data and the k-means
    language = resolve_language(language)  # before minutes of data loading and k-means
    point = Resume.load(resume) if isinstance(resume, (str, Path)) else resume
    # A Config built by hand gets the checks that resolve_config makes.
    config = point.check(config) if point else check_config(config)
    distributed.start(config.device)  # under torchrun, join before the data: one rank downloads
    try:
        run_dir = train_loop(config, point, quiet, overwrite, display, language, started)
    except BaseException as e:
        lost = distributed.lost_contact(e, kind_of(config.dataset).command)
        distributed.stop()
        if lost:
            raise lost from None
        raise
    distributed.stop(finished=True)
    return run_dir


def train_loop(config: Config, point: Resume | None, quiet: bool, overwrite: bool,
               display: str, language: str, started: float) -> Path:
    """The notebook's algorithm over gankit's blocks: load, build, loop."""
    data = load_dataset(config.dataset, "train", config.data_dir, config.image_size,
                        config.channels)
    if config.conditional:
        config = dataclasses.replace(config, num_classes=data.num_classes)
    if config.clusters:  # self-conditioning: k-means clusters of the images stand in for labels
        data = cluster_images(data, config.clusters, config.seed)
    seeds.seed_global("weights", config.seed)
    generator, discriminator = build_models(config, data.sample_shape)
    opt_g = make_optimizer(generator, config, "g")
    opt_d = make_optimizer(discriminator, config, "d")
    loss = get_loss(config.loss)

    with Run(config, data, generator, discriminator, opt_g, opt_d, resume=point,
             overwrite=overwrite, quiet=quiet, display=display,
             setup_time_s=time.perf_counter() - started, language=language) as run:
        for real, labels in run.batches():
            d = discriminator_step(run.nets, opt_d, loss, real, labels, config.precision,
                                   run.r1_weight, config.aux_classifier)
            g = (generator_step(run.nets, opt_g, loss, len(real), config.precision,
                                config.aux_classifier) if run.generator_turn else None)
            run.log(d, g)
    return run.dir.root
