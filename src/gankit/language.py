"""What a run says, in the language of the notebook that runs it: English or French.

A registry of message templates by language, the names of gankit's settings as each
language says them, and numbers written the way each language writes them. The
notebook's three status lines are here too: English keeps them exactly as the original
printed them (the terminal always shows those), French gives the panel its own.
"""

from __future__ import annotations

import math

from gankit.errors import ConfigError, phrase
from gankit.wording import NARROW_NBSP, NBSP, current_language, numeral, use_language

MESSAGES = {
    "en": {
        "start": "gankit: training {preset} on {dataset} ({images} {kind}, {batching}, "
                 "{per_epoch} batches/epoch) on {device}; run dir {run_dir}",
        "resume": "gankit: resuming at step {step} {preset} on {dataset} ({images} {kind}, "
                  "{batching}, {per_epoch} batches/epoch) on {device}; run dir {run_dir}",
        "batch": "batch {size}",
        "batch_ranks": "batch {size} x {ranks} ranks = {total} global",
        "device_cpu": "{device}", "device_gpu": "{device}",
        "no_time": "gankit: this checkpoint predates time keeping: the run's training time "
                   "will count this session only",
        "fallback": "gankit: resuming from {source} (step {step}), last.pt being corrupt or "
                    "missing: an epoch snapshot keeps no optimizer state or random streams, "
                    "so these start afresh, and training goes on close to, not exactly as, "
                    "an uninterrupted run",
        "cuda_streams": "gankit: restored the random streams of {restored} of the {saved} "
                        "CUDA devices the run was saved on ({present} here); the noise "
                        "drawn differs from an uninterrupted run's",
        "exported": "gankit: {run_dir} had already trained its {step} steps; its "
                    "generator.safetensors, missing or older than last.pt, was written again "
                    "from last.pt",
        "end": "gankit: {steps} steps in {seconds} s ({per_epoch} s/epoch); run dir {run_dir}",
        "end_one": "gankit: {steps} step in {seconds} s ({per_epoch} s/epoch); run dir {run_dir}",
        "status": "Epoch: [{epoch}/{epochs}], Batch Num: [{batch}/{batches}]\n"
                  "Discriminator Loss: {d_loss}, Generator Loss: {g_loss}",
        "status_output": "{name}: {value}",
        "status_timing": "Step: {ms} ms, peak GPU memory: {gib} GiB",
        "evaluation": "Evaluation at epoch {epoch}: FID {fid} ({samples} samples)",
        "report_failed": "gankit: report.html not updated: {error}",
        "prefix": "gankit:",
        "interrupted": "interrupted at step {step}; saved {path}.",
        "resume_with": "Resume with:",
        "step": "step",
        "epoch": "epoch {epoch}/{epochs}",
        "elapsed": "{time} elapsed",
        "speed": "{rate} steps/s, {time} left",
        "fixed_noise": "fixed noise, step {step}",
        "samples_at": "samples at step {step}",
        "losses": "Losses", "d_loss": "D loss", "g_loss": "G loss",
        "outputs": "Discriminator outputs",
        "critic_x": "mean critic(x)", "critic_g_z": "mean critic(G(z))",
        "fid_chart": "FID during training",
        "no_values": "No finite values.",
        "toy_evaluation": "Step {step}: {metrics}",
        "scenario": "gankit: scenario {name}: {flags}",
        "lab_frame": "the lab at step {step}",
        "lab_settings": "{toy}, {loss} loss, G lr {g_lr}, D lr {d_lr} ({optimizer}), "
                        "{d_steps} per G step, batch {batch}",
        "lab_d_steps": "1 D step", "lab_d_steps_many": "{n} D steps",
        "lab_r1": "R1 γ={gamma}",
        "lab_schedule": "lr {name}",
        "lab_critic": "critic(x)",
        "lab_real": "real", "lab_fake": "fake", "lab_fakes": "{n} fakes",
        "lab_frame_alt": "The lab at step {step}: D's output over the plane with the real and "
                         "fake points, G's map of the noise plane, and the curves of the losses "
                         "and the metrics",
        "lab_animation": "The lab run {name}, frame by frame",
        "animation_repr": "<animation of {name}: {size} bytes of WebP>",
        "lab_plane": "D's output, the points, and where G's loss pushes fakes",
        "lab_map": "G's map: a grid of the noise plane, through G",
        "lab_curves": "Losses (solid) and metrics (dashed)",
        "lab_modes_share": "modes covered (share)", "lab_quality": "high-quality share",
        "lab_metrics": "{modes}/{total} modes, {quality} high-quality, JS {js}",
        "lab_updates": "updates so far: D {d}, G {g}",
        "control_play": "Play", "control_step_d": "Update D", "control_step_g": "Update G",
        "control_reset": "Reset", "control_g_lr": "G's learning rate",
        "control_d_lr": "D's learning rate", "control_n_critic": "D updates per G update",
        "control_r1": "R1's weight γ", "control_loss": "loss", "control_frame": "frame",
        "control_step": "step {step}", "control_step_measured": "step {step}: {measures}",
        "control_measures": "{measures}; {updates}",
        "control_no_widgets": "The lab's controls need ipywidgets: pip install ipywidgets, "
                              "then restart the kernel",
        "modes_chart": "Modes covered", "quality_chart": "High-quality share and JS divergence",
        "modes": "modes", "high_quality": "high-quality share", "js": "JS divergence",
    },
    "fr": {
        "start": "gankit" + NBSP + ": entraînement du préréglage {preset} sur {dataset} "
                 "({images} {kind}, {batching}, {per_epoch} lots par époque) sur {device}"
                 + NARROW_NBSP + "; dossier {run_dir}",
        "resume": "gankit" + NBSP + ": reprise du préréglage {preset} à l'itération {step} sur "
                  "{dataset} ({images} {kind}, {batching}, {per_epoch} lots par époque) sur "
                  "{device}" + NARROW_NBSP + "; dossier {run_dir}",
        "batch": "lots de {size}",
        "batch_ranks": "lots de {size} × {ranks} processus = {total} au total",
        "device_cpu": "le processeur ({device})", "device_gpu": "le GPU {device}",
        "no_time": "gankit" + NBSP + ": ce point de reprise est antérieur au suivi du temps"
                   + NARROW_NBSP + "; la durée d'entraînement ne comptera que cette session",
        "exported": "gankit" + NBSP + ": {run_dir} avait déjà effectué ses {step} itérations"
                    + NARROW_NBSP + "; son generator.safetensors, absent ou plus ancien que "
                    "last.pt, vient d'être réécrit à partir de last.pt",
        "fallback": "gankit" + NBSP + ": reprise depuis {source} (itération {step}), last.pt étant "
                    "corrompu ou absent" + NARROW_NBSP + "; un instantané d'époque ne garde ni "
                    "l'état des optimiseurs ni les flux aléatoires" + NARROW_NBSP + ": ils "
                    "repartent de zéro, et l'entraînement continue de près, mais pas à "
                    "l'identique, comme sans interruption",
        "cuda_streams": "gankit" + NBSP + ": flux aléatoires restaurés pour {restored} des "
                        "{saved} GPU de la sauvegarde ({present} ici)" + NARROW_NBSP + "; le "
                        "bruit tiré diffère de celui d'un entraînement sans interruption",
        "end": "gankit" + NBSP + ": {steps} itérations en {seconds}" + NBSP + "s ({per_epoch}"
               + NBSP + "s par époque)" + NARROW_NBSP + "; dossier {run_dir}",
        "end_one": "gankit" + NBSP + ": {steps} itération en {seconds}" + NBSP + "s ({per_epoch}"
                   + NBSP + "s par époque)" + NARROW_NBSP + "; dossier {run_dir}",
        "status": "Époque" + NBSP + ": [{epoch}/{epochs}], lot" + NBSP + ": [{batch}/{batches}]\n"
                  "Perte du discriminateur" + NBSP + ": {d_loss}, perte du générateur" + NBSP
                  + ": {g_loss}",
        "status_output": "{name}" + NBSP + ": {value}",
        "status_timing": "Durée d'une itération" + NBSP + ": {ms}" + NBSP + "ms, pic de mémoire "
                         "GPU" + NBSP + ": {gib}" + NBSP + "Gio",
        "evaluation": "Évaluation à l'époque {epoch}" + NBSP + ": FID {fid} ({samples} "
                      "échantillons)",
        "report_failed": "gankit" + NBSP + ": report.html n'a pas été mis à jour" + NBSP
                         + ": {error}",
        "prefix": "gankit" + NBSP + ":",
        "interrupted": "interrompu à l'itération {step}" + NARROW_NBSP
                       + "; sauvegardé dans {path}.",
        "resume_with": "Pour reprendre" + NBSP + ":",
        "step": "itération",
        "epoch": "époque {epoch}/{epochs}",
        "elapsed": "écoulé" + NBSP + ": {time}",
        "speed": "{rate}" + NBSP + "it./s, reste" + NBSP + ": {time}",
        "fixed_noise": "bruit fixe, itération {step}",
        "samples_at": "échantillons à l'itération {step}",
        "losses": "Pertes", "d_loss": "perte de D", "g_loss": "perte de G",
        "outputs": "Sorties du discriminateur",
        "critic_x": "critique moyen(x)", "critic_g_z": "critique moyen(G(z))",
        "fid_chart": "FID au fil de l'entraînement",
        "no_values": "Aucune valeur finie.",
        "toy_evaluation": "Itération {step}" + NBSP + ": {metrics}",
        "scenario": "gankit" + NBSP + ": scénario {name}" + NBSP + ": {flags}",
        "lab_frame": "le labo à l'itération {step}",
        "lab_settings": "{toy}, perte {loss}, {optimizer}, taux d'apprentissage de G {g_lr} et "
                        "de D {d_lr}, {d_steps} pour 1 de G, lots de {batch}",
        "lab_d_steps": "1 mise à jour de D", "lab_d_steps_many": "{n} mises à jour de D",
        "lab_r1": "R1 γ = {gamma}",
        "lab_schedule": "taux" + NBSP + ": {name}",
        "lab_critic": "critique(x)",
        "lab_real": "vrais", "lab_fake": "faux", "lab_fakes": "{n} faux",
        "lab_frame_alt": "Le labo à l'itération {step}" + NBSP + ": la sortie de D sur le plan "
                         "avec les vrais et les faux points, la carte de G du plan du bruit, et "
                         "les courbes des pertes et des mesures",
        "lab_animation": "L'entraînement du labo {name}, image par image",
        "animation_repr": "<animation de {name}" + NBSP + ": {size} octets de WebP>",
        "lab_plane": "Sortie de D, les points, et où la perte de G pousse les faux",
        "lab_map": "La carte de G" + NBSP + ": une grille du plan du bruit, transformée par G",
        "lab_curves": "Pertes (traits pleins) et mesures (tirets)",
        "lab_modes_share": "modes couverts (part)", "lab_quality": "part de bonne qualité",
        "lab_metrics": "{modes}/{total} modes, {quality} de bonne qualité, JS {js}",
        "lab_updates": "mises à jour jusqu'ici" + NBSP + ": D {d}, G {g}",
        "control_play": "Lecture", "control_step_d": "Mettre à jour D",
        "control_step_g": "Mettre à jour G", "control_reset": "Recommencer",
        "control_g_lr": "taux d'apprentissage de G", "control_d_lr": "taux d'apprentissage de D",
        "control_n_critic": "mises à jour de D par mise à jour de G",
        "control_r1": "poids γ de R1", "control_loss": "perte", "control_frame": "image",
        "control_step": "itération {step}",
        "control_step_measured": "itération {step}" + NBSP + ": {measures}",
        "control_measures": "{measures}" + NBSP + "; {updates}",
        "control_no_widgets": "Les commandes du labo demandent ipywidgets" + NBSP + ": pip "
                              "install ipywidgets, puis redémarrez le noyau",
        "modes_chart": "Modes couverts",
        "quality_chart": "Part de bonne qualité et divergence de JS",
        "modes": "modes", "high_quality": "part de bonne qualité", "js": "divergence de JS",
    },
}
LANGUAGES = tuple(MESSAGES)
# The names of settings as each language says them, by kind (gankit.losses' LOSSES,
# gankit.steps' OPTIMIZERS and LR_SCHEDULES, gankit.data's DATASETS); a name not listed
# (a folder, a toy, a newly registered loss) is written as it is.
DATASET_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
NAMES = {
    "en": {"dataset": DATASET_NAMES, "optimizer": {"adam": "Adam", "sgd": "SGD"}},
    "fr": {
        "dataset": DATASET_NAMES,
        "loss": {"nonsaturating": "non saturante", "minimax": "minimax",
                 "hinge": "charnière (hinge)", "lsgan": "moindres carrés (LSGAN)",
                 "wgan-gp": "WGAN-GP"},
        "optimizer": {"adam": "Adam", "sgd": "descente de gradient (SGD)"},
        "schedule": {"constant": "constant", "linear": "décroissance linéaire vers 0"},
    },
}


def check_language(language: str) -> None:
    if language not in MESSAGES:
        raise ConfigError(phrase("language must be one of {choices}, got {language!r}",
                                 choices=", ".join(LANGUAGES), language=language))


def set_language(language: str) -> None:
    """Make `language` ("en" or "fr") the language of everything gankit says from now on."""
    check_language(language)
    use_language(language)


def resolve_language(language: str | None) -> str:
    """`language`, checked, or the session's (`current_language`) when it is None: what
    each public entry that takes a language does first."""
    if language is None:
        return current_language()
    check_language(language)
    return language


def say(language: str, key: str, **values) -> str:
    """The message `key` in `language`, with `values` filled in as given (format numbers
    with `number` first)."""
    return MESSAGES[language][key].format(**values)


def say_count(language: str, key: str, count: float, **values) -> str:
    """The message `key`, or `key`_one where `count` takes the singular in `language` (1 in
    English; 0 and 1 in French, as « 0 itération »)."""
    one = abs(count) < 2 if language == "fr" else count == 1
    return say(language, f"{key}_one" if one else key, **values)


def setting_name(kind: str, value: str, language: str) -> str:
    """A setting's name as `language` says it: setting_name("loss", "hinge", "fr") is
    « charnière (hinge) »; `kind` is loss, optimizer, schedule or dataset."""
    return NAMES[language].get(kind, {}).get(value, value)


def device_name(device, language: str) -> str:
    """A torch device as `language` names it: « le processeur (cpu) », « le GPU cuda:0 »."""
    device = str(device)
    return say(language, "device_cpu" if device == "cpu" else "device_gpu", device=device)


def localise_ticks(figure, language: str) -> None:
    """Label the ticks of every axis of the matplotlib `figure` (colour bars and twin axes
    included) as `language` writes numbers: 0,5 and 1 200 in French. English keeps
    matplotlib's own labels."""
    if language == "en":
        return
    from matplotlib.ticker import FuncFormatter

    def written(value: float, position=None) -> str:
        return number(value, language).replace("-", "\u2212")  # matplotlib's minus sign

    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            axis.set_major_formatter(FuncFormatter(written))


def number(value: float, language: str = "en", decimals: int | None = None) -> str:
    """`value` as `language` writes it: 1,486,352 and 0.75 in English; 1 486 352 and 0,75
    in French, with a narrow no-break space between groups. `decimals` None writes 4
    significant digits, and none after the point from 1,000 up; never an exponent."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        magnitude = math.floor(math.log10(abs(value))) if value else 0
        decimals = max(0, 3 - magnitude)
        text = f"{value:,.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    else:
        text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":  # -0.00 is 0.00
        text = text.lstrip("-")
    return numeral(text, language)


def percent(share: float, language: str = "en", decimals: int = 0) -> str:
    """A share in [0, 1] as a percentage: 75% in English, 75 % (no-break space) in French."""
    return number(100 * share, language, decimals) + (NBSP + "%" if language == "fr" else "%")
