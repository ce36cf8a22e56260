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


# --- Accessibility of the static face -------------------------------------------------

class _Tags:
    """The attributes of the frame <img> and the slider <input> of one static face."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        found = {"img": [], "input": []}

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "img" or (tag == "input" and a.get("type") == "range"):
                    found[tag].append(a)

        Parser(convert_charrefs=True).feed(html)
        assert len(found["img"]) == 1 and len(found["input"]) == 1, found
        self.img, self.slider = found["img"][0], found["input"][0]


def test_static_frame_has_the_given_alt_and_the_value_shown():
    alt = "A line from 0 up to the value: it gets steeper as the value grows."
    html = explore(draw, figsize=(2, 1.5), label="slope", alt=alt, s=[0.5, 1, 2]).static_html()
    tags = _Tags(html)
    assert tags.img["alt"] == f"{alt} Now showing slope: 0.5."
    assert tags.slider["aria-label"] == "slope"
    assert tags.slider["aria-valuetext"] == "slope: 0.5"
    assert 'data-parameter="slope"' in html
    assert frame_count(html) == 3            # still one frame per value


def test_default_alt_names_the_parameter_and_its_values():
    import numpy as np

    html = explore(draw, figsize=(2, 1.5), label="spectral radius",
                   rho=list(np.array([0.5, 1.0, 1.5]))).static_html()
    alt = _Tags(html).img["alt"]
    assert alt.startswith("Interactive figure drawn once for each of 3 values of "
                          "spectral radius (rho): 0.5, 1.0, 1.5.")
    assert "np.float64" not in alt and "png" not in alt
    assert alt.endswith("Now showing spectral radius: 0.5.")
    # Without a label the parameter's name is the label and is not repeated.
    many = _Tags(explore(draw, figsize=(2, 1.5), t=list(range(1, 9))).static_html())
    assert many.img["alt"].startswith("Interactive figure drawn once for each of 8 values of t: "
                                      "1, 2, 3, 4, 5, ..., 8. Move the slider")
    # A label that already names the parameter does not repeat it.
    assert explore(draw, label="step t", t=[1, 2]).alt.startswith("Interactive figure drawn once "
                                                                  "for each of 2 values of step t: 1, 2.")
    assert many.slider["aria-label"] == "t" and many.slider["aria-valuetext"] == "t: 1"


def test_alt_and_label_are_escaped_in_html_and_script():
    alt = 'Bars "p" & q <b>bold</b></script><script>alert(1)</script>'
    html = explore(draw, figsize=(2, 1.5), label='a "b" <c>', alt=alt, t=[1, 2]).static_html()
    tags = _Tags(html)                       # the parser sees the exact text, unescaped
    assert tags.img["alt"] == f'{alt} Now showing a "b" <c>: 1.'
    assert tags.slider["aria-label"] == 'a "b" <c>'
    assert "alert(1)</script>" not in html   # cannot close the sync script early
    assert html.count("<script") == html.count("</script>")


def test_sync_script_follows_the_shown_frame():
    html = explore(draw, figsize=(2, 1.5), label="width", alt="Lines.", w=[3, 1]).static_html()
    anim_id = re.search(r'<img id="_anim_img(\w+)"', html).group(1)
    script = html[html.rindex("<script>"):]
    assert f'window["anim{anim_id}"]' in script and "set_frame" in script
    assert 'var values = ["3", "1"], label = "width", alt = "Lines."' in script
    assert "aria-valuetext" in script and "img.alt" in script


@pytest.mark.parametrize("alt", ["", "   "])
def test_blank_alt_is_refused(alt):
    with pytest.raises(ValueError, match="alt must describe"):
        explore(draw, alt=alt, t=[1, 2])
