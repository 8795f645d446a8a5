import gzip
import os
import socket
import sys
import warnings

import numpy as np
import pytest
import torch

from gankit.data import (
    BUNDLED_MNIST_DIR,
    FASHION_MNIST_DEBIAN_DIR,
    batch_order,
    iterate_batches,
    read_idx,
)
from gankit.errors import ConfigError, DataError
from gankit.kinds import load_dataset
from tests.conftest import write_idx


def test_idx_round_trip_raw_and_gzip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for compress in (False, True):
        path = write_idx(tmp_path / f"a{compress}", array, compress)
        np.testing.assert_array_equal(read_idx(path), array)


def test_idx_truncated_is_refused(tmp_path):
    path = write_idx(tmp_path / "x", np.zeros((5, 4, 4), np.uint8))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def test_idx_trailing_bytes_are_refused(tmp_path):
    path = write_idx(tmp_path / "x", np.zeros((5,), np.uint8))
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DataError, match="trailing"):
        read_idx(path)


def test_idx_wrong_magic_is_refused(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(path)


def test_idx_truncated_gzip_is_refused(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 9]) + bytes(9))[:-6])
    with pytest.raises(DataError, match="gzip"):
        read_idx(path)


def test_bundled_mnist_loads_without_network():
    train = load_dataset("mnist")
    assert train.images.shape == (60000, 1, 28, 28) and train.images.dtype == torch.uint8
    assert train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert torch.bincount(train.labels).tolist()[:3] == [5923, 6742, 5958]
    assert abs(train.images.float().mean().item() / 255 - 0.1307) < 1e-3
    test = load_dataset("mnist", "test")
    assert test.images.shape == (10000, 1, 28, 28)
    assert (BUNDLED_MNIST_DIR / "README.md").is_file()  # provenance and licence ship too


def test_image_label_count_mismatch_is_refused(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((10, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((9,), np.uint8))
    with pytest.raises(DataError, match="10 images but 9 labels"):
        load_dataset("mnist", data_dir=str(tmp_path))


def test_missing_files_and_dirs_are_refused(tmp_path):
    with pytest.raises(DataError, match="no train-images"):
        load_dataset("mnist", data_dir=str(tmp_path))
    with pytest.raises(DataError, match="not found"):
        load_dataset("mnist", data_dir=str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="unknown dataset"):
        load_dataset("cifar")


def test_batch_order_is_a_function_of_seed_and_epoch():
    assert torch.equal(batch_order(1000, 0, 3), batch_order(1000, 0, 3))
    assert not torch.equal(batch_order(1000, 0, 3), batch_order(1000, 0, 4))
    assert not torch.equal(batch_order(1000, 0, 3), batch_order(1000, 1, 3))


def test_batches_cover_the_epoch_once_scaled_to_minus_one_one():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1) * 25
    batches = [b for b, _ in iterate_batches(images, batch_size=4, seed=0, epoch=0)]
    assert [len(b) for b in batches] == [4, 4, 2]  # the notebook keeps the partial batch
    values = torch.cat(batches).flatten()
    expected = images.float().flatten() / 127.5 - 1
    assert torch.allclose(values.sort().values, expected.sort().values)
    resumed = [b for b, _ in iterate_batches(images, batch_size=4, seed=0, epoch=0, start=1)]
    assert torch.equal(torch.cat(resumed), torch.cat(batches[1:]))
    labels = torch.arange(10)
    for batch, batch_labels in iterate_batches(images, 4, 0, 0, labels=labels):
        assert torch.equal(batch_labels * 25, ((batch.flatten() + 1) * 127.5).round().long())


def test_image_folder_grayscale_and_rgb(tmp_path, capsys):
    from PIL import Image

    rng = np.random.default_rng(0)
    (tmp_path / "sub").mkdir()
    for i, size in enumerate([(40, 30), (16, 16), (64, 80)]):
        pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / ("sub" if i else ".") / f"im{i}.png")
    Image.fromarray(rng.integers(0, 256, (20, 20), dtype=np.uint8)).save(tmp_path / "g.jpg")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")

    gray = load_dataset(f"folder:{tmp_path}", image_size=24, channels=1)
    assert gray.images.shape == (4, 1, 24, 24) and gray.labels is None
    assert "skipped 1 unreadable" in capsys.readouterr().err
    rgb = load_dataset(f"folder:{tmp_path}", image_size=8, channels=3)
    assert rgb.images.shape == (4, 3, 8, 8)


def test_image_folder_without_readable_images_is_refused(tmp_path):
    with pytest.raises(DataError, match="no .png or .jpg"):
        load_dataset(f"folder:{tmp_path}")
    (tmp_path / "a.png").write_bytes(b"junk")
    with pytest.raises(DataError, match="none of its 1 image files"):
        load_dataset(f"folder:{tmp_path}")


def test_image_folder_scales_16_bit_grayscale_to_8_bits(tmp_path):
    from PIL import Image

    for name, value in (("black", 0), ("grey", 32768), ("white", 65535)):
        Image.fromarray(np.full((8, 8), value, np.uint16)).save(tmp_path / f"{name}.png")
    assert Image.open(tmp_path / "grey.png").mode in {"I;16", "I"}  # "I" before Pillow 10.3
    for channels in (1, 3):
        images = load_dataset(f"folder:{tmp_path}", image_size=4, channels=channels).images
        assert images.shape == (3, channels, 4, 4)
        # black, grey, white in sorted order: 32768 / 257 = 127.5, rounded up
        assert [set(image.flatten().tolist()) for image in images] == [{0}, {128}, {255}]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFOs and sockets")
def test_image_folder_reads_only_regular_files(tmp_path, monkeypatch, capsys):
    from PIL import Image

    Image.fromarray(np.full((8, 8), 200, np.uint8)).save(tmp_path / "real.png")
    (tmp_path / "link.png").symlink_to(tmp_path / "real.png")  # a link to an image is read
    os.mkfifo(tmp_path / "fifo.png")  # opening it would wait for a writer forever
    (tmp_path / "dangling.png").symlink_to(tmp_path / "missing.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "folder.png").mkdir()
    monkeypatch.chdir(tmp_path)  # a socket's path has a short length limit
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("socket.png")
        data = load_dataset(f"folder:{tmp_path}", image_size=8)
    assert data.images.shape == (2, 1, 8, 8) and set(data.images.flatten().tolist()) == {200}
    assert capsys.readouterr().err == ""


def test_image_folder_skips_images_over_pillow_limit(tmp_path, monkeypatch, capsys):
    from PIL import Image

    # Pillow refuses an image over twice MAX_IMAGE_PIXELS, and warns above it.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for side in (16, 40, 50):  # 256 pixels, 1,600 (a warning) and 2,500 (refused)
        Image.fromarray(np.zeros((side, side), np.uint8)).save(tmp_path / f"{side}.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor one DecompressionBombWarning per image
        data = load_dataset(f"folder:{tmp_path}", image_size=8)
    assert data.images.shape == (2, 1, 8, 8)
    assert capsys.readouterr().err.splitlines() == [
        f"gankit: skipped 1 unreadable image file(s) in {tmp_path}",
        f"gankit: skipped 1 image(s) larger than Pillow's limit of 2,000 pixels in {tmp_path}",
    ]
    for name in ("16.png", "40.png", "broken.png"):
        (tmp_path / name).unlink()
    with pytest.raises(DataError, match="none of its 1 image files .*Pillow's limit"):
        load_dataset(f"folder:{tmp_path}", image_size=8)


def test_image_folder_decodes_large_jpegs_at_reduced_scale(tmp_path, monkeypatch):
    from PIL import Image, ImageFile

    Image.fromarray(np.full((800, 640, 3), 90, np.uint8)).save(tmp_path / "big.jpg")
    decoded_sizes = set()
    load = ImageFile.ImageFile.load

    def recording_load(image):
        decoded_sizes.add(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    for channels in (1, 3):
        data = load_dataset(f"folder:{tmp_path}", image_size=28, channels=channels)
        assert data.images.shape == (1, channels, 28, 28)
        assert abs(data.images.float().mean().item() - 90) < 2
    assert decoded_sizes == {(80, 100)}  # 1/8 scale, the most that still covers 28 x 28


def test_image_folder_averages_palette_and_1_bit_images_like_grayscale(tmp_path):
    from PIL import Image

    stripes = Image.fromarray(np.tile(np.array([0, 255], np.uint8), (60, 30)))  # 60 x 60
    modes = ("L", "1", "P", "LA", "RGB", "RGBA")
    for mode in modes:
        (tmp_path / mode).mkdir()
        stripes.convert(mode).save(tmp_path / mode / "stripes.png")
    for channels in (1, 3):
        loaded = [load_dataset(f"folder:{tmp_path / mode}", image_size=8,
                               channels=channels).images for mode in modes]
        for mode, images in zip(modes, loaded, strict=True):
            assert torch.equal(images, loaded[0]), mode
        assert loaded[0].min() > 60 and loaded[0].max() < 195  # averaged, not sampled


needs_fashion = pytest.mark.skipif(
    not FASHION_MNIST_DEBIAN_DIR.is_dir(), reason="Debian's dataset-fashion-mnist not installed"
)


@needs_fashion
def test_fashion_mnist_from_debian_package():
    data = load_dataset("fashion-mnist", "test")
    assert data.images.shape == (10000, 1, 28, 28)
    assert torch.bincount(data.labels).tolist() == [1000] * 10


@needs_fashion
def test_fashion_mnist_download_verifies_sha256(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for file in FASHION_MNIST_DEBIAN_DIR.glob("*.gz"):
        (mirror / file.name).write_bytes(file.read_bytes())
    monkeypatch.setenv("GANKIT_FASHION_MNIST_MIRROR", mirror.as_uri() + "/")
    target = tmp_path / "fmnist"
    target.mkdir()
    assert load_dataset("fashion-mnist", "test", data_dir=str(target)).images.shape[0] == 10000
    assert sorted(os.listdir(target)) == sorted(p.name for p in mirror.iterdir())

    # A tampered mirror: the download is refused and nothing is left behind.
    labels = mirror / "train-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(raw)))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="sha256 mismatch"):
        load_dataset("fashion-mnist", data_dir=str(empty))
    assert "train-labels-idx1-ubyte.gz" not in os.listdir(empty)
    assert not [p for p in os.listdir(empty) if ".part" in p]
