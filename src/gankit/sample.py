"""Loading a trained generator and drawing images from it: grids, arrays, folders, GIFs;
scoring them (`gankit evaluate`). A lab run's points are drawn and scored by gankit.gan_lab."""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

from gankit import seeds
from gankit.atomic import replacing
from gankit.checkpoint import (
    Corrupt,
    checkpoint_step,
    discriminator_weights,
    export_step,
    generator_weights,
    load_checkpoint,
    read_export,
    saved_config,
)
from gankit.config import Config
from gankit.errors import GankitError, first_line, phrase
from gankit.images import make_grid, save_png, square_columns, to_uint8
from gankit.kinds import kind_of
from gankit.models import build_models, generate
from gankit.rundir import RunDir

# `sample` draws, converts and writes this many samples at a time, so that a large --n
# takes the memory of one batch: images as always, a lab run's points (2 numbers each) in
# larger batches. The batches are the same whatever the output, so a seed draws the same
# samples into an .npz, a folder or a grid.
IMAGE_BATCH = 1000
POINT_BATCH = 65_536
# The noise comes from one stream seeded by --seed, drawn this many numbers at a time, so
# that it too takes the memory of one block; up to one block (167,772 samples of a noise
# of 100 numbers), the samples are those of a single draw.
NOISE_VALUES = 2**24
# What `sample` needs beyond the samples themselves, for its estimates: a grid holds the
# images, the grid, and Pillow's copy of it; a GIF its frames, Pillow's copies and the
# encoder's (2.2 to 2.5 times the frames, measured).
GRID_COPIES = 2
GIF_COPIES = 3
# The cgroup (v2) whose memory limit `sample` and `evaluate` keep within.
CGROUP = Path("/sys/fs/cgroup")
PNG_OVERHEAD = 128  # bytes of a PNG file beyond its pixels: signature, chunks, checksums
# Frames of an interpolation GIF between two of its random points.
FRAMES_BETWEEN = 12


def load_generator(source: str | Path, device: str | torch.device = "cpu", raw: bool = False,
                   fallback: bool = False):
    """(generator in eval mode, config) from a run dir, a checkpoint or a .safetensors file.

    A run dir gives its final generator.safetensors, or checkpoints/last.pt while training.
    The EMA weights are used where a run kept them, unless `raw` asks for the trained ones.
    When a run dir's file is corrupt, the error names the newest intact checkpoint to fall
    back on (the export, last.pt and the epoch snapshots, newest first); `fallback` reads
    that one, and says so.
    """
    generator, config, _ = load_generator_from(source, device, raw, fallback)
    return generator, config


def load_generator_from(source: str | Path, device: str | torch.device = "cpu",
                        raw: bool = False, fallback: bool = False):
    """load_generator's (generator, config), and the file it read them from."""
    path = Path(source)
    if not path.is_dir():
        if fallback:
            raise GankitError(phrase("--fallback reads another checkpoint of a run dir: give "
                                     "the run dir, not {source}", source=source))
        generator, config = read_generator(path, raw, source)
        return generator.to(device).eval(), config, path
    run_dir = RunDir(path)
    path = generator_file(run_dir, raw)
    try:
        generator, config = read_generator(path, raw, source)
    except Corrupt as problem:
        others = ([] if raw else [run_dir.generator]) + [run_dir.last,
                                                          *run_dir.epoch_checkpoints()]
        steps = {p: step_of(p) for p in others if p != path and p.is_file()}
        for candidate in sorted(steps, key=lambda p: steps[p], reverse=True):
            try:
                generator, config = read_generator(candidate, raw, source)
            except GankitError:
                continue
            if not fallback:
                raise Corrupt(phrase("{problem}; the newest intact checkpoint to fall back on "
                                     "is {name} (step {step}): add --fallback to read it",
                                     problem=problem, name=candidate.name,
                                     step=steps[candidate])) from None
            print(phrase("gankit: {path} is corrupt: reading {name} (step {step}) instead",
                         path=path, name=candidate.name, step=steps[candidate]),
                  file=sys.stderr)
            path = candidate
            break
        else:
            raise
    return generator.to(device).eval(), config, path


def load_discriminator(source: str | Path, device: str | torch.device = "cpu"):
    """(discriminator in eval mode, config) from a run dir's checkpoints/last.pt or a .pt
    checkpoint (an export keeps the generator alone), its checksum verified."""
    path = Path(source)
    path = RunDir(path).last if path.is_dir() else path
    if not path.is_file() or path.suffix == ".safetensors":
        raise GankitError(phrase("no discriminator found at {source}: give a run dir with "
                                 "checkpoints/last.pt, or a .pt checkpoint", source=source))
    checkpoint = load_checkpoint(path)
    config = saved_config(checkpoint, str(path))
    _, discriminator = build_models(config, kind_of(config.dataset).sample_shape(config))
    discriminator.load_state_dict(discriminator_weights(checkpoint))
    return discriminator.to(device).eval(), config


def step_of(path: Path) -> int:
    """The step a run's checkpoint or export was saved at (-1 when it cannot tell)."""
    step = export_step(path) if path.suffix == ".safetensors" else checkpoint_step(path)
    return -1 if step is None else step


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
    generator, _ = build_models(config, kind_of(config.dataset).sample_shape(config))
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


def draw_images(generator, config: Config, out: Path, n: int, seed: int, label: int | None,
                interpolate: int | None) -> None:
    """`gankit sample` of an image run: n images as a grid (.png), an .npz or a folder of
    PNGs, of class `label` or all in turn; with `interpolate`, a GIF of n walks through
    that many random points."""
    if interpolate:
        check_room(out, n, config, keypoints=interpolate)
        write_gif(interpolation_frames(generator, n, interpolate, seed), out)
        return
    class_labels(generator, 1, label)  # a class the generator has, before any work
    labels = label_batches(generator, n, label)
    check_room(out, n, config, labelled=labels is not None)
    if out.suffix == ".png":
        write_samples(sample_images(generator, n, seed, label), out)
    else:
        shape = (config.image_size, config.image_size, config.channels)
        write_image_batches(sample_batches(generator, n, seed, label), out, n, shape, labels)


def score_images(source: Path, head: dict, loaded: tuple | None, n: int, seed: int,
                 metrics: list[str] | None, dataset: str | None, data_dir: str
                 ) -> tuple[dict, str]:
    """`gankit evaluate` of images: (results after `head`, their table) for an .npz's
    images or n drawn from the (generator, config) `loaded`; `metrics` None: all that
    apply."""
    from gankit.metrics import check_sample_count, evaluate, format_results, metric_names

    if loaded:
        check_sample_count(metric_names(metrics), n)
        check_evaluation_room(n, loaded[1])
    samples, labels, dataset = samples_to_score(source, n, seed, loaded, dataset)
    results = {**head, **evaluate(samples, dataset, metrics, data_dir, labels)}
    return results, format_results(results)


def sample_images(generator, n: int, seed: int = 0, labels: np.ndarray | None = None,
                  batch_size: int | None = None) -> np.ndarray:
    """n images as uint8 N x H x W x C, from noise seeded independently of training.

    A conditional generator draws the given class labels, or all classes in turn.
    """
    return np.concatenate(list(sample_batches(generator, n, seed, labels, batch_size)))


def sample_batches(generator, n: int, seed: int = 0, labels=None,
                   batch_size: int | None = None, points: bool = False) -> Iterator[np.ndarray]:
    """The n samples of `sample_images`, a batch at a time (IMAGE_BATCH by default), as
    uint8 images; with `points`, a lab run's float32 N x 2 points (POINT_BATCH)."""
    batch_size = batch_size or (POINT_BATCH if points else IMAGE_BATCH)
    device = next(generator.parameters()).device
    start = 0
    for noise in noise_batches(n, generator.latent_dim, seed, batch_size):
        classes = batch_classes(generator, start, start + len(noise), labels)
        fakes = generate(generator, noise.to(device),
                         None if classes is None else classes.to(device))
        yield fakes.float().cpu().numpy() if points else to_uint8(fakes)
        start += len(noise)


def noise_batches(n: int, latent_dim: int, seed: int, batch_size: int) -> Iterator[torch.Tensor]:
    """n standard normal noise vectors, `batch_size` at a time, from one stream seeded by
    `seed` and drawn NOISE_VALUES numbers at a time: the same vectors whatever the batch."""
    rng = seeds.generator("sample_noise", seed)
    block = max(1, NOISE_VALUES // latent_dim)
    pending, drawn = torch.empty(0, latent_dim), 0
    for start in range(0, n, batch_size):
        size = min(batch_size, n - start)
        while len(pending) < size:
            count = min(block, n - drawn)
            pending = torch.cat([pending, torch.randn(count, latent_dim, generator=rng)])
            drawn += count
        yield pending[:size]
        pending = pending[size:]


def batch_classes(generator, start: int, stop: int, labels=None) -> torch.Tensor | None:
    """The classes of samples start..stop-1 (see class_labels): `labels` is one class for
    all, n of them, or None for all classes in turn."""
    if labels is None:
        num_classes = getattr(generator, "num_classes", 0)
        return torch.arange(start, stop) % num_classes if num_classes else None
    if np.ndim(labels) == 0:
        return class_labels(generator, stop - start, labels)
    return class_labels(generator, stop - start, labels[start:stop])


def label_batches(generator, n: int, labels=None,
                  batch_size: int = IMAGE_BATCH) -> Iterator[np.ndarray] | None:
    """The classes of n samples as int64 arrays, a batch at a time; None when the
    generator is unconditional."""
    if batch_classes(generator, 0, min(n, 1), labels) is None:
        return None
    return (batch_classes(generator, start, min(start + batch_size, n), labels).numpy()
            for start in range(0, n, batch_size))


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
                         frames_between: int = FRAMES_BETWEEN) -> list[np.ndarray]:
    """Grids of `walks` images, each walking a closed loop through `keypoints` random
    latent points by spherical interpolation (Gaussian noise lives near a sphere)."""
    device = next(generator.parameters()).device
    rng = seeds.generator("interpolation", seed)
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


def write_npz(out: Path, n: int, arrays: dict[str, tuple[tuple[int, ...], np.dtype,
                                                         Iterable[np.ndarray]]]) -> None:
    """An .npz of arrays written a batch at a time, as np.savez_compressed would write
    them whole: each name's (shape of one row, dtype, batches of n rows in all). Written
    whole or not at all."""
    import zipfile

    with replacing(out) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED,
                                                      allowZip64=True) as archive:
        for name, (row, dtype, batches) in arrays.items():
            dtype = np.dtype(dtype)
            size = n * dtype.itemsize * int(np.prod(row))
            with archive.open(f"{name}.npy", "w", force_zip64=size > 2**31 - 2**20) as member:
                np.lib.format.write_array_header_1_0(member, {
                    "descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                    "shape": (n, *row)})
                rows = 0
                for batch in batches:
                    member.write(np.ascontiguousarray(batch, dtype).tobytes())
                    rows += len(batch)
                assert rows == n, f"{name}: {rows} rows written, {n} announced"


def write_image_batches(batches: Iterable[np.ndarray], out: Path, n: int,
                        shape: tuple[int, int, int], labels: Iterable[np.ndarray] | None = None
                        ) -> None:
    """The n uint8 H x W x C images of `batches` into an .npz ('images', and 'labels'
    when given) or a new folder of PNGs, a batch at a time; a folder that cannot be
    finished is removed."""
    if out.suffix == ".npz":
        height, width, channels = shape
        arrays = {"images": ((height, width) if channels == 1 else shape, np.uint8,
                             (b[..., 0] if channels == 1 else b for b in batches))}
        if labels is not None:
            arrays["labels"] = ((), np.int64, labels)
        write_npz(out, n, arrays)
        return
    made = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        i = 0
        for batch in batches:
            for image in batch:
                save_png(image, out / f"{i:06d}.png")
                i += 1
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


def check_room(out: Path, n: int, config: Config, keypoints: int | None = None,
               labelled: bool = False) -> None:
    """Refuse, from an estimate made before anything is drawn, an output of n images
    that would not fit: in memory, for what is made whole (a grid, a GIF of `keypoints`
    random points), or on disk (each output; an .npz counted uncompressed, with its int64
    labels when `labelled`). An .npz and a folder are written a batch at a time, and take
    the memory of one batch."""
    size = config.image_size**2 * config.channels  # bytes of one image
    grid = grid_bytes(n, config.image_size, config.channels)
    if keypoints:
        frames = keypoints * FRAMES_BETWEEN
        noise = keypoints * n * config.latent_dim * 4
        if short := beyond_memory(GIF_COPIES * frames * grid + noise):
            raise GankitError(phrase(
                "{frames:,} frames of {n:,} images each would need about {need} of memory, "
                "more than the {have} available: ask for fewer with --n or --interpolate",
                frames=frames, n=n, **short))
        disk = frames * grid // config.channels  # GIF: one byte a pixel
    elif out.suffix == ".png":
        if short := beyond_memory(n * size + GRID_COPIES * grid):
            raise GankitError(phrase(
                "a grid of {n:,} images would need about {need} of memory, more than the "
                "{have} available: draw fewer, or write them to an .npz or a folder, which "
                "sample writes a batch at a time", n=n, **short))
        disk = grid
    elif out.suffix == ".npz":
        disk = n * (size + (8 if labelled else 0))
    else:  # a folder of PNGs: each file takes whole blocks, and one inode
        found = _file_system(out.parent)
        block = (found.f_frsize if found else 0) or 4096
        disk = n * math.ceil((size + PNG_OVERHEAD) / block) * block
        if found and found.f_files and n > found.f_favail:
            raise GankitError(phrase(
                "{out} would hold {n:,} files, more than the {have:,} that its file system "
                "can still hold: draw fewer, or write them to an .npz", out=out, n=n,
                have=found.f_favail))
    check_disk(out, disk)


def check_disk(out: Path, disk: int) -> None:
    """Refuse an output that would take `disk` bytes, more than is free where it goes."""
    free = free_disk(out.parent)
    if free is not None and disk > free:
        raise GankitError(phrase("{out} would take up to {need} on disk, more than the {have} "
                                 "free there: draw fewer, or free some space", out=out,
                                 need=byte_size(disk), have=byte_size(free)))


def check_evaluation_room(n: int, config: Config) -> None:
    """Refuse, before drawing them, n images to evaluate that could not even be held in
    memory: a lower bound (the uint8 samples, twice while they are gathered; the metrics
    take more)."""
    check_memory_for(n, 2 * config.image_size**2 * config.channels)


def check_memory_for(n: int, per_sample: int) -> None:
    """Refuse n samples to evaluate that take `per_sample` bytes each, when the memory
    available cannot hold them."""
    if short := beyond_memory(n * per_sample):
        raise GankitError(phrase("--n {n:,} samples would need at least {need} of memory, more "
                                 "than the {have} available: evaluate fewer", n=n, **short))


def grid_bytes(n: int, side: int, channels: int, padding: int = 2) -> int:
    """The bytes of make_grid's grid of n images of side x side pixels."""
    columns = square_columns(n)
    rows = math.ceil(n / columns)
    return (rows * (side + padding) + padding) * (columns * (side + padding) + padding) * channels


def available_memory() -> int | None:
    """Bytes of memory this process can still take without swapping: Linux's
    MemAvailable (else the free pages), within the cgroup's limit when it sets one (its
    inactive page cache counted as free); None where the system does not say."""
    found = None
    try:
        with open("/proc/meminfo") as f:
            found = next(int(line.split()[1]) * 1024 for line in f
                         if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, OSError, ValueError):
            pass
    try:
        limit = (CGROUP / "memory.max").read_text().strip()
        used = int((CGROUP / "memory.current").read_text()) - _inactive_file()
        if limit != "max":
            found = min(found if found is not None else int(limit), int(limit) - used)
    except (OSError, ValueError):
        pass
    return found


def _inactive_file() -> int:
    """Bytes of the cgroup's page cache that the kernel reclaims first (memory.stat's
    inactive_file), counted in memory.current but free to take; 0 where unknown."""
    try:
        with open(CGROUP / "memory.stat") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("inactive_file "))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0


def free_disk(folder: Path) -> int | None:
    """Bytes free to this user on the file system of `folder` (None where unknown)."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def byte_size(count: int) -> str:
    """`count` bytes in the largest decimal unit below it, in the session's language
    (1.5 GB; 1,5 Go in French)."""
    for template, unit in (("{size:,.1f} TB", 10**12), ("{size:,.1f} GB", 10**9),
                           ("{size:,.1f} MB", 10**6), ("{size:,.1f} kB", 10**3)):
        if count >= unit:
            return phrase(template, size=count / unit)
    return phrase("{size:,} bytes", size=count)


def beyond_memory(need: int) -> dict[str, str]:
    """{"need": ..., "have": ...}, in words, when `need` bytes exceed the memory available;
    else an empty dict."""
    have = available_memory()
    if have is None or need <= have:
        return {}
    return {"need": byte_size(need), "have": byte_size(have)}


def _file_system(folder: Path):
    try:
        return os.statvfs(folder)
    except (OSError, AttributeError):
        return None
