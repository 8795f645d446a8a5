"""Metrics checked against known values and orderings, not just that they run."""

import html
import json
import math

import numpy as np
import pytest
import scipy.ndimage
import torch

from gankit.cli import main
from gankit.data import FASHION_MNIST_DEBIAN_DIR
from gankit.errors import GankitError
from gankit.features import classify, load_classifier
from gankit.kinds import load_dataset
from gankit.metrics import evaluate, reference
from gankit.metrics.coverage import class_coverage
from gankit.metrics.fid import frechet_distance
from gankit.metrics.inception_score import inception_score
from gankit.metrics.parzen import (
    SIGMA_RANGE,
    log_likelihoods,
    parzen_log_likelihood,
    squared_distances,
)
from gankit.metrics.precision_recall import precision_recall


def classifier_accuracy(dataset):
    test = load_dataset(dataset, "test")
    _, probabilities = classify(load_classifier(dataset), test.images.numpy())
    return (probabilities.argmax(1) == test.labels.numpy()).mean()


def test_shipped_mnist_classifier_is_accurate():
    assert classifier_accuracy("mnist") >= 0.993


@pytest.mark.skipif(not FASHION_MNIST_DEBIAN_DIR.is_dir(), reason="needs dataset-fashion-mnist")
def test_shipped_fashion_mnist_classifier_is_accurate():
    assert classifier_accuracy("fashion-mnist") >= 0.91


@pytest.fixture(scope="module")
def mnist_reference():
    return reference("mnist")


def test_fid_of_two_halves_of_real_data_is_small(mnist_reference):
    features = mnist_reference.features
    assert frechet_distance(features[::2], features[1::2]) < 1


def test_fid_ranks_real_blurred_noised_uniform():
    train = load_dataset("mnist").images[:5000, 0].numpy()
    rng = np.random.default_rng(0)
    blurred = scipy.ndimage.gaussian_filter(train.astype(float), sigma=(0, 1.2, 1.2))
    noised = train + rng.normal(0, 100, train.shape)
    uniform = rng.integers(0, 256, train.shape)
    scores = [evaluate(np.clip(images, 0, 255).astype(np.uint8), "mnist", ["fid"])["fid"]
              for images in (train, blurred, noised, uniform)]
    assert scores == sorted(scores) and scores[0] < 2, scores


def test_frechet_distance_matches_the_closed_form_for_gaussians():
    rng = np.random.default_rng(0)
    std_a, std_b, shift = np.array([1.0, 2.0, 0.5]), np.array([1.5, 1.0, 0.5]), 3.0
    a = rng.normal(0, std_a, (200_000, 3))
    b = rng.normal(shift, std_b, (200_000, 3))
    expected = 3 * shift**2 + np.sum((std_a - std_b) ** 2)  # diagonal covariances commute
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.01)


def test_inception_score_of_real_test_data_is_high(mnist_reference):
    mean, std = inception_score(mnist_reference.probabilities)
    assert mean >= 9.5 and std < 0.2


def test_inception_score_bounds():
    confident_uniform = np.eye(10)[np.arange(1000) % 10]
    assert inception_score(confident_uniform)[0] == pytest.approx(10, rel=1e-6)
    assert inception_score(np.full((1000, 10), 0.1))[0] == pytest.approx(1, rel=1e-6)


def test_precision_and_recall_of_identical_sets_are_one(mnist_reference):
    features = mnist_reference.features[:3000]
    assert precision_recall(features, features) == (1.0, 1.0)


def test_precision_without_recall_for_a_collapsed_generator(mnist_reference):
    labels = load_dataset("mnist", "test").labels.numpy()
    ones = mnist_reference.features[labels == 1]
    precision, recall = precision_recall(mnist_reference.features, ones)
    assert precision > 0.9 and recall < 0.3


def test_one_digit_class_has_coverage_one():
    test = load_dataset("mnist", "test")
    sevens = test.images[test.labels == 7, 0].numpy()
    result = evaluate(sevens, "mnist", ["coverage"])
    assert result["coverage"] == 1
    assert result["kl_to_uniform"] == pytest.approx(math.log(10), abs=0.05)
    balanced = class_coverage(np.eye(10)[np.arange(1000) % 10])
    assert balanced["coverage"] == 10 and balanced["kl_to_uniform"] == pytest.approx(0)


def test_parzen_log_likelihood_matches_the_closed_form():
    centres = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    point = torch.tensor([[0.0, 0.0, 1.0]])
    sigma, dim = 0.5, 3
    # log( (N(x; c1) + N(x; c2)) / 2 ) with both squared distances known (1 and 2).
    expected = (math.log((math.exp(-1 / (2 * sigma**2)) + math.exp(-2 / (2 * sigma**2))) / 2)
                - dim / 2 * math.log(2 * math.pi * sigma**2))
    d2 = squared_distances(point, centres)
    assert d2.tolist() == [[1.0, 2.0]]
    assert log_likelihoods(d2, sigma, dim).item() == pytest.approx(expected, rel=1e-9)


def test_parzen_picks_the_generating_bandwidth():
    rng = np.random.default_rng(0)
    centres = rng.random((300, 5)).astype(np.float32)
    # Data drawn from the Parzen model itself with sigma 0.1: the chosen sigma is near it.
    def draw(n):
        return centres[rng.integers(0, 300, n)] + rng.normal(0, 0.1, (n, 5)).astype(np.float32)
    mean, sem, sigma, at_bound = parzen_log_likelihood(centres, draw(3000), draw(3000))
    assert sigma == pytest.approx(0.1, rel=0.15) and not at_bound
    assert 0 < sem < abs(mean)


def test_parzen_search_stops_at_its_bound_when_samples_copy_validation_images():
    # The validation images among the centres pull sigma towards 0 without end.
    rng = np.random.default_rng(0)
    validation = rng.random((200, 784)).astype(np.float32)
    centres = np.concatenate([validation, rng.random((100, 784)).astype(np.float32)])
    mean, sem, sigma, at_bound = parzen_log_likelihood(centres, validation, validation[:50])
    assert at_bound and sigma == pytest.approx(SIGMA_RANGE[0], rel=0.5)
    assert np.isfinite([mean, sem]).all()


def test_sample_npz_round_trips_through_evaluate(tmp_path, tiny_mnist, capsys):
    from gankit.config import Config
    from gankit.training import train

    run = train(Config(data_dir=str(tiny_mnist), run_dir=str(tmp_path / "run"), batch_size=32,
                       max_steps=10, device="cpu"), quiet=True)
    npz = tmp_path / "samples.npz"
    assert main(["sample", str(run), "--n", "500", "--out", str(npz)]) == 0
    with np.load(npz) as archive:
        assert archive["images"].shape == (500, 28, 28) and archive["images"].dtype == np.uint8
    capsys.readouterr()
    assert main(["evaluate", str(npz), "--metrics", "fid,coverage,precision", "--json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert from_file["samples"] == 500
    assert from_file["reference"] == "mnist test split (10000 images)"
    assert main(["evaluate", str(run), "--n", "500", "--metrics", "fid,coverage,precision",
                 "--json"]) == 0
    from_run = json.loads(capsys.readouterr().out)
    assert from_run["fid"] == pytest.approx(from_file["fid"])  # same seed, same samples
    logged = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert logged["event"] == "evaluate" and logged["fid"] == pytest.approx(from_run["fid"])


def test_label_accuracy_of_real_digits_with_their_labels():
    test = load_dataset("mnist", "test")
    images, labels = test.images[:2000, 0].numpy(), test.labels[:2000].numpy()
    right = evaluate(images, "mnist", ["label_accuracy"], labels=labels)["label_accuracy"]
    assert right["mean"] > 0.99 and right["min"] > 0.97 and len(right["per_class"]) == 10
    # Beside each class, the classifier's accuracy on that class's real test images.
    assert len(right["real_per_class"]) == 10 and min(right["real_per_class"]) > 0.97
    wrong = evaluate(images, "mnist", ["label_accuracy"], labels=(labels + 1) % 10)
    assert wrong["label_accuracy"]["mean"] < 0.02
    assert wrong["label_accuracy"]["real_per_class"] == right["real_per_class"]  # the test split's
    with pytest.raises(GankitError, match="label_accuracy needs the classes"):
        evaluate(images, "mnist", ["label_accuracy"])  # asked for, without labels
    assert "label_accuracy" not in evaluate(images[:20], "mnist", ["fid", "coverage"])


def test_every_table_shows_each_metric_as_its_registry_entry_says(tmp_path):
    from gankit.metrics import METRICS, format_results, result_rows
    from gankit.report import build_report

    results = {"source": "x.npz", "samples": 10, "reference": "mnist test split (10 images)",
               "feature_network": "gankit mnist classifier", "fid": 1.25,
               "inception_score": {"mean": 9.5, "std": 0.1, "splits": 10},
               "precision": 0.8, "recall": 0.7, "k": 3, "class_histogram": [1] * 10,
               "coverage": 10, "kl_to_uniform": 0.0,
               "parzen_ll": {"mean": 200.0, "sem": 2.0, "sigma": 0.2, "sigma_at_bound": False,
                             "validation": "last 10 training images"},
               "label_accuracy": {"per_class": [1.0] * 9 + [0.9], "min": 0.9, "mean": 0.99,
                                  "real_per_class": [0.99] * 10}}
    rows = result_rows(results)
    labels = [label for label, _ in rows]
    assert {"FID", "IS", "precision (k=3)", "recall (k=3)", "coverage", "Parzen LL",
            "label accuracy", "classifier on real test images, per class"} <= set(labels)
    assert len(rows) >= len(METRICS)

    printed = format_results(results)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text('preset = "seed"\n')
    (run / "metrics.jsonl").write_text(json.dumps({"event": "evaluate", **results}) + "\n")
    page = build_report(run).read_text()
    for label, text in rows:
        assert f"{label}  " in printed and text in printed
        assert html.escape(label) in page and html.escape(text) in page
