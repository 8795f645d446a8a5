"""A self-contained HTML report of a run, built from its directory alone.

Plots are hand-written SVG: a few polylines need no plotting library, render crisply at
any size, and keep the report a single small file with no scripts. The charts style
themselves (no stylesheet needed), so the notebook panel shows the same ones.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from gankit import records
from gankit.atomic import write_bytes, write_text
from gankit.config import read_toml
from gankit.errors import GankitError, phrase
from gankit.inline import bytes_uri, data_uri
from gankit.kinds import kind_of
from gankit.language import MESSAGES, number, say
from gankit.rundir import RunDir, grid_step

# However long the run, the report inlines at most this many grids and GIF frames, so
# its size and the time to rebuild it at each epoch end stay bounded.
STRIP_GRIDS = 12
GIF_FRAMES = 25
LAB_GIF_WIDTH = 640
# What D's mean outputs are called in the status lines: probabilities for BCE losses, raw
# critic values otherwise.
OUTPUT_LABELS = {"d_x": "D(x)", "d_g_z": "D(G(z))", "critic_x": MESSAGES["en"]["critic_x"],
                 "critic_g_z": MESSAGES["en"]["critic_g_z"]}
# The charts: (title, [(record key, colour)]); titles and curve names come from the
# language's messages, where the curve has one (D(x) and D(G(z)) read the same in all).
CURVES = [("losses", [("d_loss", "#d62728"), ("g_loss", "#1f77b4")]),
          ("outputs", [("d_x", "#2ca02c"), ("d_g_z", "#9467bd"),
                       ("critic_x", "#2ca02c"), ("critic_g_z", "#9467bd")])]
# The charts of measures, unsmoothed: (title, record kind, [(record key, colour)]).
MEASURE_CURVES = [("fid_chart", "eval", [("fid", "#ff7f0e")]),
                  ("modes_chart", "toy", [("modes", "#2ca02c")]),
                  ("quality_chart", "toy", [("high_quality", "#ff7f0e"), ("js", "#7f7f7f")])]
# What a lab frame draws itself: the lab's panel leaves these charts out.
FRAME_CHARTS = ("losses", "modes_chart", "quality_chart")
# A series with at most this many points marks each one: a short run's curve is then
# still readable, and a single point is seen at all.
MARKED_POINTS = 40


def build_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write report.html (or `out`) for the run in `run_dir`; the run's own report also
    writes samples/evolution.gif, another `out` nothing inside the run dir."""
    paths = RunDir(run_dir)
    if not paths.root.is_dir():
        raise GankitError(phrase("no such run dir: {root}", root=paths.root))
    if not paths.is_run():
        raise GankitError(phrase("{root} is not a gankit run dir (no config.toml)",
                                 root=paths.root))
    config = read_config(paths)
    logged = records.read(paths.metrics)
    steps = records.of_kind(logged, "step")
    evaluations = records.of_kind(logged, "evaluate")
    ends = records.of_kind(logged, "end")
    grids = paths.grids()
    draws_frames = kind_of(str(config.get("dataset", ""))).draws_frames
    # A lab's frames are 1,400 pixels wide: smaller in the GIF, and quantised faster.
    gif = evolution_gif(evenly_spaced(grids, GIF_FRAMES),
                        max_width=LAB_GIF_WIDTH if draws_frames else 0)
    if gif and out is None:
        write_bytes(paths.evolution, gif)
    # Only the grids shown are opened: a run may have thousands.
    newest = next((g for g in reversed(grids) if is_image(g)), None)

    parts = [f"<h1>{html.escape(paths.root.name)}</h1>", _summary(config, steps, ends)]
    if newest:
        parts.append("<h2>Frames of the lab</h2>" if draws_frames
                     else "<h2>Samples (one fixed noise batch)</h2>")
        parts.append(_figure(data_uri(newest), f"step {grid_step(newest)} (newest)", "latest"))
        if gif:
            parts.append(_figure(bytes_uri(gif, "image/gif"), "evolution", "latest"))
        older = [g for g in evenly_spaced(grids, STRIP_GRIDS + 1)[:-1]
                 if g != newest and is_image(g)]
        strip = "".join(_figure(data_uri(g), f"step {grid_step(g)}") for g in reversed(older))
        parts.append(f'<div class="strip">{strip}</div>')
    if not steps:
        parts.append("<p>No steps logged yet.</p>")
    for title, chart in training_charts(logged):
        parts.append(f"<h2>{title}</h2>{chart}")
    if evaluations:
        parts.append("<h2>Latest evaluation</h2>" + _evaluation_table(evaluations[-1]))
    parts.append("<h2>Configuration</h2>" + _table(config.items()))
    out = Path(out) if out else paths.report
    page = PAGE.format(title=html.escape(paths.root.name), body="\n".join(parts))
    write_text(out, page)
    return out


def read_config(run: RunDir) -> dict:
    """A run's config.toml as a dict; one line naming it when it cannot be read."""
    return read_toml(run.config, saved=True)


def is_image(path: Path) -> bool:
    """Whether Pillow recognises the file (a grid cut short by a full disk is not)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
        return True
    except Exception:  # Pillow raises many kinds for a damaged file
        return False


def runs_table(folder: str | Path) -> str:
    """One line per run dir in `folder`: name, preset, dataset, steps, last losses, and
    the best FID in training and the last by `gankit evaluate`, each with its sample
    count (FID depends on it, so the two stand in separate columns). A run that cannot
    be read is listed as such."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GankitError(phrase("no such folder: {folder}", folder=folder))
    runs = [RunDir(p) for p in sorted(folder.iterdir()) if RunDir(p).is_run()]
    if not runs:
        return f"no runs in {folder}"
    header = ("run", "preset", "dataset", "steps", "D loss", "G loss", "best FID in training",
              "FID by evaluate")
    rows = [header]
    for run in runs:
        try:
            rows.append(_run_row(run))
        except GankitError as e:
            rows.append((run.root.name, "unreadable:", str(e).replace(str(run.root) + "/", ""),
                         *[""] * 5))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    widths[2] = max(len(row[2]) for row in rows if row[1] != "unreadable:")
    return "\n".join(  # names to the left, numbers to the right
        "  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                  for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
        for row in rows)


def _run_row(run: RunDir) -> tuple[str, ...]:
    config = read_config(run)
    logged = records.read(run.metrics)
    steps = records.of_kind(logged, "step")
    last = steps[-1] if steps else {}
    in_training = records.of_kind(logged, "eval")
    evaluated = [r for r in records.of_kind(logged, "evaluate")
                 if isinstance(r.get("fid"), int | float)]
    best = min(in_training, key=lambda r: r["fid"]) if in_training else None
    step = max((r.get("step", 0) for r in logged), default=0)
    return (run.root.name, str(config.get("preset", "?")), str(config.get("dataset", "?")),
            str(step), _loss(last.get("d_loss")), _loss(last.get("g_loss")), _fid(best),
            _fid(evaluated[-1] if evaluated else None))


def _loss(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _fid(record: dict | None) -> str:
    return "-" if record is None else f"{record['fid']:.2f} ({record['samples']} samples)"


def evenly_spaced(items: list, count: int) -> list:
    """At most `count` of `items`, evenly spaced, the first and the last always kept."""
    if len(items) <= count:
        return items
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def training_charts(logged: list[dict], max_points: int = 500, language: str = "en",
                    leave_out: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(title, inline SVG) for the losses, D's outputs and FID (or a lab run's measures)
    during training, from metrics.jsonl records, in `language`; charts without data, and
    those titled in `leave_out`, are left out. Curves keep at most `max_points` evenly
    spaced records, so a chart's size does not grow with the run."""
    steps = evenly_spaced(records.of_kind(logged, "step"), max_points)
    names = MESSAGES[language]
    charts = []
    for title, curves in CURVES:
        if title in leave_out:
            continue
        series = [(names.get(key, OUTPUT_LABELS.get(key)), color,
                   [(r["step"], r[key]) for r in steps if key in r]) for key, color in curves]
        series = [s for s in series if s[2]]
        if series:
            charts.append((names[title], line_chart(series, language=language)))
    for title, kind, curves in MEASURE_CURVES:
        if title in leave_out:
            continue
        measured = records.of_kind(logged, kind)
        series = [(names.get(key, key), color, [(r["step"], r[key]) for r in measured
                                                if key in r]) for key, color in curves]
        series = [s for s in series if s[2]]
        if series:
            charts.append((names[title], line_chart(series, smooth=False, language=language)))
    return charts


def evolution_gif(grids: list[Path], frame_ms: int = 400, max_width: int = 0) -> bytes | None:
    """An animated GIF of the fixed-noise grids over training (the last frame held),
    shrunk to `max_width` pixels when wider (0: as they are)."""
    import io

    from PIL import Image

    frames = []
    for grid in grids:
        try:
            with Image.open(grid) as image:
                frame = image.convert("L" if image.mode == "L" else "RGB")
            if max_width:
                frame.thumbnail((max_width, frame.height))
            frames.append(frame)
        except Exception:  # a damaged grid is left out, not the whole GIF
            continue
    if not frames:
        return None
    durations = [frame_ms] * (len(frames) - 1) + [frame_ms * 5]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0)
    return buffer.getvalue()


def line_chart(series: list[tuple[str, str, list[tuple[float, float]]]], smooth: bool = True,
               width: int = 640, height: int = 220, language: str = "en") -> str:
    """An inline SVG chart: each series smoothed (EMA) over its raw values drawn faint,
    its points marked when there are few; both axes ticked at round values."""
    points = [p for _, _, values in series for p in values if math.isfinite(p[1])]
    if not points:
        return f"<p>{html.escape(say(language, 'no_values'))}</p>"
    x_ticks = nice_ticks(min(p[0] for p in points), max(p[0] for p in points), 6, whole=True)
    y_ticks = nice_ticks(min(p[1] for p in points), max(p[1] for p in points), 5)
    (x_lo, x_hi), (y_lo, y_hi) = (x_ticks[0], x_ticks[-1]), (y_ticks[0], y_ticks[-1])
    left, right, top, bottom = 50, 14, 22, 34

    def xy(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x_lo) / (x_hi - x_lo) * (width - left - right),
                top + (1 - (y - y_lo) / (y_hi - y_lo)) * (height - top - bottom))

    def polyline(values) -> str:
        return " ".join("{:.1f},{:.1f}".format(*xy(x, y)) for x, y in values)

    body = []
    for y, label in zip(y_ticks, tick_labels(y_ticks, language), strict=True):
        _, py = xy(x_lo, y)
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{py:.1f}" y2="{py:.1f}" '
                    f'stroke="#ddd" stroke-width="1"/><text x="{left - 4}" y="{py:.1f}" '
                    f'{AXIS_TEXT} text-anchor="end" dominant-baseline="middle">'
                    f"{label}</text>")
    for x, label in zip(x_ticks, tick_labels(x_ticks, language), strict=True):
        px, _ = xy(x, y_lo)
        anchor = "end" if x == x_ticks[-1] else "middle"  # the last label stays inside
        body.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{height - bottom}" '
                    f'y2="{height - bottom + 4}" stroke="#999"/><text x="{px:.1f}" '
                    f'y="{height - bottom + 16}" {AXIS_TEXT} text-anchor="{anchor}">'
                    f"{label}</text>")
    body.append(f'<text x="{width - right}" y="{height - 2}" {AXIS_TEXT} text-anchor="end">'
                f'{html.escape(say(language, "step"))}</text>')
    legend = []
    for i, (label, color, values) in enumerate(series):
        finite = [(x, y) for x, y in values if math.isfinite(y)]
        line = polyline(finite)
        if smooth and len(finite) > 2:
            body.append(f'<polyline points="{line}" stroke="{color}" fill="none" '
                        'stroke-width="1" opacity="0.25"/>')
            line = polyline(_ema(finite))
        body.append(f'<polyline points="{line}" stroke="{color}" fill="none" stroke-width="2"/>')
        if len(finite) <= MARKED_POINTS:
            body.extend('<circle cx="{:.1f}" cy="{:.1f}" r="2.5" fill="{}"/>'.format(
                *xy(x, y), color) for x, y in finite)
        legend.append(f'<text x="{left + 10 + 150 * i}" y="{top + 12}" fill="{color}" '
                      f'font-size="13" font-family="sans-serif">{html.escape(label)}</text>')
    return (f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
            'style="width: 100%; max-width: 760px; height: auto; background: #fafafa">'
            + "".join(body + legend) + "</svg>")


AXIS_TEXT = 'font-size="11" font-family="sans-serif" fill="#555"'


def nice_ticks(lo: float, hi: float, count: int, whole: bool = False) -> list[float]:
    """About `count` evenly spaced round values (steps of 1, 2, 2.5 or 5 times a power of
    ten; whole steps of 1, 2 or 5 times one with `whole`) from at or below `lo` to at or
    above `hi`; a single value gets a span around it."""
    if hi <= lo:
        pad = 1.0 if whole else abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * power for m in multiples if m * power >= raw * (1 - 1e-9))
    step = max(step, 1) if whole else step
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [float(f"{i * step:.12g}") for i in range(first, last + 1)]  # no 0.30000000000000004


def tick_labels(ticks: list[float], language: str) -> list[str]:
    """The ticks with as many decimals as their spacing needs, as `language` writes them."""
    spacing = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(spacing) + 1e-9))
    while decimals < 15 and abs(round(spacing * 10**decimals) - spacing * 10**decimals) > 1e-6:
        decimals += 1  # 2.5: one decimal; 0.25: two
    return [number(tick, language, decimals) for tick in ticks]


def _ema(values: list[tuple[float, float]], weight: float = 0.8) -> list[tuple[float, float]]:
    smoothed, level = [], values[0][1]
    for x, y in values:
        level = weight * level + (1 - weight) * y
        smoothed.append((x, level))
    return smoothed


def _summary(config: dict, steps: list[dict], ends: list[dict]) -> str:
    rows = [("preset", config.get("preset")), ("dataset", config.get("dataset")),
            ("architecture / loss", f"{config.get('arch')} / {config.get('loss')}")]
    if steps:
        last = steps[-1]
        epoch = f" (epoch {last['epoch']})" if "epoch" in last else ""
        rows += [("last logged step", f"{last['step']}{epoch}"),
                 ("last losses", f"D {last['d_loss']:.4f}, G {last['g_loss']:.4f}")]
    if ends:
        end = ends[-1]
        rows += [("training time", f"{end['train_time_s']:.1f} s")]
        session = end.get("session_time_s", end["train_time_s"])  # older runs lack it
        if session < end["train_time_s"]:
            rows += [("last session (resumed)", f"{session:.1f} s")]
        rows += [("speed", f"{end['steps_per_s']:.1f} steps/s"),
                 ("device", end.get("device", "?"))]
    return _table(rows)


def _evaluation_table(result: dict) -> str:
    from gankit.metrics import result_rows

    if "js" in result:  # `gankit evaluate` of a lab run: its toy's measures
        return _table([("samples / reference", f"{result.get('samples')} vs "
                                               f"{result.get('reference')}"),
                       *((key, result[key]) for key in ("modes", "high_quality", "js")
                         if key in result)])
    try:
        return _table([("samples / reference", f"{result['samples']} vs {result['reference']}"),
                       ("features", result["feature_network"]), *result_rows(result)])
    except (KeyError, TypeError, ValueError) as e:  # a record edited or cut by hand
        return f"<p>The latest evaluation record cannot be shown ({html.escape(repr(e))}).</p>"


def _table(rows) -> str:
    return "<table>" + "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}"
                               "</td></tr>" for k, v in rows) + "</table>"


def _figure(uri: str, caption: str, css_class: str = "") -> str:
    return (f'<figure class="{css_class}"><img alt="{html.escape(caption)}" '
            f'src="{uri}"><figcaption>{html.escape(caption)}</figcaption></figure>')


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · gankit report</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 960px;
       padding: 1em; color: #222; }}
h1 {{ font-size: 1.4em; word-break: break-all; }} h2 {{ font-size: 1.1em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 2px 10px 2px 0;
       vertical-align: top; }} th {{ font-weight: 600; color: #555; }}
figure {{ display: inline-block; margin: 0 8px 8px 0; text-align: center; }}
figcaption {{ font-size: 0.8em; color: #666; }}
img {{ image-rendering: pixelated; }}
.latest img {{ width: min(100%, 360px); }}
.strip {{ display: flex; overflow-x: auto; }} .strip img {{ width: 120px; }}
</style></head>
<body>
{body}
<p><small>Written by gankit from this run directory alone.</small></p>
</body></html>
"""
