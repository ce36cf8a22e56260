"""Interactive explorations with two faces.

``explore(draw, t=range(10))`` returns an object that shows

* in Jupyter or Colab (a live kernel): an ipywidgets slider that redraws the figure;
* on the static website (no kernel): a pre-rendered, scrubbable animation
  (matplotlib's ``to_jshtml``) with its own slider and play buttons.

Both come from one ``draw(fig, value)`` function. The object's ``_repr_mimebundle_``
carries the widget view AND a ``text/html`` face; the book's ``_config.yml`` tells
MyST-NB to prefer the HTML face, while Jupyter prefers the live widget.
"""
from __future__ import annotations

import re

import matplotlib.pyplot as plt
from matplotlib import animation

# matplotlib's jshtml links Font Awesome from a CDN for its button icons. The course's
# site must work offline, so the link is dropped and each icon becomes a plain symbol.
_BUTTON_SYMBOLS = {"fa fa-play fa-flip-horizontal": "◀", "fa fa-fast-backward": "|◀◀",
                   "fa fa-step-backward": "|◀", "fa fa-step-forward": "▶|",
                   "fa fa-fast-forward": "▶▶|", "fa fa-minus": "−", "fa fa-plus": "+",
                   "fa fa-pause": "❚❚", "fa fa-play": "▶"}


def _offline_jshtml(html: str) -> str:
    """matplotlib's jshtml without its remote stylesheet: icons replaced by Unicode symbols."""
    html = re.sub(r'<link rel="stylesheet"\s*href="https?://[^"]*font-awesome[^"]*">', "", html)
    for icon, symbol in _BUTTON_SYMBOLS.items():
        html = html.replace(f'<i class="{icon}"></i>', symbol)
    return html


class Exploration:
    """A live widget plus a static, scrubbable HTML animation of the same drawing."""

    def __init__(self, draw, name: str, values, figsize=(6.4, 3.6), label: str | None = None,
                 initial=None, interval_ms: int = 600):
        values = list(values)
        if not values:
            raise ValueError(f"{name} needs at least one value to explore")
        if not callable(draw):
            raise TypeError("draw must be a function draw(fig, value)")
        self.draw, self.name, self.values = draw, name, values
        self.figsize, self.label = figsize, label or name
        if initial is not None and initial not in values:
            raise ValueError(f"initial must be one of the values {values}, got {initial!r}")
        self.initial = values[0] if initial is None else initial
        self.interval_ms = interval_ms
        self._html = None

    def static_html(self) -> str:
        """Every value pre-rendered into a JavaScript animation with a slider (no kernel needed)."""
        if self._html is None:
            fig = plt.figure(figsize=self.figsize)

            def frame(i):
                fig.clear()
                self.draw(fig, self.values[i])

            anim = animation.FuncAnimation(fig, frame, frames=len(self.values), interval=self.interval_ms)
            self._html = (f'<div class="exploration" data-parameter="{self.label}">'
                          + _offline_jshtml(anim.to_jshtml(default_mode="once")) + "</div>")
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


def explore(draw, figsize=(6.4, 3.6), label: str | None = None, initial=None, **parameter) -> Exploration:
    """``explore(draw, t=range(12))``: one keyword names the explored parameter and its values.

    ``draw(fig, value)`` draws one state of the figure into the empty figure ``fig``.
    """
    if len(parameter) != 1:
        raise TypeError("explore takes exactly one parameter to vary, e.g. explore(draw, t=range(10)); "
                        f"got {sorted(parameter) or 'none'}")
    (name, values), = parameter.items()
    return Exploration(draw, name, values, figsize=figsize, label=label, initial=initial)
