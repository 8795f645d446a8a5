"""The Dirac-GAN: the paper's four behaviours at the module's defaults, its gradients
against the closed forms, and the figure in both languages."""

import io
import math

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gankit.dirac import (
    DEFAULT_CASES,
    INSTANCE_NOISE,
    R1_GAMMA,
    dirac_figure,
    trajectory,
    vector_field,
)
from gankit.errors import ConfigError

START = (1.0, 1.0)
START_RADIUS = math.hypot(*START)


def radius(path: np.ndarray) -> np.ndarray:
    return np.hypot(path[:, 0], path[:, 1])


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t))


def test_simultaneous_spirals_outwards():
    path = trajectory(method="simultaneous")
    assert path.shape[1] == 2 and np.isfinite(path).all()
    assert radius(path)[-1] > 1.5 * START_RADIUS
    # With the minimax loss each simultaneous step adds lr^2 sigmoid(theta psi)^2
    # (psi^2 + theta^2 / 2) to theta^2 + 2 psi^2, which the continuous game conserves.
    energy = path[:, 0] ** 2 + 2 * path[:, 1] ** 2
    assert (np.diff(energy) > 0).all()


def test_alternating_circles_without_converging_or_escaping():
    r = radius(trajectory(method="alternating"))
    # The orbit theta^2 + 2 psi^2 = 3 through (1, 1) runs between radii 1.22 and 1.73.
    assert 1.0 < r.min() and r.max() < 2.0
    assert r[-1] > 0.1


def test_simultaneous_and_alternating_differ():
    simultaneous = trajectory(method="simultaneous")
    alternating = trajectory(method="alternating")
    assert np.array_equal(simultaneous[0], alternating[0])
    assert np.abs(simultaneous[-1] - alternating[-1]).max() > 0.5


@pytest.mark.parametrize("method", ["simultaneous", "alternating"])
def test_r1_converges(method):
    assert radius(trajectory(method=method, r1=R1_GAMMA))[-1] < 0.01


@pytest.mark.parametrize("method", ["simultaneous", "alternating"])
def test_instance_noise_converges(method):
    assert radius(trajectory(method=method, instance_noise=INSTANCE_NOISE))[-1] < 0.1


def test_gradients_match_the_closed_forms():
    """At (theta, psi) the game's gradients are known: with the minimax loss D's is
    theta sigmoid(theta psi) / 2 (BCE halves it by averaging over real and fake), G's is
    -psi sigmoid(theta psi); R1 adds gamma psi to D's; nonsaturating G has sigmoid(-theta psi)."""
    theta, psi, gamma = 0.7, -1.3, 2.0
    d_theta, d_psi = vector_field([theta], [psi], loss="minimax", r1=gamma)
    assert d_psi[0] == pytest.approx(-theta * sigmoid(theta * psi) / 2 - gamma * psi)
    assert d_theta[0] == pytest.approx(psi * sigmoid(theta * psi))
    d_theta, d_psi = vector_field(theta, psi, loss="nonsaturating")
    assert d_psi == pytest.approx(-theta * sigmoid(theta * psi) / 2)
    assert d_theta == pytest.approx(psi * sigmoid(-theta * psi))


def test_trajectory_takes_the_field_s_steps():
    path = trajectory(steps=2, lr=0.1, method="simultaneous", r1=1.0, start=(0.5, -0.4))
    d_theta, d_psi = vector_field(path[:2, 0], path[:2, 1], r1=1.0)
    assert np.allclose(path[1:], path[:2] + 0.1 * np.stack([d_theta, d_psi], axis=1))


def test_vector_field_keeps_the_mesh_shape():
    thetas, psis = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    d_theta, d_psi = vector_field(thetas, psis, instance_noise=0.5)
    assert d_theta.shape == d_psi.shape == (3, 4)
    assert np.isfinite(d_theta).all() and np.isfinite(d_psi).all()


def test_deterministic_for_a_seed_and_leaves_torch_s_stream_alone():
    state = torch.random.get_rng_state()
    first = trajectory(steps=50, instance_noise=0.5, seed=3)
    torch.manual_seed(123)  # the caller's stream must not matter
    assert np.array_equal(first, trajectory(steps=50, instance_noise=0.5, seed=3))
    assert not np.array_equal(first, trajectory(steps=50, instance_noise=0.5, seed=4))
    torch.random.set_rng_state(state)
    trajectory(steps=5, instance_noise=0.5)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("arguments, named", [
    ({"method": "adam"}, "simultaneous, alternating"),
    ({"steps": 0}, "steps"),
    ({"lr": -0.1}, "lr"),
    ({"r1": -1.0}, "r1"),
    ({"instance_noise": float("nan")}, "instance_noise"),
    ({"start": (1.0,)}, "start"),
    ({"loss": "wasserstein"}, "nonsaturating"),
])
def test_bad_arguments_are_refused(arguments, named):
    with pytest.raises(ConfigError, match=named) as caught:
        trajectory(**arguments)
    assert "\n" not in str(caught.value)


def test_figure_has_one_panel_per_case_and_renders():
    figure = dirac_figure()
    assert isinstance(figure, Figure) and isinstance(figure.canvas, FigureCanvasAgg)
    assert len(figure.axes) == len(DEFAULT_CASES)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0].startswith("simultaneous") and titles[1].startswith("alternating")
    assert "R1, γ = 1" in titles[2] and "instance noise, σ = 1" in titles[3]
    assert all(ax.get_xlabel().startswith("θ") and ax.get_ylabel().startswith("ψ")
               for ax in figure.axes)
    # The frame follows the outward spiral, which leaves [-2, 2].
    assert figure.axes[0].get_xlim()[1] > 2.5
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=40)
    assert png.getvalue().startswith(b"\x89PNG")


def test_figure_in_french():
    cases = [{"method": "simultaneous"}, {"method": "alternating", "instance_noise": 0.5}]
    figure = dirac_figure(cases, language="fr", steps=20)
    assert len(figure.axes) == 2
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0] == "mises à jour simultanées"
    assert titles[1] == "mises à jour alternées\n+ bruit d'instance, σ = 0,5"
    assert figure.axes[0].get_xlabel() == "θ (générateur)"
    labels = [text.get_text() for legend in figure.legends for text in legend.get_texts()]
    assert labels == ["départ", "arrivée", "équilibre"]
    assert "taux d'apprentissage 0,2" in figure.get_suptitle()


def test_figure_refuses_bad_cases():
    with pytest.raises(ConfigError, match="method"):
        dirac_figure([{"methode": "alternating"}])
    with pytest.raises(ConfigError, match="simultaneous, alternating"):
        dirac_figure([{"method": "both"}])
    with pytest.raises(ConfigError, match="language"):
        dirac_figure(language="de")
