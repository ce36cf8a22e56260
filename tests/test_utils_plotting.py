"""utils.plotting: the NaN-aware moving average, heatmap colour limits and argument checks."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from utils.plotting import heatmap, plot_history, smooth  # noqa: E402
from utils.training import History  # noqa: E402

NAN, INF = float("nan"), float("inf")


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


# --- smooth ------------------------------------------------------------------------------------------
def test_smooth_is_a_trailing_mean_shorter_at_the_start():
    x = np.arange(10.0)
    expected = [np.mean(x[max(0, i - 3):i + 1]) for i in range(10)]
    np.testing.assert_allclose(smooth(x, 4), expected)
    np.testing.assert_allclose(smooth([1.0, 2.0, 3.0], 100), [1.0, 1.5, 2.0])
    assert smooth([], 5).shape == (0,)


def test_one_nan_stays_one_nan_and_is_left_out_of_the_neighbours_averages():
    x = np.ones(200)
    x[50] = NAN
    out = smooth(x)                       # default window 25: before, one NaN became 25 NaNs
    assert np.isnan(out).sum() == 1 and np.isnan(out[50])
    np.testing.assert_allclose(np.delete(out, 50), 1.0)
    np.testing.assert_allclose(smooth([1, 2, 3, NAN, 5, 6], 3), [1, 1.5, 2, NAN, 4, 5.5])


def test_a_stopped_run_is_not_extended_past_its_last_loss():
    x = np.r_[np.linspace(3, 2, 30), np.full(20, NAN)]
    out = smooth(x, 10)
    assert np.isfinite(out[:30]).all() and np.isnan(out[30:]).all()


def test_inf_does_not_poison_the_rest_of_the_curve():
    out = smooth([1.0, INF, 3.0, 4.0, 5.0], 2)
    np.testing.assert_allclose(out, [1.0, INF, INF, 3.5, 4.5])


@pytest.mark.parametrize("window", [0, -3, 2.5, True, "5", None])
def test_bad_window_is_a_clear_error(window):
    with pytest.raises(ValueError, match="window must be a positive integer"):
        smooth([1.0, 2.0, 3.0], window)


@pytest.mark.parametrize("values, error", [(np.ones((3, 4)), ValueError), ("abc", TypeError),
                                           ([1 + 2j, 3], TypeError), ([[1, 2], [3]], ValueError),
                                           ([None, 1.0], TypeError)])
def test_bad_values_are_a_clear_error(values, error):
    with pytest.raises(error, match="values"):
        smooth(values, 2)


def test_smooth_accepts_a_tensor():
    np.testing.assert_allclose(smooth(torch.tensor([1.0, 3.0]), 2), [1.0, 2.0])


# --- heatmap -----------------------------------------------------------------------------------------
def test_heatmap_colour_limits_ignore_nan_and_inf(ax):
    values = np.array([[1.0, -3.0], [NAN, 2.0]])
    image = heatmap(ax, values, colorbar=False)
    assert image.get_clim() == (-3.0, 3.0)          # before: (-0.1, 0.1), from a NaN maximum
    values[0, 0] = INF
    assert heatmap(ax, values, colorbar=False).get_clim() == (-3.0, 3.0)
    assert heatmap(ax, values, center_zero=False, colorbar=False).get_clim() == (-3.0, 2.0)


@pytest.mark.parametrize("values", [np.full((2, 3), NAN), np.full((2, 2), INF)])
def test_heatmap_of_nothing_finite_is_a_clear_error(ax, values):
    with pytest.raises(ValueError, match="no finite number"):
        heatmap(ax, values)


@pytest.mark.parametrize("values", [np.ones(4), np.ones((2, 2, 2)), np.ones((0, 3))])
def test_heatmap_needs_a_non_empty_2d_array(ax, values):
    with pytest.raises(ValueError, match="values"):
        heatmap(ax, values)


def test_heatmap_labels_must_match_the_shape(ax):
    heatmap(ax, np.ones((2, 3)), xlabels=range(3), ylabels=["a", "b"], colorbar=False)
    with pytest.raises(ValueError, match="one label per column"):
        heatmap(ax, np.ones((2, 3)), xlabels=range(2))
    with pytest.raises(ValueError, match="one label per row"):
        heatmap(ax, np.ones((2, 3)), ylabels=range(3))
    with pytest.raises(TypeError, match="xlabels"):
        heatmap(ax, np.ones((2, 3)), xlabels="abc")


def test_heatmap_accepts_a_tensor_that_requires_grad(ax):
    heatmap(ax, torch.ones(2, 3, requires_grad=True), colorbar=False)


# --- plot_history ------------------------------------------------------------------------------------
def test_plot_history_checks_its_runs_and_baselines(ax):
    good = History(steps=[1, 2, 3], loss=[3.0, 2.5, NAN], val_steps=[3], val_loss=[2.4])
    plot_history({"run": good}, ax=ax, baselines={"uniform": np.float64(3.3)}, smooth_window=2)
    with pytest.raises(ValueError, match="at least one run"):
        plot_history({}, ax=ax)
    with pytest.raises(TypeError, match="History"):
        plot_history({"run": [1.0, 2.0]}, ax=ax)
    with pytest.raises(ValueError, match="must match"):
        plot_history({"run": History(steps=[1, 2], loss=[1.0])}, ax=ax)
    with pytest.raises(ValueError, match="finite number"):
        plot_history({"run": good}, ax=ax, baselines={"uniform": NAN})
    with pytest.raises(ValueError, match="window"):
        plot_history({"run": good}, ax=ax, smooth_window=0)
