"""The tutorials as committed pages, docs/NAME.html (`make docs`): executed, self-contained,
their maths typeset at build time, so that a teacher can read them with no network."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
# name: its language, what its outputs show, and the least number of images it embeds.
PAGES = {
    "gan_mnist": ("en", [r"FID\s+\d+\.\d+\s+precision", r"data:image/png;base64,"], 10),
    "gan_mnist.fr": ("fr", [r"FID\s+\d+,\d+\s+précision", r"data:image/png;base64,"], 10),
    "gan_lab": ("en", [r"\d/8 modes", r"data:image/webp;base64,"], 5),
    "gan_lab.fr": ("fr", [r"\d/8 modes", r"data:image/webp;base64,"], 5),
}
SIZE_BOUND = 8_000_000  # bytes of one page
MIN_FORMULAS = 50


def page(name: str) -> str:
    path = DOCS / f"{name}.html"
    assert path.exists(), f"{path} is missing: `make docs` writes it"
    return path.read_text(encoding="utf-8")


def prose(html: str) -> str:
    """The page's text outside code, outputs, styles, scripts and typeset formulas."""
    for tag in ("style", "script", "pre", "code", "mjx-container", "svg"):
        html = re.sub(rf"<{tag}\b.*?</{tag}>", " ", html, flags=re.S)
    return re.sub(r"<[^>]*>", " ", html)


@pytest.mark.parametrize("name", PAGES)
def test_page_holds_the_executed_outputs(name):
    html = page(name)
    lang, shown, min_images = PAGES[name]
    assert len(html.encode()) < SIZE_BOUND
    assert re.search(r"<html[^>]*\blang=\"([a-z]+)\"", html)[1] == lang
    assert re.search(r"In(\s|&nbsp;)\[1\]:", html), "an executed notebook"
    for pattern in shown:
        assert re.search(pattern, html), pattern
    images = re.findall(r"<img\b[^>]*\bsrc=\"data:image/", html)
    assert len(images) >= min_images
    # A widget's view needs scripts from the network: offline it is an empty box. Each
    # widget shows its own fallback (the lab's frame) instead.
    assert "application/vnd.jupyter.widget-view+json" not in html


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_nothing(name):
    """Every image is inside the page and no script, stylesheet or font comes from elsewhere;
    only a plain link the reader may follow (<a href>) points out of it."""
    html = page(name)
    for tag, attribute, value in re.findall(
            r"<([a-zA-Z][\w:-]*)\b[^>]*?\s((?:xlink:)?href|src|srcset|poster|data)=\"([^\"]*)\"",
            html):
        if tag.lower() == "a" and attribute == "href":
            continue
        assert value.startswith(("data:", "#")), f"<{tag} {attribute}={value[:80]}>"
    for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", html):
        assert url.startswith(("data:", "#")), url
    assert "@import" not in html
    assert not re.search(r"<script\b[^>]*\bsrc=", html)
    assert not re.search(r"import\(\s*['\"]https?:", html)
    assert "cdnjs" not in html and "x-mathjax-config" not in html and "MathJax.js" not in html


@pytest.mark.parametrize("name", PAGES)
def test_page_maths_are_typeset_svg(name):
    html = page(name)
    formulas = re.findall(r"<mjx-container class=\"MathJax\" jax=\"SVG\"[^>]*><svg\b", html)
    assert len(formulas) >= MIN_FORMULAS
    # MathJax's stylesheet names merror; a formula it could not read is drawn as one.
    assert not re.search(r"<[^>]+data-mml-node=\"merror\"", html) and "data-mjx-error" not in html
    text = prose(html)
    assert "$$" not in text and "\\(" not in text
    assert "$" not in text, re.search(r".{0,40}\$.{0,40}", text)[0]


def test_the_french_pages_are_french():
    for english, french in (("gan_mnist", "gan_mnist.fr"), ("gan_lab", "gan_lab.fr")):
        en, fr = prose(page(english)), prose(page(french))
        assert "générateur" in fr and " le " in fr and " le " not in en


@pytest.mark.parametrize("name", PAGES)
def test_page_is_the_committed_notebook_run_in_the_class_setting(name):
    """A page older than its notebook, or from another setting, would preview a lesson the
    students never get: each code cell of notebooks/NAME.ipynb is on the page as it is
    committed, and papermill ran it with setting "class"."""
    import html as entities

    import nbformat

    blocks = {entities.unescape(re.sub(r"<[^>]*>", "", block)).strip()
              for block in re.findall(r"<pre>(.*?)</pre>", page(name), flags=re.S)}
    notebook = nbformat.read(DOCS.parent / "notebooks" / f"{name}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.source.strip() in blocks, f"not on the page: {cell.source[:80]}"
    assert '# Parameters\nsetting = "class"' in blocks, "run with -p setting class"
