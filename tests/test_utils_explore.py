"""explore(): a live widget in Jupyter plus a scrubbable HTML animation on the static site."""
import importlib.util
import re

import matplotlib
import pytest

matplotlib.use("Agg")

from utils.explore import Exploration, explore  # noqa: E402

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HAS_WIDGETS = importlib.util.find_spec("ipywidgets") is not None


def draw(fig, value):
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, value])
    ax.set_title(f"value {value}")


def frame_count(html: str) -> int:
    """matplotlib's jshtml stores frame i as ``frames[i] = "data:image/png;base64,..."``."""
    return len(set(re.findall(r"frames\[(\d+)\]\s*=", html)))


@pytest.mark.parametrize("values", [[1.0], [1, 2, 3], list(range(5))])
def test_static_face_has_one_frame_per_value(values):
    exploration = explore(draw, figsize=(2, 1.5), t=values)
    bundle = exploration._repr_mimebundle_()
    assert "text/html" in bundle
    html = bundle["text/html"]
    assert html.startswith('<div class="exploration" data-parameter="t">')
    assert "<script" in html and "data:image/png;base64" in html
    assert frame_count(html) == len(values)


def test_draw_sees_every_value_in_order():
    seen = []
    exploration = explore(lambda fig, v: seen.append(v), figsize=(2, 1.5), width=[3, 1, 2])
    exploration.static_html()
    assert [v for v in seen if v in (3, 1, 2)][-3:] == [3, 1, 2]
    assert set(seen) == {3, 1, 2}
    drawn = len(seen)
    exploration.static_html()  # cached: no redraw
    assert len(seen) == drawn


@pytest.mark.skipif(not HAS_WIDGETS, reason="ipywidgets is not installed")
def test_bundle_carries_the_live_widget_view():
    exploration = explore(draw, figsize=(2, 1.5), label="gate bias", b=[-2, 0, 2])
    bundle = exploration._repr_mimebundle_()
    assert WIDGET_MIME in bundle and "model_id" in bundle[WIDGET_MIME]
    assert frame_count(bundle["text/html"]) == 3
    assert 'data-parameter="gate bias"' in bundle["text/html"]


def test_without_ipywidgets_the_static_face_remains(monkeypatch):
    exploration = explore(draw, figsize=(2, 1.5), t=[1, 2])

    def no_widgets():
        raise ImportError("no ipywidgets here")

    monkeypatch.setattr(exploration, "widget", no_widgets)
    bundle = exploration._repr_mimebundle_()
    assert WIDGET_MIME not in bundle and frame_count(bundle["text/html"]) == 2
    assert "2 values" in bundle["text/plain"]


def test_initial_value_and_label():
    exploration = explore(draw, t=[1, 2, 3], initial=2)
    assert isinstance(exploration, Exploration)
    assert exploration.initial == 2 and exploration.label == "t" and exploration.values == [1, 2, 3]


@pytest.mark.parametrize("parameters", [{}, {"a": [1, 2], "b": [3, 4]}])
def test_explore_needs_exactly_one_parameter(parameters):
    with pytest.raises(TypeError, match="exactly one parameter"):
        explore(draw, **parameters)


def test_explore_rejects_empty_values_and_non_callables():
    with pytest.raises(ValueError, match="at least one value"):
        explore(draw, t=[])
    with pytest.raises(TypeError, match="draw"):
        explore("not a function", t=[1])


def test_initial_must_be_one_of_the_values():
    with pytest.raises(ValueError, match="initial"):
        explore(draw, t=[1, 2, 3], initial=5)
