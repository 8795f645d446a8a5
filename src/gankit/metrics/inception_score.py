"""Inception Score with the dataset's classifier: exp E_x[KL(p(y|x) || p(y))]."""

from __future__ import annotations

import numpy as np


def inception_score(probabilities: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """Mean and standard deviation over `splits` equal parts, as Salimans et al. 2016."""
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def inception_score_metric(ctx) -> dict:
    mean, std = inception_score(ctx.sample_probabilities)
    return {"inception_score": {"mean": mean, "std": std, "splits": 10}}
