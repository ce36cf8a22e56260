"""The GitHub Pages workflow builds the book with the README's command and publishes it."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def load_workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def test_workflow_builds_with_the_readme_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make book" in readme
    build = load_workflow()["jobs"]["build"]
    commands = [s.get("run", "") for s in steps(build)]
    assert any(c.strip().startswith("make book") for c in commands), commands


def test_workflow_uploads_the_built_site_and_deploys_it():
    jobs = load_workflow()["jobs"]
    uploads = [s for s in steps(jobs["build"])
               if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in steps(deploy))


def test_workflow_runs_on_pushes_to_main_with_pages_permissions():
    workflow = load_workflow()
    triggers = workflow.get(True, workflow.get("on"))  # YAML 1.1 reads a bare `on` as True
    assert "main" in triggers["push"]["branches"]
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
