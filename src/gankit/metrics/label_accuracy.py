"""Does a conditional generator draw the class it is asked for?"""

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
    return {"label_accuracy": label_accuracy(ctx.sample_probabilities, ctx.sample_labels)}


def label_accuracy_rows(results: dict) -> list[tuple[str, str]]:
    if "label_accuracy" not in results:
        return []
    accuracy = results["label_accuracy"]
    per_class = " ".join("-" if a is None else f"{a:.3f}" for a in accuracy["per_class"])
    return [("label accuracy", f"{accuracy['mean']:.3f} (worst class {accuracy['min']:.3f})"),
            ("label accuracy per class", per_class)]
