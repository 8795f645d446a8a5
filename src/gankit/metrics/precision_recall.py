"""Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN feature manifolds."""

from __future__ import annotations

import numpy as np
import torch

CHUNK = 2000
K = 3  # neighbours that set each point's radius; the samples need K + 1 points


def knn_radii(features: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point."""
    radii = []
    for chunk in features.split(CHUNK):
        distances = torch.cdist(chunk, features)
        radii.append(distances.topk(k + 1, dim=1, largest=False).values[:, k])  # 0 is itself
    return torch.cat(radii)


def inside_manifold(queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor):
    """For each query, whether it lies within some point's k-NN ball."""
    inside = []
    for chunk in queries.split(CHUNK):
        inside.append((torch.cdist(chunk, points) <= radii[None, :]).any(dim=1))
    return torch.cat(inside)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    real_t, fake_t = torch.from_numpy(real).float(), torch.from_numpy(fake).float()
    precision = inside_manifold(fake_t, real_t, knn_radii(real_t, k)).double().mean()
    recall = inside_manifold(real_t, fake_t, knn_radii(fake_t, k)).double().mean()
    return float(precision), float(recall)


def precision_recall_metric(ctx) -> dict:
    precision, recall = precision_recall(ctx.reference_features, ctx.sample_features, K)
    return {"precision": precision, "recall": recall, "k": K}


def precision_recall_rows(results: dict) -> list[tuple[str, str]]:
    if "precision" not in results:
        return []
    k = results.get("k", K)
    return [(f"precision (k={k})", f"{results['precision']:.3f}"),
            (f"recall (k={k})", f"{results['recall']:.3f}")]
