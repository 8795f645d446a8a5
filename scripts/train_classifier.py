"""Train the feature network that gankit's metrics use, deterministically on the CPU.

    python scripts/train_classifier.py mnist
    python scripts/train_classifier.py fashion-mnist

Writes src/gankit/assets/classifiers/<dataset>.safetensors and prints test accuracy.
Training uses the train split only, with random shifts of up to 2 pixels, under bf16
autocast in channels-last layout (2.5x faster on this CPU); weights stay float32 and
the metrics run the network in float32.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, safe_open, save_file

from gankit.data import load_images
from gankit.features import Classifier, classifier_path, classify

EPOCHS = {"mnist": 8, "fashion-mnist": 15}


def shift(batch: torch.Tensor, generator: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Translate each image by up to max_shift pixels, padding with the background."""
    padded = F.pad(batch, [max_shift] * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2,), generator=generator).tolist()
    return padded[:, :, dy : dy + 28, dx : dx + 28]


def accuracy(model: Classifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), 1000):
            batch = images[start : start + 1000].float().div(127.5).sub(1)
            correct += (model(batch)[1].argmax(1) == labels[start : start + 1000]).sum().item()
    return correct / len(images)


def calibrate(model: Classifier, images: torch.Tensor) -> None:
    """Set feature_scale so that features of `images` have unit variance per dimension
    on average."""
    model.eval()
    model.feature_scale.fill_(1.0)
    features, _ = classify(model, images.numpy())
    variance = features.var(axis=0).mean()
    model.feature_scale.fill_(float(variance**-0.5))


def save(model: Classifier, dataset: str, test, epochs: int) -> None:
    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(weights, str(classifier_path(dataset)),
              metadata={"test_accuracy": f"{accuracy(model, test.images, test.labels):.4f}",
                        "epochs": str(epochs)})
    print(f"wrote {classifier_path(dataset)} (feature scale {model.feature_scale.item():.5f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=list(EPOCHS))
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--calibrate-only", action="store_true",
                        help="keep the shipped weights; only recompute their feature scale")
    args = parser.parse_args()
    epochs = args.epochs or EPOCHS[args.dataset]
    if args.calibrate_only:
        train, test = load_images(args.dataset, "train"), load_images(args.dataset, "test")
        model = Classifier()
        weights = load_file(str(classifier_path(args.dataset)))
        weights.setdefault("feature_scale", torch.tensor(1.0))
        model.load_state_dict(weights)
        calibrate(model, train.images)
        save(model, args.dataset, test, int(safe_metadata(args.dataset).get("epochs", epochs)))
        return

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    train, test = load_images(args.dataset, "train"), load_images(args.dataset, "test")
    model = Classifier().to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    steps_per_epoch = -(-len(train.images) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=epochs *
                                                   steps_per_epoch)
    generator = torch.Generator().manual_seed(0)
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train.images), generator=generator)
        for start in range(0, len(order), 128):
            index = order[start : start + 128]
            batch = shift(train.images[index].float().div(127.5).sub(1), generator)
            with torch.autocast("cpu", torch.bfloat16):
                logits = model(batch.contiguous(memory_format=torch.channels_last))[1]
            loss = F.cross_entropy(logits.float(), train.labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}/{epochs}: test accuracy "
              f"{accuracy(model, test.images, test.labels):.4f} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    calibrate(model, train.images)
    save(model, args.dataset, test, epochs)


def safe_metadata(dataset: str) -> dict:
    with safe_open(str(classifier_path(dataset)), "pt") as f:
        return f.metadata() or {}


if __name__ == "__main__":
    main()
