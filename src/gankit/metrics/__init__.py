"""Sample-quality metrics, registered by name, computed against a dataset's test split.

FID, IS, precision/recall and class coverage use the features and predictions of
gankit's own classifier for the dataset (see gankit.features); the Parzen window
log-likelihood works on raw pixels, as Goodfellow et al. 2014 did.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from gankit.errors import GankitError, phrase
from gankit.features import classify, load_classifier
from gankit.metrics.coverage import coverage_metric, coverage_rows
from gankit.metrics.fid import fid, fid_rows
from gankit.metrics.inception_score import SPLITS, inception_score_metric, inception_score_rows
from gankit.metrics.label_accuracy import label_accuracy_metric, label_accuracy_rows
from gankit.metrics.parzen import parzen_metric, parzen_rows
from gankit.metrics.precision_recall import K, precision_recall_metric, precision_recall_rows


class Metric(NamedTuple):
    """A registered metric: its computation, the fewest samples it is defined for, and
    its results as (label, text) rows, which every table of results shows (none when the
    results do not hold it)."""

    compute: Callable[[EvalContext], dict]
    min_samples: int
    rows: Callable[[dict], list[tuple[str, str]]]


METRICS = {
    "fid": Metric(fid, 2, fid_rows),  # a covariance needs two points
    "inception_score": Metric(inception_score_metric, SPLITS, inception_score_rows),
    "precision_recall": Metric(precision_recall_metric, K + 1, precision_recall_rows),
    "coverage": Metric(coverage_metric, 1, coverage_rows),
    "parzen_ll": Metric(parzen_metric, 1, parzen_rows),
    "label_accuracy": Metric(label_accuracy_metric, 1, label_accuracy_rows),  # conditional only
}
# Names a user may give for metrics that are computed together.
ALIASES = {"is": "inception_score", "precision": "precision_recall", "recall": "precision_recall",
           "class_histogram": "coverage", "kl_to_uniform": "coverage", "parzen": "parzen_ll"}
VALIDATION_IMAGES = 10_000


def metric_names(requested: list[str] | None) -> list[str]:
    """Registry names for a user's list (aliases allowed); all metrics when None."""
    if not requested:
        return list(METRICS)
    names = []
    for name in requested:
        name = ALIASES.get(name, name)
        if name not in METRICS:
            known = ", ".join([*METRICS, *ALIASES])
            raise GankitError(phrase("unknown metric {name!r}; choose from {known}", name=name,
                                     known=known))
        if name not in names:
            names.append(name)
    return names


def check_sample_count(names: list[str], count: int) -> None:
    """Refuse fewer samples than a requested metric is defined for, naming it."""
    for name in names:
        if count < METRICS[name].min_samples:
            raise GankitError(phrase("{name} needs at least {least} samples, got {count}",
                                     name=name, least=METRICS[name].min_samples, count=count))


def result_rows(results: dict) -> list[tuple[str, str]]:
    """(label, text) rows for the metrics present in `results`, in registry order."""
    return [row for metric in METRICS.values() for row in metric.rows(results)]


def format_results(results: dict) -> str:
    """A readable table; every number says which features, reference and sample count."""
    rows = result_rows(results)
    width = max(len(label) for label, _ in rows) if rows else 0
    return "\n".join([f"{results['source']}: {results['samples']} samples vs "
                      f"{results['reference']}", f"features: {results['feature_network']}", "",
                      *(f"{label:{width}s}  {text}" for label, text in rows)])


def evaluate(samples: np.ndarray, dataset: str = "mnist", metrics: list[str] | None = None,
             data_dir: str = "", labels: np.ndarray | None = None) -> dict:
    """Score uint8 samples (N x 28 x 28, or N x 28 x 28 x 1) against `dataset`'s test split;
    `labels`, the classes a conditional generator was asked for, add label_accuracy."""
    samples = np.asarray(samples)
    names = metric_names(metrics)
    against = reference(dataset, data_dir)  # first: a dataset without a classifier says so
    if samples.dtype != np.uint8 or samples.reshape(len(samples), -1).shape[1] != 784:
        raise GankitError(phrase("samples must be uint8 28x28 grayscale images, got {dtype} "
                                 "{shape}", dtype=samples.dtype, shape=samples.shape))
    check_sample_count(names, len(samples))
    if labels is not None and len(labels) != len(samples):
        raise GankitError(phrase("{samples} samples but {labels} labels", samples=len(samples),
                                 labels=len(labels)))
    if metrics and "label_accuracy" in names and labels is None:
        raise GankitError(phrase("label_accuracy needs the classes the samples were drawn for: "
                                 "a conditional generator, or an .npz with 'labels'"))
    context = EvalContext(samples.reshape(len(samples), 28, 28), against,
                          None if labels is None else np.asarray(labels))
    results = {
        "dataset": dataset,
        "samples": len(samples),
        "reference": f"{dataset} test split ({len(context.reference.images)} images)",
        "feature_network": context.reference.network,
    }
    for name in names:
        results |= METRICS[name].compute(context)
    return results


@dataclass
class Reference:
    """What every evaluation against one dataset shares: computed once per process."""

    dataset: str
    images: np.ndarray  # test split, uint8 N x 28 x 28
    labels: np.ndarray  # their classes
    validation: np.ndarray  # last 10,000 training images, for Parzen's sigma
    classifier: object
    features: np.ndarray
    probabilities: np.ndarray

    @property
    def network(self) -> str:
        return f"gankit {self.dataset} classifier (128-d penultimate layer)"


@functools.lru_cache(maxsize=2)
def reference(dataset: str, data_dir: str = "") -> Reference:
    from gankit.data import load_images

    classifier = load_classifier(dataset)
    test = load_images(dataset, "test", data_dir)
    images = test.images[:, 0].numpy()
    validation = load_images(dataset, "train", data_dir).images[-VALIDATION_IMAGES:, 0].numpy()
    features, probabilities = classify(classifier, images)
    return Reference(dataset, images, test.labels.numpy(), validation, classifier, features,
                     probabilities)


class EvalContext:
    """Samples and their reference, with each derived array computed on first use."""

    def __init__(self, samples: np.ndarray, reference: Reference,
                 sample_labels: np.ndarray | None = None):
        self.samples = samples
        self.reference = reference
        self.sample_labels = sample_labels

    @functools.cached_property
    def _classified(self):
        return classify(self.reference.classifier, self.samples)

    @property
    def sample_features(self) -> np.ndarray:
        return self._classified[0]

    @property
    def sample_probabilities(self) -> np.ndarray:
        return self._classified[1]

    @property
    def reference_features(self) -> np.ndarray:
        return self.reference.features

    @property
    def sample_pixels(self) -> np.ndarray:
        return _unit_pixels(self.samples)

    @property
    def reference_pixels(self) -> np.ndarray:
        return _unit_pixels(self.reference.images)

    @property
    def validation_pixels(self) -> np.ndarray:
        return _unit_pixels(self.reference.validation)


def _unit_pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0
