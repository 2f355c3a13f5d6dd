"""Workspaces: every params file writes into its own folder, so one configuration never touches another's outputs.

The project's ``params.yaml`` is the pipeline dvc.yaml describes: its workspace is the project folder. Any
other params file runs in ``workspaces/<name>/`` (``workspace:`` in the file, else the file's name without
``.params.yaml``/``.yaml``): its data, metrics, reports, fitted generators, run lock, drift batches and
generator registry all live there, laid out as in the project folder. The files a params file reads (the
data file, the contract, the causal map, a SQLite database) are named relative to the project folder, as
they are for ``params.yaml``.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from augmentation.errors import ConfigError
from tasks.params import DEFAULT_PARAMS, Params, load_params
from tasks.runs import inside

WORKSPACES = Path("workspaces")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Workspace:
    params: Params
    folder: Path       # absolute
    project: Path      # absolute: the project folder (where params.yaml, dvc.yaml and .dvc are)
    name: str | None   # None: the project's own params.yaml

    @property
    def is_default(self) -> bool:
        return self.name is None

    @property
    def where(self) -> str:
        """The folder relative to the project ("." for params.yaml's)."""
        return self.folder.relative_to(self.project).as_posix()


_entered: list[tuple[str, Workspace]] = []  # (params path as given, its workspace) while a block is inside one


def name_of(params_path: Path, p: Params) -> str:
    name = p.workspace or params_path.name.removesuffix(".yaml").removesuffix(".yml").removesuffix(".params")
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{params_path}: the workspace name {name!r} is not a plain folder name",
                          "set `workspace:` in the file to letters, digits, '-', '_' or '.', e.g. workspace: german")
    return name


def resolve(params_path: str | Path) -> Workspace:
    """The params file's workspace, from the project folder (the working directory)."""
    project = Path.cwd().resolve()
    path = Path(params_path)
    p = load_params(path)
    if path.resolve() == (project / DEFAULT_PARAMS).resolve():
        if p.workspace:
            raise ConfigError(f"{path} sets workspace: {p.workspace}, but params.yaml is the project's own pipeline "
                              "(dvc.yaml) and always runs in the project folder",
                              "remove `workspace:` from params.yaml, or put it in another params file")
        return Workspace(p, project, project, None)
    name = name_of(path, p)
    return Workspace(with_absolute_inputs(p, project), project / WORKSPACES / name, project, name)


@contextlib.contextmanager
def entered(params_path: str | Path, *, create: bool = False) -> Iterator[Workspace]:
    """Work inside the params file's workspace for the block (the working directory is its folder).

    ``create``: make the folder (a run); otherwise a workspace no run has made yet is a ConfigError. Re-entered
    with the same params path (a subflow of a flow that entered it), the block stays where it is.
    """
    if _entered and _entered[-1][0] == str(params_path):
        yield _entered[-1][1]
        return
    ws = resolve(params_path)
    if create:
        ws.folder.mkdir(parents=True, exist_ok=True)
    elif not ws.folder.is_dir():
        raise ConfigError(f"{params_path} has no workspace yet ({ws.where}/ does not exist)",
                          f"run it first: oversample run --params {params_path}")
    _entered.append((str(params_path), ws))
    try:
        with inside(ws.folder):
            yield ws
    finally:
        _entered.pop()


def project_folder() -> Path:
    """The project folder of the workspace being worked in (the working directory outside any)."""
    return _entered[-1][1].project if _entered else Path.cwd().resolve()


def with_absolute_inputs(p: Params, project: Path) -> Params:
    """``p`` with the files it reads (data file, contract, map, SQLite databases), named relative to ``project``,
    named absolutely: they are found from any working directory (a workspace, a staging folder)."""
    def absolute(value: str | None) -> str | None:
        return str(project / value) if value and not Path(value).is_absolute() else value

    def absolute_sqlite(url: str | None) -> str | None:
        if not url or not url.startswith("sqlite"):
            return url
        from sqlalchemy.engine import make_url
        parsed = make_url(url)
        if not parsed.database or parsed.database == ":memory:":
            return url
        return parsed.set(database=absolute(parsed.database)).render_as_string(hide_password=False)

    d, m = p.data, p.monitor
    data = d.model_copy(update={"path": absolute(d.path), "contract": absolute(d.contract),
                                "graph": absolute(d.graph), "sql_url": absolute_sqlite(d.sql_url)})
    return p.model_copy(update={"data": data, "monitor": m.model_copy(update={"sql_url": absolute_sqlite(m.sql_url)})})
