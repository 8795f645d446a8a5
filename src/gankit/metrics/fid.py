"""Fréchet distance between Gaussian fits of two feature sets (Heusel et al. 2017)."""

from __future__ import annotations

import numpy as np


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2), in float64.

    Tr((S_a S_b)^1/2) is taken as the sum of square roots of the eigenvalues of the
    symmetric S_a^1/2 S_b S_a^1/2, which has the same spectrum and, unlike a general
    matrix square root, stays real and stable when a covariance is singular (feature
    dimensions that a ReLU keeps at zero).
    """
    mu_a, mu_b = features_a.mean(0), features_b.mean(0)
    cov_a = np.atleast_2d(np.cov(features_a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(features_b, rowvar=False))
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def fid(ctx) -> dict:
    return {"fid": frechet_distance(ctx.sample_features, ctx.reference_features)}


def fid_rows(results: dict) -> list[tuple[str, str]]:
    if "fid" not in results:
        return []
    return [("FID", f"{results['fid']:.3f}")]
