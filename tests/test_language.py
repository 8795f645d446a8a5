"""A run speaks the notebook's language: its messages, the panel and the charts, in English
or French, with numbers written as each language writes them."""

import os
import re
import signal

import numpy as np
import pytest

from gankit.config import Config
from gankit.errors import ConfigError, Interrupted
from gankit.images import make_grid
from gankit.language import NARROW_NBSP, NBSP, number, percent, say
from gankit.report import line_chart, nice_ticks, training_charts
from gankit.training import train


@pytest.mark.parametrize(("value", "language", "decimals", "written"), [
    (1_486_352, "en", None, "1,486,352"),
    (1_486_352, "fr", None, f"1{NARROW_NBSP}486{NARROW_NBSP}352"),
    (0.66123, "fr", None, "0,6612"),
    (26.14, "fr", 1, "26,1"),
    (2e-4, "fr", None, "0,0002"),
    (12345.678, "en", 2, "12,345.68"),
    (12345.5, "en", None, "12,346"),  # no exponent: not 1.235e+04
    (2e-5, "fr", None, "0,00002"),
    (-0.0001, "en", 2, "0.00"),  # not -0.00
    (float("nan"), "fr", None, "nan"),
])
def test_numbers_as_each_language_writes_them(value, language, decimals, written):
    assert number(value, language, decimals) == written


def test_percent_takes_a_no_break_space_in_french():
    assert percent(0.5, "en") == "50%"
    assert percent(1.0, "fr") == f"100{NBSP}%"


def test_every_message_exists_in_every_language_with_the_same_fields():
    from gankit.language import MESSAGES

    fields = {language: {key: set(re.findall(r"{(\w+)}", text)) for key, text in texts.items()}
              for language, texts in MESSAGES.items()}
    assert fields["fr"] == fields["en"]


def test_a_run_speaks_french_and_keeps_the_original_status_lines(tiny_mnist, capsys):
    config = Config(data_dir=str(tiny_mnist), run_dir=str(tiny_mnist / "run"), batch_size=50,
                    max_steps=4, log_every=2, device="cpu")
    train(config, display="terminal", language="fr")
    printed = capsys.readouterr().out
    assert (f"gankit{NBSP}: entraînement du préréglage seed sur MNIST (300 images, lots de 50, "
            "6 lots par époque) sur le processeur (cpu)") in printed
    assert f"gankit{NBSP}: 4 itérations en " in printed and " par époque)" in printed
    # The notebook's three lines stay as the original printed them.
    assert "Epoch: [0/50], Batch Num: [2/6]\nDiscriminator Loss: " in printed
    assert "training" not in printed and "steps in" not in printed


def test_the_command_line_speaks_french(tiny_mnist, capsys):
    from gankit.cli import main

    assert main(["train", "--data-dir", str(tiny_mnist), "--run-dir", str(tiny_mnist / "run"),
                 "--max-steps", "2", "--device", "cpu", "--language", "fr"]) == 0
    assert f"gankit{NBSP}: 2 itérations en " in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--language", "de"])
    assert "invalid choice: 'de'" in capsys.readouterr().err


def test_an_unknown_language_is_refused(tiny_mnist):
    config = Config(data_dir=str(tiny_mnist), run_dir=str(tiny_mnist / "run"), max_steps=1,
                    device="cpu")
    with pytest.raises(ConfigError, match="language must be one of en, fr"):
        train(config, quiet=True, language="de")
    assert not (tiny_mnist / "run").exists()


def test_an_interrupt_ends_in_the_run_language_and_resumes_in_it(tiny_mnist):
    """Ctrl-C (here SIGINT sent by the loop itself) ends a French run with its one line in
    French, and the hint it gives resumes the run in French."""
    import gankit

    config = Config(data_dir=str(tiny_mnist), run_dir=str(tiny_mnist / "run"), batch_size=50,
                    device="cpu")
    data = gankit.load_dataset("mnist", data_dir=str(tiny_mnist))
    generator, discriminator = gankit.build_models(config, data.image_shape)
    opt_g, opt_d = (gankit.make_optimizer(m, config) for m in (generator, discriminator))
    loss = gankit.get_loss(config.loss)
    with pytest.raises(Interrupted) as stopped:
        with gankit.Run(config, data, generator, discriminator, opt_g, opt_d, quiet=True,
                        language="fr") as run:
            for real, _ in run.batches():
                d = gankit.discriminator_step(run.nets, opt_d, loss, real)
                run.log(d, gankit.generator_step(run.nets, opt_g, loss, len(real)))
                if run.step == 2:
                    os.kill(os.getpid(), signal.SIGINT)
    [line] = stopped.value._render_traceback_()
    last = tiny_mnist / "run" / "checkpoints" / "last.pt"
    assert line == (f"gankit{NBSP}: interrompu à l'itération 2{NARROW_NBSP}; sauvegardé dans "
                    f"{last}. "
                    f"Pour reprendre{NBSP}: gankit.train(config, resume="
                    f"{str(tiny_mnist / 'run')!r}, language='fr')")
    assert stopped.value.resume_hint().endswith(" --language fr")


def test_the_panel_speaks_french(monkeypatch):
    import IPython.display

    from gankit.panel import LivePanel

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj)

    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id: Handle())
    panel = LivePanel("run", total_steps=200, language="fr")
    panel.progress(20, say("fr", "epoch", epoch=0, epochs=50))
    for step in range(1, 200, 20):
        panel.status("Epoch: [...]", {"step": step, "d_loss": 0.5, "g_loss": 1.5, "d_x": 0.75,
                                      "d_g_z": 0.25})
    panel.grid(b"\x89PNG", 20)
    page = shown[-1]._repr_html_()
    for french in ("itération 20/200, époque 0/50", f"écoulé{NBSP}:", "Pertes", "perte de D",
                   "Sorties du discriminateur", "bruit fixe, itération 20",
                   "échantillons à l&#x27;itération 20"):
        assert french in page, french
    for english in ("step", "elapsed", "Losses", "D loss", "fixed noise", "epoch"):
        assert not re.search(rf"\b{english}\b", page), english
    assert repr(shown[-1]).startswith("run: itération 20/200, époque 0/50")


def test_chart_ticks_are_round_numbers():
    assert nice_ticks(0.661, 0.681, 4) == [0.66, 0.67, 0.68, 0.69]
    assert nice_ticks(0, 23_450, 6, whole=True) == [0, 5000, 10000, 15000, 20000, 25000]
    assert nice_ticks(1, 1, 6, whole=True) == [0, 1, 2]  # one point: a span around it
    assert nice_ticks(1, 2, 6, whole=True) == [1, 2]  # steps are whole numbers
    assert nice_ticks(0, 12, 6, whole=True) == [0, 5, 10, 15]  # never 2.5 steps
    chart = line_chart([("D loss", "#000", [(1, 0.661), (2, 0.671), (3, 0.681)])], language="fr")
    labels = re.findall(r">([^<>]+)</text>", chart)
    assert {"0,660", "0,665", "0,670", "0,675", "0,680", "itération"} <= set(labels)
    quarters = re.findall(r">([^<>]+)</text>", line_chart([("x", "#000", [(0, 0), (1, 10)])]))
    assert {"2.5", "7.5"} <= set(quarters)  # not rounded to 2 and 8


def test_a_chart_of_tiny_or_missing_values_draws_without_error():
    assert "<polyline" in line_chart([("D loss", "#000", [(1, 1e-15), (2, 3e-13)])])
    assert line_chart([("D loss", "#000", [(1, float("nan"))])], language="fr") == \
        "<p>Aucune valeur finie.</p>"


def test_short_curves_mark_their_points_and_long_ones_do_not():
    few = [{"step": s, "d_loss": 1.0, "g_loss": 2.0, "d_x": 0.5, "d_g_z": 0.4} for s in range(9)]
    many = [{**r, "step": s} for s in range(100) for r in few[:1]]
    (_, losses), (_, outputs) = training_charts(few)
    assert losses.count("<circle") == 2 * 9 and outputs.count("<circle") == 2 * 9
    assert all("<circle" not in chart for _, chart in training_charts(many))
    assert [title for title, _ in training_charts(few, language="fr")] == [
        "Pertes", "Sorties du discriminateur"]


@pytest.mark.parametrize(("count", "shape"), [(32, (4, 8)), (64, (8, 8)), (100, (10, 10)),
                                              (36, (6, 6)), (7, (3, 3))])
def test_grids_leave_no_empty_cell_when_they_can(count, shape):
    images = np.full((count, 2, 2, 1), 255, np.uint8)
    grid = make_grid(images, padding=0)
    assert grid.shape[:2] == (shape[0] * 2, shape[1] * 2)
    if count == shape[0] * shape[1]:
        assert grid.min() == 255
