"""A second params file runs in its own workspace, and no everyday DVC command loses a generator version.

Real parts: the `oversample` CLI in-process on the session's Prefect API, a real git + DVC repo (the built site,
whose v1 is recorded in dvc.lock and pushed to its local remote), real `dvc checkout`, `dvc repro`, `dvc gc -w`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import use_copy

DEFAULT_OUTPUTS = ("data", "metrics", "reports", "models/generators", "models/registry", "dvc.lock")


def hashes(root: Path, *names: str) -> dict[str, str]:
    files = []
    for name in names:
        path = root / name
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def dvc(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "dvc", *args], capture_output=True, text=True)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def test_a_workspace_is_named_after_its_file_unless_it_names_one(tmp_path, monkeypatch):
    from augmentation.errors import ConfigError
    from tasks import workspace

    monkeypatch.chdir(tmp_path)
    Path("params.yaml").write_text("seed: 1\n")
    Path("german.params.yaml").write_text("seed: 1\ndata: {graph: configs/g.yaml}\n")
    Path("mine.yaml").write_text("seed: 1\nworkspace: credit-2026\n")
    assert workspace.resolve("params.yaml").folder == tmp_path and workspace.resolve("params.yaml").is_default
    german = workspace.resolve("german.params.yaml")
    assert german.where == "workspaces/german" and german.params.data.graph == str(tmp_path / "configs/g.yaml")
    assert workspace.resolve("mine.yaml").where == "workspaces/credit-2026"
    with pytest.raises(ConfigError, match="no workspace yet"), workspace.entered("german.params.yaml"):
        pass  # a command that only reads (generators list, monitor) makes no folder
    assert not Path("workspaces").exists()
    with workspace.entered("german.params.yaml", create=True) as ws:
        assert Path.cwd() == ws.folder == tmp_path / "workspaces/german"
    assert Path.cwd() == tmp_path
    Path("bad.yaml").write_text("workspace: ../elsewhere\n")
    with pytest.raises(ConfigError, match="not a plain folder name"):
        workspace.resolve("bad.yaml")
    Path("params.yaml").write_text("workspace: other\n")
    with pytest.raises(ConfigError, match="always runs in the project folder"):
        workspace.resolve("params.yaml")


@pytest.fixture(scope="module")
def two_workspaces(built, tmp_path_factory):
    """The built site after `oversample run --params other.params.yaml` (another seed, same data kind)."""
    with pytest.MonkeyPatch.context() as patch:
        site = use_copy(built, tmp_path_factory.mktemp("workspaces"), patch)
        before = hashes(site, *DEFAULT_OUTPUTS)
        other = yaml.safe_load(Path("params.yaml").read_text()) | {"seed": 7}
        Path("other.params.yaml").write_text(yaml.safe_dump(other, sort_keys=False))
        from flows.cli import app
        done = CliRunner().invoke(app, ["run", "--params", "other.params.yaml"])
        assert done.exit_code == 0, done.output
        yield site, before, done.output


def test_another_params_file_runs_in_its_own_workspace_and_leaves_the_default_alone(two_workspaces):
    site, before, output = two_workspaces
    assert hashes(site, *DEFAULT_OUTPUTS) == before  # not one byte of the default pipeline changed
    assert "Data and pipelines are up to date" in dvc("status").stdout
    ws = site / "workspaces/other"
    assert "workspace: workspaces/other/" in output and "generator version: v1 (active" in output, output
    for name in ("data/split/train.parquet", "metrics/summary.json", "reports/audit.html", "models/generators"):
        assert (ws / name).exists(), name
    assert json.loads((ws / "data/raw/meta.json").read_text())["rows"] == 3000
    # Its registry is versioned like the default one: tracked by DVC (its .dvc files are for git), its outputs
    # ignored by git.
    assert (ws / "models/registry/v1.dvc").is_file() and (ws / "models/registry/registry.json.dvc").is_file()
    untracked = git("status", "--porcelain", "--untracked-files=all", "workspaces").split()[1::2]
    assert "workspaces/other/models/registry/v1.dvc" in untracked, untracked
    assert all(name.endswith((".dvc", ".gitignore")) for name in untracked), untracked
    from flows.cli import app
    listed = CliRunner().invoke(app, ["generators", "list", "--params", "other.params.yaml"])
    assert listed.exit_code == 0 and listed.output.startswith("* v1"), listed.output


def test_every_version_survives_dvc_checkout_repro_and_gc(two_workspaces, tmp_path, monkeypatch):
    from tasks import paths, versions
    from tasks.params import load_params

    site = use_copy(two_workspaces[0], tmp_path, monkeypatch)
    p = load_params("params.yaml")
    versions.register(p, root=Path("."), summary=json.loads(paths.RUN_SUMMARY.read_text()),
                      trigger={"kind": "manual"}, batches=[], activate=True)  # v2: the registry has a history
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "two workspaces")  # as a team commits it
    registries = ("models/registry", "workspaces/other/models/registry")
    kept = hashes(site, *registries)
    assert {"models/registry/v1/data/train.parquet", "models/registry/v2/data/train.parquet",
            "workspaces/other/models/registry/v1/data/train.parquet"} <= set(kept)
    for command in (["checkout"], ["repro"], ["gc", "--workspace", "--force"], ["checkout", "--force"]):
        dvc(*command)
        assert hashes(site, *registries) == kept, command
    # After gc the cache still holds every version: a deleted version folder comes back from it.
    shutil.rmtree("models/registry/v1")
    shutil.rmtree("workspaces/other/models/registry/v1")
    dvc("checkout")
    assert hashes(site, *registries) == kept
    for folder in registries:
        reg = versions.Registry(folder)
        assert [r["id"] for r in reg.versions() if reg.verify(r["id"])] == []
