"""The feature networks of gankit's metrics: small CNN classifiers shipped as safetensors.

No Inception weights can be downloaded offline, so FID, IS, precision/recall and class
coverage are computed in the 128-d penultimate layer of a classifier trained on the
dataset itself by scripts/train_classifier.py.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gankit.errors import GankitError, phrase

CLASSIFIER_DIR = Path(str(resources.files("gankit") / "assets" / "classifiers"))
FEATURE_DIM = 128


class Classifier(nn.Module):
    """Five 3x3 conv layers with BatchNorm and three poolings, then 128 features and
    10 logits."""

    def __init__(self, num_classes: int = 10):
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True)]

        self.body = nn.Sequential(
            *block(1, 32), *block(32, 32), nn.MaxPool2d(2),  # 14 x 14
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2),  # 7 x 7
            *block(64, 128), nn.MaxPool2d(2), nn.Flatten(),  # 3 x 3
            nn.Linear(128 * 3 * 3, FEATURE_DIM), nn.ReLU(inplace=True),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, num_classes)
        # Set after training so that training-split features have unit mean variance per
        # dimension: FID then reads in comparable units across datasets.
        self.register_buffer("feature_scale", torch.tensor(1.0))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(features, logits) for images in [-1, 1], N x 1 x 28 x 28."""
        features = self.body(images)
        return features, self.head(self.dropout(features))


def classifier_path(dataset: str) -> Path:
    return CLASSIFIER_DIR / f"{dataset}.safetensors"


def load_classifier(dataset: str, device: torch.device | str = "cpu") -> Classifier:
    """The shipped classifier of `dataset` (mnist or fashion-mnist), in eval mode."""
    from safetensors.torch import load_file

    path = classifier_path(dataset)
    if not path.is_file():
        raise GankitError(phrase("no feature network for dataset {dataset!r}: metrics need "
                                 "mnist or fashion-mnist", dataset=dataset))
    # Its random initial weights are overwritten at once; drawing them from torch's global
    # generator would shift the noise and dropout masks of a run that evaluates as it trains.
    with torch.random.fork_rng(devices=[]):
        model = Classifier()
    model.load_state_dict(load_file(str(path)))
    return model.to(device).eval()


@torch.no_grad()
def classify(model: Classifier, images: np.ndarray, batch_size: int = 1000):
    """Scaled features (float64, N x 128) and class probabilities (float64, N x 10) of
    uint8 images, N x H x W or N x 1 x H x W."""
    device = next(model.parameters()).device
    tensor = torch.from_numpy(np.ascontiguousarray(images)).reshape(len(images), 1, 28, 28)
    features, probabilities = [], []
    for start in range(0, len(tensor), batch_size):
        batch = tensor[start : start + batch_size].to(device).float().div_(127.5).sub_(1.0)
        f, logits = model(batch)
        features.append((f * model.feature_scale).double().cpu())
        probabilities.append(torch.softmax(logits.double(), dim=1).cpu())
    return torch.cat(features).numpy(), torch.cat(probabilities).numpy()
