"""Inception Score with the dataset's classifier: exp E_x[KL(p(y|x) || p(y))]."""

from __future__ import annotations

import numpy as np

SPLITS = 10  # as Salimans et al. 2016; each split needs a sample at least


def inception_score(probabilities: np.ndarray, splits: int = SPLITS) -> tuple[float, float]:
    """Mean and standard deviation over `splits` equal parts, as Salimans et al. 2016."""
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def inception_score_metric(ctx) -> dict:
    mean, std = inception_score(ctx.sample_probabilities)
    return {"inception_score": {"mean": mean, "std": std, "splits": SPLITS}}


def inception_score_rows(results: dict) -> list[tuple[str, str]]:
    if "inception_score" not in results:
        return []
    score = results["inception_score"]
    return [("IS", f"{score['mean']:.2f} ± {score['std']:.2f} ({score['splits']} splits)")]
