"""Loading a trained generator and drawing images from it: grids, arrays, folders, GIFs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import torch

from gankit.atomic import replacing
from gankit.checkpoint import (
    Corrupt,
    checkpoint_step,
    export_step,
    generator_weights,
    load_checkpoint,
    read_export,
    saved_config,
)
from gankit.config import Config
from gankit.errors import GankitError, first_line, phrase
from gankit.images import make_grid, save_png, to_uint8
from gankit.models import build_models, generate
from gankit.rundir import RunDir
from gankit.toys import is_toy


def load_generator(source: str | Path, device: str | torch.device = "cpu", raw: bool = False,
                   fallback: bool = False):
    """(generator in eval mode, config) from a run dir, a checkpoint or a .safetensors file.

    A run dir gives its final generator.safetensors, or checkpoints/last.pt while training.
    The EMA weights are used where a run kept them, unless `raw` asks for the trained ones.
    When a run dir's file is corrupt, the error names the newest intact checkpoint after
    it (last.pt, then the epoch snapshots); `fallback` reads that one, and says so.
    """
    path = Path(source)
    if not path.is_dir():
        generator, config = read_generator(path, raw, source)
        return generator.to(device).eval(), config
    run_dir = RunDir(path)
    path = generator_file(run_dir, raw)
    try:
        generator, config = read_generator(path, raw, source)
    except Corrupt as problem:
        older = [run_dir.last] if path == run_dir.generator else []
        for candidate in [*older, *reversed(run_dir.epoch_checkpoints())]:
            try:
                generator, config = read_generator(candidate, raw, source)
            except GankitError:
                continue
            step = checkpoint_step(candidate)
            if not fallback:
                raise Corrupt(phrase("{problem}; the newest intact checkpoint is {name} (step "
                                     "{step}): add --fallback to read it", problem=problem,
                                     name=candidate.name, step=step)) from None
            print(phrase("gankit: {path} is corrupt: reading {name} (step {step}) instead",
                         path=path, name=candidate.name, step=step), file=sys.stderr)
            break
        else:
            raise
    return generator.to(device).eval(), config


def read_generator(path: Path, raw: bool, source: str | Path):
    """(generator, config) from one checkpoint or export."""
    if not path.is_file():
        raise GankitError(phrase("no generator found at {source} (expected a run dir, a .pt "
                                 "checkpoint or a .safetensors file)", source=source))
    if path.suffix == ".safetensors":
        if raw:
            raise GankitError(phrase("{path} holds one set of weights; --raw needs a checkpoint",
                                     path=path))
        weights, config = read_export(path)
    else:
        checkpoint = load_checkpoint(path)
        weights = generator_weights(checkpoint, raw)
        config = saved_config(checkpoint, str(path))
    generator, _ = build_models(config, data_shape(config))
    try:
        generator.load_state_dict(weights)
    except RuntimeError as e:
        raise GankitError(phrase("{path}: weights do not match its configuration ({error})",
                                 path=path, error=first_line(e))) from None
    return generator, config


def generator_file(run_dir: RunDir, raw: bool) -> Path:
    """A run's generator.safetensors, unless `raw` asks for the trained weights, there is
    none, or it is older than checkpoints/last.pt (a crash before the export was
    rewritten): then last.pt, and a line on stderr says why."""
    if raw or not run_dir.generator.is_file():
        return run_dir.last
    exported = export_step(run_dir.generator)
    saved = checkpoint_step(run_dir.last) if run_dir.last.is_file() else None
    if exported is not None and saved is not None and saved > exported:
        print(phrase("gankit: {export} is from step {exported}, older than {last} (step "
                     "{saved}): sampling from last.pt", export=run_dir.generator,
                     exported=exported, last=run_dir.last, saved=saved), file=sys.stderr)
        return run_dir.last
    return run_dir.generator


def data_shape(config: Config) -> tuple[int, ...]:
    """The shape of one image (C x H x W), or of one point (2) for the lab's toys."""
    return (2,) if is_toy(config.dataset) else (config.channels, config.image_size,
                                                 config.image_size)


def sample_images(generator, n: int, seed: int = 0, labels: np.ndarray | None = None,
                  batch_size: int = 1000) -> np.ndarray:
    """n images as uint8 N x H x W x C, from noise seeded independently of training.

    A conditional generator draws the given class labels, or all classes in turn.
    """
    device = next(generator.parameters()).device
    noise = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    classes = class_labels(generator, n, labels)
    parts = []
    for start in range(0, n, batch_size):
        chunk_labels = None if classes is None else classes[start : start + batch_size].to(device)
        chunk = noise[start : start + batch_size].to(device)
        parts.append(to_uint8(generate(generator, chunk, chunk_labels)))
    return np.concatenate(parts)


def class_labels(generator, n: int, labels=None) -> torch.Tensor | None:
    """Labels for n samples of a conditional generator (None for an unconditional one):
    the given ones, or 0, 1, ..., C-1, 0, 1, ... so that every class appears equally."""
    num_classes = getattr(generator, "num_classes", 0)
    if labels is None:
        return torch.arange(n) % num_classes if num_classes else None
    if not num_classes:
        raise GankitError(phrase("--label needs a conditional generator (trained with "
                                 "--conditional)"))
    labels = torch.as_tensor(np.broadcast_to(labels, (n,)).copy(), dtype=torch.int64)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise GankitError(phrase("labels must be in 0..{last}", last=num_classes - 1))
    return labels


def interpolation_frames(generator, walks: int, keypoints: int, seed: int = 0,
                         frames_between: int = 12) -> list[np.ndarray]:
    """Grids of `walks` images, each walking a closed loop through `keypoints` random
    latent points by spherical interpolation (Gaussian noise lives near a sphere)."""
    device = next(generator.parameters()).device
    rng = torch.Generator().manual_seed(seed)
    points = torch.randn(keypoints, walks, generator.latent_dim, generator=rng)
    classes = class_labels(generator, walks)
    classes = None if classes is None else classes.to(device)
    frames = []
    for i in range(keypoints):
        start, end = points[i], points[(i + 1) % keypoints]
        for t in torch.arange(frames_between) / frames_between:
            z = _slerp(start, end, float(t)).to(device)
            frames.append(make_grid(to_uint8(generate(generator, z, classes))))
    return frames


def write_samples(images: np.ndarray, out: Path, labels: np.ndarray | None = None) -> None:
    """.png: one grid; .npz: arrays (images, labels); otherwise a new folder of PNGs.
    Each file is written whole or not at all; a folder that cannot be finished is
    removed."""
    if out.suffix == ".png":
        save_png(make_grid(images), out)
    elif out.suffix == ".npz":
        arrays = {"images": images[..., 0] if images.shape[-1] == 1 else images}
        if labels is not None:
            arrays["labels"] = labels
        with replacing(out) as temporary, open(temporary, "wb") as f:
            np.savez_compressed(f, **arrays)
    else:
        made = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
            for i, image in enumerate(images):
                save_png(image, out / f"{i:06d}.png")
        except BaseException:
            if made:
                shutil.rmtree(out, ignore_errors=True)
            raise


def write_gif(frames: list[np.ndarray], out: Path, frame_ms: int = 60) -> None:
    from PIL import Image

    pictures = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames]
    with replacing(out) as temporary:
        pictures[0].save(temporary, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=frame_ms, loop=0)


def _slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    cos = (a * b).sum(-1, keepdim=True) / (a.norm(dim=-1, keepdim=True) * b.norm(dim=-1,
                                                                             keepdim=True))
    omega = torch.acos(cos.clamp(-1 + 1e-7, 1 - 1e-7))
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def samples_to_score(source: Path, n: int, seed: int = 0, loaded: tuple | None = None,
                     dataset: str | None = None):
    """(uint8 samples, their classes or None, reference dataset) for `gankit evaluate`:
    an .npz's own images (and labels), or `n` drawn with `seed` from the (generator,
    config) `loaded` from `source`. The dataset is `dataset`, else the generator's own
    (mnist for an .npz)."""
    if loaded is None:
        samples, labels = read_samples(source)
        return samples, labels, dataset or "mnist"
    generator, config = loaded
    classes = class_labels(generator, n)
    samples = sample_images(generator, n, seed, classes)
    return samples, None if classes is None else classes.numpy(), dataset or config.dataset


def read_samples(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """The uint8 'images' (and 'labels', when present) of an .npz archive."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as archive:
            samples = archive["images"]
            labels = archive["labels"] if "labels" in archive else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        reason = (phrase("no array named 'images'") if isinstance(e, KeyError) else
                  phrase("not an .npz archive") if isinstance(e, (ValueError, zipfile.BadZipFile))
                  else e.strerror or str(e))
        raise GankitError(phrase("cannot read samples from {path}: {reason}", path=path,
                                 reason=reason)) from None
    return samples, labels
