"""Mode collapse made visible: which classes the classifier sees in the samples."""

from __future__ import annotations

import numpy as np


def class_coverage(probabilities: np.ndarray, min_share: float = 0.01) -> dict:
    """Histogram of predicted classes, how many hold at least `min_share` of the samples,
    and the KL divergence of the histogram from uniform (0 when balanced)."""
    classes = probabilities.shape[1]
    histogram = np.bincount(probabilities.argmax(1), minlength=classes)
    shares = histogram / histogram.sum()
    nonzero = shares > 0
    kl = float(np.sum(shares[nonzero] * np.log(shares[nonzero] * classes)))
    return {"class_histogram": histogram.tolist(),
            "coverage": int((shares >= min_share).sum()),
            "kl_to_uniform": kl}


def coverage_metric(ctx) -> dict:
    return class_coverage(ctx.sample_probabilities)


def coverage_rows(results: dict) -> list[tuple[str, str]]:
    if "coverage" not in results:
        return []
    classes = len(results["class_histogram"])
    return [("coverage", f"{results['coverage']}/{classes} classes with ≥ 1 % of the samples"),
            ("KL to uniform", f"{results['kl_to_uniform']:.4f}"),
            ("class histogram", " ".join(map(str, results["class_histogram"])))]
