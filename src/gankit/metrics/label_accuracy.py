"""Does a conditional generator draw the class it is asked for?

Each class's share is shown beside the classifier's own accuracy on that class's real
test images: a class the classifier confuses when real (Fashion-MNIST's shirts and
pullovers) cannot score higher when generated.
"""

from __future__ import annotations

import numpy as np


def label_accuracy(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Share of samples that the classifier assigns to their requested class, per class."""
    predicted = probabilities.argmax(1)
    classes = probabilities.shape[1]
    per_class = [float((predicted[labels == k] == k).mean()) if (labels == k).any() else None
                 for k in range(classes)]
    asked = [a for a in per_class if a is not None]
    return {"per_class": per_class, "min": min(asked), "mean": float((predicted == labels).mean())}


def label_accuracy_metric(ctx) -> dict:
    if ctx.sample_labels is None:
        return {}
    reference = ctx.reference
    real = label_accuracy(reference.probabilities, reference.labels)
    return {"label_accuracy": label_accuracy(ctx.sample_probabilities, ctx.sample_labels)
            | {"real_per_class": real["per_class"]}}


def label_accuracy_rows(results: dict) -> list[tuple[str, str]]:
    if "label_accuracy" not in results:
        return []
    accuracy = results["label_accuracy"]
    rows = [("label accuracy", f"{accuracy['mean']:.3f} (worst class {accuracy['min']:.3f})"),
            ("label accuracy per class", _per_class(accuracy["per_class"]))]
    if "real_per_class" in accuracy:  # absent from results saved before it was measured
        rows.append(("classifier on real test images, per class",
                     _per_class(accuracy["real_per_class"])))
    return rows


def _per_class(shares: list[float | None]) -> str:
    return " ".join("-" if a is None else f"{a:.3f}" for a in shares)
