"""Everything gankit prints or draws is French when the language is: the panel's status
lines, the lab's settings, the numbers on every figure's axes, the alt text of its
images, one word for a training step (« itération »), and one session language that
Run, Lab and the figures default to."""

import json
import re

import numpy as np
import pytest

from gankit.config import Config
from gankit.language import MESSAGES, NBSP, current_language, say, set_language

DIGIT_POINT_DIGIT = re.compile(r"\d\.\d")


@pytest.fixture
def french_session():
    """The session's language set to French, and put back after the test."""
    before = current_language()
    set_language("fr")
    yield
    set_language(before)


def test_the_panel_shows_the_status_lines_in_french_and_the_terminal_the_original(
        tmp_path, monkeypatch, capsys):
    import IPython.display

    from gankit.rundir import RunDir
    from gankit.runlog import RunLog

    class Handle:
        def update(self, obj):
            pass

    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id: Handle())
    stats = {"d_loss": 1.2345, "g_loss": 0.6789, "d_x": 0.9812, "d_g_z": 0.1934}
    timing = {"ms_per_step": 3.25, "peak_memory_gib": 1.5}
    shown = {}
    for display in ("notebook", "terminal"):
        (tmp_path / display).mkdir()
        log = RunLog(RunDir(tmp_path / display), Config(), 469, 1000, display=display,
                     language="fr")
        log.open(0.0)
        log.start_epoch(0)
        log.status(0, 100, 101, stats, timing)
        log.close()
        shown[display] = log.panel.status_text if log.panel else capsys.readouterr().out
    assert shown["notebook"] == (
        f"Époque{NBSP}: [0/50], lot{NBSP}: [100/469]\n"
        f"Perte du discriminateur{NBSP}: 1,2345, perte du générateur{NBSP}: 0,6789\n"
        f"D(x){NBSP}: 0,9812, D(G(z)){NBSP}: 0,1934\n"
        f"Durée d'une itération{NBSP}: 3,25{NBSP}ms, pic de mémoire GPU{NBSP}: 1,50{NBSP}Gio")
    # The terminal prints the original notebook's lines, in a French run too.
    assert shown["terminal"] == ("Epoch: [0/50], Batch Num: [100/469]\n"
                                 "Discriminator Loss: 1.2345, Generator Loss: 0.6789\n"
                                 "D(x): 0.9812, D(G(z)): 0.1934\n"
                                 "Step: 3.25 ms, peak GPU memory: 1.50 GiB\n")
    # metrics.jsonl records the same numbers, whatever the display and the language.
    records = [json.loads((tmp_path / display / "metrics.jsonl").read_text())
               for display in ("notebook", "terminal")]
    assert records[0] | {"time_s": 0} == records[1] | {"time_s": 0}
    assert {k: records[0][k] for k in stats} == stats


def test_the_settings_line_names_loss_optimizer_and_schedule_in_french():
    from gankit.frames import settings_line
    from gankit.language import NAMES
    from gankit.losses import LOSSES
    from gankit.resolve import resolve_config
    from gankit.steps import LR_SCHEDULES, OPTIMIZERS

    config = resolve_config("lab", overrides={"loss": "hinge", "optimizer": "sgd", "r1": 1.5,
                                              "lr_schedule": "linear", "n_critic": 2})
    assert settings_line(config, "fr") == (
        "ring8, perte charnière (hinge), descente de gradient (SGD), taux d'apprentissage de G "
        "0,002 et de D 0,002, 2 mises à jour de D pour 1 de G, lots de 512, R1 γ = 1,5, "
        f"taux{NBSP}: décroissance linéaire vers 0")
    assert settings_line(config, "en").startswith("ring8, hinge loss, G lr 0.002, D lr 0.002 (SGD)")
    assert "1 mise à jour de D pour 1 de G" in settings_line(
        resolve_config("lab", overrides={"loss": "nonsaturating"}), "fr")
    # Every registered name has its French one: a new loss cannot slip through in English.
    for kind, registry in (("loss", LOSSES), ("optimizer", OPTIMIZERS),
                           ("schedule", LR_SCHEDULES)):
        assert set(NAMES["fr"][kind]) == set(registry), kind
    assert NAMES["fr"]["loss"]["nonsaturating"] == "non saturante"
    assert NAMES["fr"]["loss"]["lsgan"] == "moindres carrés (LSGAN)"


def tick_labels(figure) -> list[str]:
    """Every tick label of every axis of `figure`, as drawn."""
    figure.canvas.draw()
    return [label.get_text() for axes in figure.axes
            for label in (*axes.get_xticklabels(), *axes.get_yticklabels())
            if label.get_text()]


def test_every_tick_of_a_french_lab_frame_has_a_decimal_comma():
    from gankit.frames import frame_figure, look, settings_line
    from gankit.gan_lab import Lab

    lab = Lab(display="none", seed=0, language="fr", loss="hinge")  # a critic: ticks ±0,x
    lab.step(d=2, g=1, repeat=3)
    frames = lab.frames
    view = look(lab.nets.generator, lab.nets.discriminator, frames.loss, frames.toy,
                frames.real, frames.noise)
    figure = frame_figure(view, lab.logged, 6, settings_line(lab.config, "fr"), frames.toy,
                          "fr")
    labels = tick_labels(figure)
    assert len(figure.axes) == 5  # the plane, its colour bar, G's map, the curves, their twin
    assert [label for label in labels if DIGIT_POINT_DIGIT.search(label)] == []
    assert any("," in label for label in labels)  # decimals there are, written with a comma
    assert not DIGIT_POINT_DIGIT.search(figure.get_suptitle())


def test_every_tick_of_the_french_dirac_figure_has_a_decimal_comma():
    from gankit.dirac import dirac_figure

    figure = dirac_figure([{"method": "simultaneous"}, {"method": "alternating",
                                                        "loss": "hinge"}], language="fr",
                          steps=20)
    labels = tick_labels(figure)
    assert [label for label in labels if DIGIT_POINT_DIGIT.search(label)] == []
    assert any("," in label for label in labels)
    assert "20 itérations de descente de gradient" in figure.get_suptitle()
    assert figure.axes[1].get_title().endswith(f"perte «{NBSP}charnière (hinge){NBSP}»")


def negation(sentence: str, at: int) -> bool:
    """Whether the « pas » at `at` in `sentence` is the negation's (« ne … pas », « n'a
    pas », « mais pas »), not a noun for a step."""
    before = sentence[:at]
    return bool(re.search(r"\b(ne|n')", before) or re.search(r"\b(mais|non)\s+$", before))


def french_texts() -> dict[str, str]:
    from gankit.dirac import WORDS

    return {**MESSAGES["fr"], **{f"dirac {key}": text for key, text in WORDS["fr"].items()}}


def test_french_calls_a_training_step_an_iteration_and_a_rate_a_learning_rate():
    # « pas » is French's negation only: the scan tells one from the other.
    assert negation("report.html n'a pas été mis à jour", 14)
    assert negation("continue de près, mais pas à l'identique", 23)
    assert not negation("reprise du préréglage seed au pas 120", 27)
    assert not negation("1 pas de D par pas de G", 2)
    for key, text in french_texts().items():
        for sentence in re.split(r"[.;:!?]", text):
            for found in re.finditer(r"\bpas\b", sentence):
                assert negation(sentence, found.start()), (key, text)
        assert not re.search(r"\btaux de [GD]\b", text), (key, text)
    assert say("fr", "step") == "itération"
    assert say("fr", "resume", preset="seed", step=120, dataset="MNIST", images="60 000",
               kind="images", batching="lots de 64", per_epoch=938, device="le GPU cuda:0",
               run_dir="runs/x").startswith(f"gankit{NBSP}: reprise du préréglage seed à "
                                            "l'itération 120 sur MNIST")
    from gankit.language import say_count

    values = {"seconds": "1,0", "per_epoch": "2,0", "run_dir": "runs/x"}
    assert f"{NBSP}: 1 itération en " in say_count("fr", "end", 1, steps="1", **values)
    assert f"{NBSP}: 2 itérations en " in say_count("fr", "end", 2, steps="2", **values)
    assert "gankit: 1 step in " in say_count("en", "end", 1, steps="1", **values)
    assert "gankit: 0 steps in " in say_count("en", "end", 0, steps="0", **values)


def test_french_images_carry_french_alt_text(tmp_path, monkeypatch):
    import IPython.display
    from PIL import Image

    from gankit.gan_lab import Lab, lab_animation
    from gankit.panel import LivePanel

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj._repr_html_())

    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id: Handle())
    panel = LivePanel("run", total_steps=200, language="fr", lab=True)
    panel.grid(b"\x89PNG", 20)
    [alt] = re.findall(r'<img [^>]*alt="([^"]*)"', shown[-1])
    assert alt.startswith("Le labo à l&#x27;itération 20")
    (tmp_path / "samples").mkdir()
    for step in (10, 20):
        Image.fromarray(np.full((8, 16, 3), step, np.uint8)).save(
            tmp_path / "samples" / f"step_{step:07d}.png")
    movie = lab_animation(tmp_path, width=16, language="fr")
    [alt] = re.findall(r'<img [^>]*alt="([^"]*)"', movie._repr_html_())
    assert alt == f"L&#x27;entraînement du labo {tmp_path.name}, image par image"
    assert repr(movie).startswith(f"<animation de {tmp_path.name}{NBSP}:")
    picture = Lab(display="none", language="fr").picture()
    assert picture.alt.startswith("Le labo à l'itération 0")
    assert 'alt="Le labo à l&#x27;itération 0' in picture._repr_html_()


def test_set_language_makes_run_lab_and_figures_default_to_french(french_session, tiny_mnist,
                                                                   capsys):
    import gankit
    from gankit.dirac import dirac_figure

    config = Config(data_dir=str(tiny_mnist), run_dir=str(tiny_mnist / "run"), batch_size=50,
                    max_steps=2, log_every=1, device="cpu")
    data = gankit.load_dataset("mnist", data_dir=str(tiny_mnist))
    generator, discriminator = gankit.build_models(config, data.image_shape)
    opt_g, opt_d = (gankit.make_optimizer(m, config) for m in (generator, discriminator))
    loss = gankit.get_loss(config.loss)
    with gankit.Run(config, data, generator, discriminator, opt_g, opt_d,
                    display="terminal") as run:
        for real, _ in run.batches():
            d = gankit.discriminator_step(run.nets, opt_d, loss, real)
            run.log(d, gankit.generator_step(run.nets, opt_g, loss, len(real)))
    printed = capsys.readouterr().out
    assert run.language == "fr"
    assert (f"gankit{NBSP}: entraînement du préréglage seed sur MNIST (300 images, lots de 50, "
            "6 lots par époque) sur le processeur (cpu)") in printed
    assert f"gankit{NBSP}: 2 itérations en " in printed
    assert "Epoch: [0/50], Batch Num: [1/6]\nDiscriminator Loss: " in printed  # the original's
    lab = gankit.Lab(display="none")
    assert lab.language == "fr" and lab.picture().caption.startswith("mises à jour jusqu'ici")
    assert dirac_figure([{"method": "alternating"}], steps=5).axes[0].get_title() == \
        "mises à jour alternées"
    assert gankit.Lab(display="none", language="en").language == "en"  # explicit wins
