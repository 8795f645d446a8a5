"""What a run says, in the language of the notebook that runs it: English or French.

A registry of message templates by language, and numbers written the way each language
writes them. The notebook's three status lines are not here: they stay exactly as the
original printed them, in every language.
"""

from __future__ import annotations

import math

from gankit.errors import ConfigError

# French typography: a narrow no-break space groups thousands and stands before ; ! ?
# and inside « »; a no-break space stands before : and %.
NARROW_NBSP, NBSP = "\u202f", "\u00a0"

MESSAGES = {
    "en": {
        "start": "gankit: training {preset} on {dataset} ({images} {kind}, {batching}, "
                 "{per_epoch} batches/epoch) on {device}; run dir {run_dir}",
        "resume": "gankit: resuming at step {step} {preset} on {dataset} ({images} {kind}, "
                  "{batching}, {per_epoch} batches/epoch) on {device}; run dir {run_dir}",
        "batch": "batch {size}",
        "batch_ranks": "batch {size} x {ranks} ranks = {total} global",
        "no_time": "gankit: this checkpoint predates time keeping: the run's training time "
                   "will count this session only",
        "fallback": "gankit: resuming from {source} (step {step}), last.pt being corrupt or "
                    "missing: an epoch snapshot keeps no optimizer state or random streams, "
                    "so these start afresh, and training goes on close to, not exactly as, "
                    "an uninterrupted run",
        "cuda_streams": "gankit: restored the random streams of {restored} of the {saved} "
                        "CUDA devices the run was saved on ({present} here); the noise "
                        "drawn differs from an uninterrupted run's",
        "end": "gankit: {steps} steps in {seconds} s ({per_epoch} s/epoch); run dir {run_dir}",
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
        "lab_frame": "the lab at step {step}",
        "lab_settings": "{toy}, {loss} loss, G lr {g_lr}, D lr {d_lr} ({optimizer}), "
                        "{d_steps} per G step, batch {batch}",
        "lab_d_steps": "1 D step", "lab_d_steps_many": "{n} D steps",
        "lab_schedule": "lr {name}",
        "lab_critic": "critic(x)",
        "lab_real": "real", "lab_fake": "fake",
        "lab_plane": "D's output, the points, and where G's loss pushes fakes",
        "lab_map": "G's map: a grid of the noise plane, through G",
        "lab_curves": "Losses (solid) and metrics (dashed)",
        "lab_modes_share": "modes covered (share)", "lab_quality": "high-quality share",
        "lab_metrics": "{modes}/{total} modes, {quality} high-quality, JS {js}",
        "lab_updates": "updates so far: D {d}, G {g}",
        "modes_chart": "Modes covered", "quality_chart": "High-quality share and JS divergence",
        "modes": "modes", "high_quality": "high-quality share", "js": "JS divergence",
    },
    "fr": {
        "start": "gankit" + NBSP + ": entraînement du préréglage {preset} sur {dataset} "
                 "({images} {kind}, {batching}, {per_epoch} lots par époque) sur {device}"
                 + NARROW_NBSP + "; dossier {run_dir}",
        "resume": "gankit" + NBSP + ": reprise du préréglage {preset} au pas {step} sur {dataset} "
                  "({images} {kind}, {batching}, {per_epoch} lots par époque) sur {device}"
                  + NARROW_NBSP + "; dossier {run_dir}",
        "batch": "lots de {size}",
        "batch_ranks": "lots de {size} × {ranks} processus = {total} au total",
        "no_time": "gankit" + NBSP + ": ce point de reprise est antérieur au suivi du temps"
                   + NARROW_NBSP + "; la durée d'entraînement ne comptera que cette session",
        "fallback": "gankit" + NBSP + ": reprise depuis {source} (pas {step}), last.pt étant "
                    "corrompu ou absent" + NARROW_NBSP + "; un instantané d'époque ne garde ni "
                    "l'état des optimiseurs ni les flux aléatoires" + NARROW_NBSP + ": ils "
                    "repartent de zéro, et l'entraînement continue de près, mais pas à "
                    "l'identique, comme sans interruption",
        "cuda_streams": "gankit" + NBSP + ": flux aléatoires restaurés pour {restored} des "
                        "{saved} GPU de la sauvegarde ({present} ici)" + NARROW_NBSP + "; le "
                        "bruit tiré diffère de celui d'un entraînement sans interruption",
        "end": "gankit" + NBSP + ": {steps} pas en {seconds}" + NBSP + "s ({per_epoch}" + NBSP
               + "s par époque)" + NARROW_NBSP + "; dossier {run_dir}",
        "evaluation": "Évaluation à l'époque {epoch}" + NBSP + ": FID {fid} ({samples} "
                      "échantillons)",
        "report_failed": "gankit" + NBSP + ": report.html n'a pas été mis à jour" + NBSP
                         + ": {error}",
        "prefix": "gankit" + NBSP + ":",
        "interrupted": "interrompu au pas {step}" + NARROW_NBSP + "; sauvegardé dans {path}.",
        "resume_with": "Pour reprendre" + NBSP + ":",
        "step": "pas",
        "epoch": "époque {epoch}/{epochs}",
        "elapsed": "écoulé" + NBSP + ": {time}",
        "speed": "{rate} pas/s, reste" + NBSP + ": {time}",
        "fixed_noise": "bruit fixe, pas {step}",
        "samples_at": "échantillons au pas {step}",
        "losses": "Pertes", "d_loss": "perte de D", "g_loss": "perte de G",
        "outputs": "Sorties du discriminateur",
        "critic_x": "critique moyen(x)", "critic_g_z": "critique moyen(G(z))",
        "fid_chart": "FID au fil de l'entraînement",
        "no_values": "Aucune valeur finie.",
        "toy_evaluation": "Pas {step}" + NBSP + ": {metrics}",
        "lab_frame": "le labo au pas {step}",
        "lab_settings": "{toy}, perte {loss}, taux de G {g_lr}, taux de D {d_lr} ({optimizer}), "
                        "{d_steps} par pas de G, lots de {batch}",
        "lab_d_steps": "1 pas de D", "lab_d_steps_many": "{n} pas de D",
        "lab_schedule": "taux" + NBSP + ": {name}",
        "lab_critic": "critique(x)",
        "lab_real": "vrais", "lab_fake": "faux",
        "lab_plane": "Sortie de D, les points, et où la perte de G pousse les faux",
        "lab_map": "La carte de G" + NBSP + ": une grille du plan du bruit, transformée par G",
        "lab_curves": "Pertes (traits pleins) et mesures (tirets)",
        "lab_modes_share": "modes couverts (part)", "lab_quality": "part de bonne qualité",
        "lab_metrics": "{modes}/{total} modes, {quality} de bonne qualité, JS {js}",
        "lab_updates": "mises à jour jusqu'ici" + NBSP + ": D {d}, G {g}",
        "modes_chart": "Modes couverts",
        "quality_chart": "Part de bonne qualité et divergence de JS",
        "modes": "modes", "high_quality": "part de bonne qualité", "js": "divergence de JS",
    },
}
LANGUAGES = tuple(MESSAGES)
# The language of a session that sets none: a French notebook calls set_language("fr") once,
# and every Run, Lab, figure, check and error after it speaks French.
_session = {"language": "en"}


def check_language(language: str) -> None:
    if language not in MESSAGES:
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")


def set_language(language: str) -> None:
    """Make `language` ("en" or "fr") the language of everything gankit says from now on."""
    check_language(language)
    _session["language"] = language


def current_language() -> str:
    """The language set by `set_language`, "en" until it is called."""
    return _session["language"]


def say(language: str, key: str, **values) -> str:
    """The message `key` in `language`, with `values` filled in as given (format numbers
    with `number` first)."""
    return MESSAGES[language][key].format(**values)


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
    if language == "fr":
        text = text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def percent(share: float, language: str = "en", decimals: int = 0) -> str:
    """A share in [0, 1] as a percentage: 75% in English, 75 % (no-break space) in French."""
    return number(100 * share, language, decimals) + (NBSP + "%" if language == "fr" else "%")
