"""Interactive explorations with two faces.

``explore(draw, t=range(10))`` returns an object that shows

* in Jupyter or Colab (a live kernel): an ipywidgets slider that redraws the figure;
* on the static website (no kernel): a pre-rendered, scrubbable animation
  (matplotlib's ``to_jshtml``) with its own slider and play buttons.

Both come from one ``draw(fig, value)`` function. The object's ``_repr_mimebundle_``
carries the widget view AND a ``text/html`` face; the book's ``_config.yml`` tells
MyST-NB to prefer the HTML face, while Jupyter prefers the live widget.

The static face is readable without seeing it: its frame image carries alt text
(``alt=`` says what the figure shows, then "Now showing <label>: <value>."), and its
slider tells a screen reader which parameter it moves and the value now shown
(``aria-label`` and ``aria-valuetext``); both follow the slider and the play buttons.
"""
from __future__ import annotations

import base64
import html as html_lib
import io
import itertools
import json
import numbers
import re

import matplotlib.pyplot as plt
from matplotlib import animation
from PIL import Image

# matplotlib's jshtml links Font Awesome from a CDN for its button icons. The course's
# site must work offline, so the link is dropped and each icon becomes a plain symbol.
_BUTTON_SYMBOLS = {"fa fa-play fa-flip-horizontal": "◀", "fa fa-fast-backward": "|◀◀",
                   "fa fa-step-backward": "|◀", "fa fa-step-forward": "▶|",
                   "fa fa-fast-forward": "▶▶|", "fa fa-minus": "−", "fa fa-plus": "+",
                   "fa fa-pause": "❚❚", "fa fa-play": "▶"}


MAX_VALUES = 200
"""Most values one exploration shows: each is a pre-rendered frame of the website's page."""


def _expect_values(values, name: str) -> list:
    """A finite, non-empty list of values (from a list, range, array or other iterable)."""
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list (or range or array) of values to explore, got "
                        f"{type(values).__name__}")
    values = list(itertools.islice(values, MAX_VALUES + 1))
    if not values:
        raise ValueError(f"{name} needs at least one value to explore")
    if len(values) > MAX_VALUES:
        raise ValueError(f"{name} has more than {MAX_VALUES} values: each is a frame drawn in "
                         "advance for the website; explore fewer")
    return values


def _check_options(figsize, label, alt, interval_ms) -> None:
    if (not isinstance(figsize, (tuple, list)) or len(figsize) != 2
            or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 < v <= 50
                       for v in figsize)):
        raise ValueError(f"figsize must be (width, height) in inches, each in (0, 50], got {figsize!r}")
    for value, what in ((label, "label"), (alt, "alt")):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{what} must be a str or None, got {type(value).__name__}")
    if isinstance(interval_ms, bool) or not isinstance(interval_ms, numbers.Integral) or interval_ms <= 0:
        raise ValueError(f"interval_ms must be a positive integer (milliseconds per frame), "
                         f"got {interval_ms!r}")


def _offline_jshtml(html: str) -> str:
    """matplotlib's jshtml without its remote stylesheet: icons replaced by Unicode symbols."""
    html = re.sub(r'<link rel="stylesheet"\s*href="https?://[^"]*font-awesome[^"]*">', "", html)
    for icon, symbol in _BUTTON_SYMBOLS.items():
        html = html.replace(f'<i class="{icon}"></i>', symbol)
    return html


_FRAME = re.compile(r'(frames\[\d+\] = "data:image/png;base64,)([^"]+)(")')


def _smaller_png(match: re.Match) -> str:
    """One embedded frame re-encoded with a 256-colour palette: about a third of the bytes
    of matplotlib's true-colour PNG, with no visible difference for line plots and heatmaps
    (it keeps pages with several explorations light; see tests/test_site_browser.py)."""
    raw = base64.b64decode(re.sub(r"[^A-Za-z0-9+/=]", "", match.group(2)))
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return match.group(1) + base64.b64encode(out.getvalue()).decode("ascii") + match.group(3)


def _compress_frames(html: str) -> str:
    return _FRAME.sub(_smaller_png, html)


def _value_text(value) -> str:
    """A value as a reader should hear it: 0.5 rather than np.float64(0.5)."""
    return str(value.item() if hasattr(value, "item") else value)


def _default_alt(label: str, name: str, values: list) -> str:
    """What every exploration is, when its author gave no ``alt``: a figure per value."""
    texts = [_value_text(v) for v in values]
    shown = ", ".join(texts if len(texts) <= 6 else [*texts[:5], "...", texts[-1]])
    named = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", label)   # "step t" already says t
    parameter = label if named else f"{label} ({name})"
    return (f"Interactive figure drawn once for each of {len(values)} values of {parameter}: "
            f"{shown}. Move the slider to step through them.")


# Keeps the frame's alt text and the slider's value text in step with the shown frame:
# every way of changing frame (slider, buttons, play) goes through Animation.set_frame.
_SYNC_SCRIPT = """<script>
(function() {{
  var values = {values}, label = {label}, alt = {alt}, tries = 0;
  function follow() {{
    var anim = window["anim{id}"];
    if (!anim) {{                      // not created yet: matplotlib creates it in a timeout
      if (++tries < 100) {{ setTimeout(follow, 50); }}
      return;
    }}
    var img = document.getElementById("_anim_img{id}");
    var slider = document.getElementById("_anim_slider{id}");
    var setFrame = anim.set_frame;
    anim.set_frame = function(frame) {{
      setFrame.call(this, frame);
      var now = label + ": " + values[this.current_frame];
      img.alt = alt + " Now showing " + now + ".";
      slider.setAttribute("aria-valuetext", now);
    }};
    anim.set_frame(anim.current_frame);
  }}
  setTimeout(follow, 0);
}})();
</script>"""


class Exploration:
    """A live widget plus a static, scrubbable HTML animation of the same drawing.

    ``alt`` describes the figure for readers who cannot see it (what it shows and what
    to notice as the value changes); without it, a description is made from ``label``,
    ``name`` and the values.
    """

    def __init__(self, draw, name: str, values, figsize=(6.4, 3.6), label: str | None = None,
                 initial=None, interval_ms: int = 600, alt: str | None = None):
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"name must be the parameter's name (a str), got {name!r}")
        values = _expect_values(values, name)
        if not callable(draw):
            raise TypeError(f"draw must be a function draw(fig, value), got {type(draw).__name__}")
        _check_options(figsize, label, alt, interval_ms)
        self.draw, self.name, self.values = draw, name, values
        self.figsize, self.label = figsize, label or name
        if initial is not None and initial not in values:
            raise ValueError(f"initial must be one of the values {values}, got {initial!r}")
        self.initial = values[0] if initial is None else initial
        self.interval_ms = interval_ms
        if alt is not None and not str(alt).strip():
            raise ValueError("alt must describe the figure; leave it out for the default description")
        self.alt = str(alt).strip() if alt is not None else _default_alt(self.label, name, values)
        self._html = None

    def _accessible(self, jshtml: str) -> str:
        """The jshtml with alt text on its frame and a name and value text on its slider."""
        found = re.search(r'<img id="_anim_img(\w+)">', jshtml)
        if found is None:  # matplotlib changed its template: fail loudly, not silently
            raise RuntimeError("matplotlib's jshtml has no <img id=\"_anim_img...\"> to describe")
        anim_id = found.group(1)
        first = f"{self.label}: {_value_text(self.values[0])}"
        img_alt = html_lib.escape(f"{self.alt} Now showing {first}.")
        jshtml = jshtml.replace(found.group(0), f'<img id="_anim_img{anim_id}" alt="{img_alt}">', 1)
        slider = f'<input id="_anim_slider{anim_id}"'
        if slider not in jshtml:
            raise RuntimeError("matplotlib's jshtml has no slider <input id=\"_anim_slider...\">")
        jshtml = jshtml.replace(slider, slider + f' aria-label="{html_lib.escape(self.label)}"'
                                f' aria-valuetext="{html_lib.escape(first)}"', 1)

        def js(value) -> str:  # a JavaScript literal that cannot end the <script> early
            return json.dumps(value).replace("<", "\\u003c")

        return jshtml + _SYNC_SCRIPT.format(
            id=anim_id, values=js([_value_text(v) for v in self.values]),
            label=js(self.label), alt=js(self.alt))

    def static_html(self) -> str:
        """Every value pre-rendered into a JavaScript animation with a slider (no kernel needed)."""
        if self._html is None:
            fig = plt.figure(figsize=self.figsize)

            def frame(i):
                fig.clear()
                self.draw(fig, self.values[i])

            anim = animation.FuncAnimation(fig, frame, frames=len(self.values), interval=self.interval_ms)
            jshtml = self._accessible(_compress_frames(_offline_jshtml(
                anim.to_jshtml(default_mode="once"))))
            self._html = (f'<div class="exploration" data-parameter="{html_lib.escape(self.label)}">'
                          + jshtml + "</div>")
            plt.close(fig)
        return self._html

    def widget(self):
        """The live ipywidgets control: a slider over the values and the redrawn figure."""
        import ipywidgets as widgets
        from IPython.display import display

        slider = widgets.SelectionSlider(options=self.values, value=self.initial,
                                         description=self.label, continuous_update=False,
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(width="min(100%, 520px)"))
        out = widgets.Output()

        def redraw(change=None):
            with out:
                out.clear_output(wait=True)
                fig = plt.figure(figsize=self.figsize)
                self.draw(fig, slider.value)
                display(fig)
                plt.close(fig)

        slider.observe(redraw, names="value")
        redraw()
        return widgets.VBox([slider, out])

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": f"<exploration of {self.label}: {len(self.values)} values>",
                  "text/html": self.static_html()}
        try:
            data = self.widget()._repr_mimebundle_()
        except Exception:  # no ipywidgets front end: the static face alone is fine
            return bundle
        data.update({"text/html": bundle["text/html"]})
        return data


def explore(draw, figsize=(6.4, 3.6), label: str | None = None, initial=None,
            alt: str | None = None, **parameter) -> Exploration:
    """``explore(draw, t=range(12))``: one keyword names the explored parameter and its values.

    ``draw(fig, value)`` draws one state of the figure into the empty figure ``fig``.
    ``alt`` describes the figure for readers who cannot see it, e.g.
    ``alt="Gradient norm against distance: it falls faster the smaller the radius."``;
    the website adds the value shown ("Now showing spectral radius: 0.9.") after it.
    """
    if len(parameter) != 1:
        raise TypeError("explore takes exactly one parameter to vary, e.g. explore(draw, t=range(10)); "
                        f"got {sorted(parameter) or 'none'}")
    (name, values), = parameter.items()
    return Exploration(draw, name, values, figsize=figsize, label=label, initial=initial, alt=alt)
