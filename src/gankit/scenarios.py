"""The lab's named scenarios: sets of settings over the lab preset that show one thing a
GAN does on ring8, and the measures of a run's whole course that tell it happened.

A scenario is flags with a name (`gankit lab --scenario collapse` is `gankit lab` with
its flags, printed first; flags given beside it win). What each one shows was measured
on full runs: benchmarks/lab_scenarios.py prints the table that the README gives.
"""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass

from gankit.config import FIELDS
from gankit.errors import ConfigError, phrase
from gankit.wording import typeset


@dataclass(frozen=True)
class Scenario:
    """`settings` over the lab preset (Config fields); `about`, one line per language of
    what the run shows; `cures`, the scenario it is a cure for."""

    settings: dict
    about: dict[str, str]
    cures: str = ""


LISTING_WIDTH = 88  # `--list-scenarios` wraps its lines at this many characters

SCENARIOS = {
    "healthy": Scenario(
        {},
        {"en": "the lab preset: G covers all 8 modes and keeps them",
         "fr": "le préréglage du labo : G couvre les 8 modes et les garde"}),
    "collapse": Scenario(
        {"loss": "minimax", "r1": 0.0},
        {"en": "partial mode collapse: G minimises the minimax loss of the first GAN paper, "
               "without R1; it keeps a few modes and never reaches the others",
         "fr": "effondrement partiel des modes : G minimise la perte minimax du premier "
               "article sur les GAN, sans R1 ; il garde quelques modes et n'atteint jamais "
               "les autres"}),
    "collapse-cure-loss": Scenario(
        {"r1": 0.0},
        {"en": "the collapse with the non-saturating loss back: it pushes hardest the fakes "
               "that D is surest of",
         "fr": "l'effondrement avec la perte non saturante : elle pousse le plus fort les "
               "faux dont D est le plus sûr"}, cures="collapse"),
    "collapse-cure-r1": Scenario(
        {"loss": "minimax"},
        {"en": "the collapse with R1 back (γ 0.1): D's output stays gentle around the data, "
               "so the minimax loss keeps pushing every fake",
         "fr": "l'effondrement avec R1 (γ 0,1) : la sortie de D reste douce autour des "
               "données, et la perte minimax continue de pousser tous les faux"},
        cures="collapse"),
    "oscillation": Scenario(
        {"d_hidden": [32, 32], "r1": 0.0, "sample_every": 100},
        {"en": "oscillation: a small D (2 layers of 32) without R1; G's fakes move as one "
               "clump, D tilts its slope against them, and the clump moves on round the ring",
         "fr": "oscillation : un petit D (2 couches de 32) sans R1 ; les faux de G bougent "
               "en un seul paquet, D incline sa pente contre eux, et le paquet repart autour "
               "de l'anneau"}),
    "oscillation-cure-r1": Scenario(
        {"d_hidden": [32, 32], "r1": 10.0, "sample_every": 100},
        {"en": "the oscillation with a strong R1 (γ 10): the penalty on D's slope damps the "
               "chase, as it damps the Dirac-GAN's rotation",
         "fr": "l'oscillation avec un R1 fort (γ 10) : la pénalité sur la pente de D amortit "
               "la poursuite, comme elle amortit la rotation du Dirac-GAN"},
        cures="oscillation"),
    "oscillation-cure-d-steps": Scenario(
        {"d_hidden": [32, 32], "r1": 0.0, "n_critic": 5, "sample_every": 100},
        {"en": "the oscillation with 5 D updates per G update: D catches up with the clump "
               "before G moves it again",
         "fr": "l'oscillation avec 5 mises à jour de D par mise à jour de G : D rattrape le "
               "paquet avant que G ne le déplace à nouveau"},
        cures="oscillation"),
}


def get_scenario(name: str) -> Scenario:
    if name not in SCENARIOS:
        raise ConfigError(phrase("unknown scenario {name!r}; choose from {names}", name=name,
                                 names=", ".join(SCENARIOS)))
    return SCENARIOS[name]


def as_flags(settings: dict) -> str:
    """`settings` as the command-line flags that give them: --d-hidden 32 32 --r1 0."""
    def value(v) -> str:
        if isinstance(v, list | tuple):
            return " ".join(value(x) for x in v)
        return f"{v:g}" if isinstance(v, float) else str(v)

    return " ".join(f"--{name.replace('_', '-')} {value(v)}" for name, v in settings.items()
                    if name in FIELDS)


def listing(language: str) -> str:
    """`gankit lab --list-scenarios`: each name, what it shows, and its command line."""
    lines = []
    for name, scenario in SCENARIOS.items():
        lines.append(name)
        lines += textwrap.wrap(typeset(scenario.about[language]), LISTING_WIDTH,
                               initial_indent="    ", subsequent_indent="    ",
                               break_on_hyphens=False)
        lines.append(f"    gankit lab {as_flags(scenario.settings)}".rstrip())  # to copy whole
    return "\n".join(lines)


def course(measured: list[dict]) -> dict:
    """What a lab run's frames (its "toy" records, in order) show over the whole run:
    `modes`, `high_quality` and `js` at the end; `most_modes_late`, the most modes covered
    at a frame of the last quarter of the steps; `changes`, how many frames of the second
    half covered other modes than the frame before (a run settles in its first half: a
    healthy one or a collapse makes none after, an oscillation keeps making them);
    `visited`, how many modes some frame covered."""
    if not measured:
        return {}
    last = measured[-1]
    result = {key: last[key] for key in ("modes", "high_quality", "js") if key in last}
    known = [r for r in measured if "covered" in r]  # a run resumed from before they were named
    if "covered" in last:
        late = [r for r in known if r["step"] >= 0.75 * last["step"]]
        pairs = itertools.pairwise(known)
        result |= {"most_modes_late": max(len(r["covered"]) for r in late),
                   "changes": sum(after["covered"] != before["covered"]
                                  for before, after in pairs
                                  if after["step"] > 0.5 * last["step"]),
                   "visited": len(set().union(*(r["covered"] for r in known)))}
    return result
