"""Reading sources and writing outputs atomically, with content hashes."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augmentation.data.table import check_unique_columns
from augmentation.errors import ConfigError, DataError


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (both through pyarrow)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {path} does not exist",
                        "check the path (relative paths start at the project folder)")
    if path.is_dir():
        raise DataError(f"data path {path} is a folder, not a file", "point the source at one .csv or .parquet file")
    if path.stat().st_size == 0:
        raise DataError(f"data file {path} is empty", "point the source at a file with a header row and data rows")
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            frame = pd.read_parquet(path, engine="pyarrow")
        elif suffix in {".csv", ".txt"}:
            frame = pd.read_csv(path, engine="pyarrow")
        else:
            raise DataError(f"{path} has the unsupported suffix {suffix!r}", "use a .csv or .parquet file")
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises several unrelated types for a corrupt file
        kind = "Parquet" if suffix in {".parquet", ".pq"} else "CSV"
        raise DataError(f"{path} is not a readable {kind} file ({type(exc).__name__}: {exc})",
                        f"re-export the file as valid {kind}, or point the source at another file") from exc
    if frame.empty:
        raise DataError(f"data file {path} has no rows", "point the source at a file with data rows")
    if suffix in {".csv", ".txt"}:
        _check_separator(frame, path)
    check_unique_columns(frame, str(path))
    return frame


SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def _check_separator(frame: pd.DataFrame, path: Path) -> None:
    """A header read as one column that holds another separator: the file is not comma-separated."""
    if len(frame.columns) != 1:
        return
    header = str(frame.columns[0])
    for sep, word in SEPARATORS.items():
        if sep in header:
            shown = header if len(header) <= 60 else header[:57] + "..."
            escaped = sep.encode("unicode_escape").decode()  # a tab shown as \t
            raise DataError(f"{path} looks like `{escaped}`-separated ({word}): its header reads as the one "
                            f"column {shown!r}",
                            "save it as comma-separated CSV, e.g. in Python "
                            f"pd.read_csv({str(path)!r}, sep={sep!r}).to_csv({str(path)!r}, index=False)")


def read_sql(url: str, query: str) -> pd.DataFrame:
    """Run ``query`` through SQLAlchemy against ``url`` (SQLite by default; any server URL works)."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
    except Exception as exc:
        raise ConfigError(f"the SQL URL {url!r} is not usable ({exc})",
                          "use a SQLAlchemy URL such as sqlite:///data/cohort.db") from exc
    try:
        with engine.connect() as conn:
            frame = pd.read_sql_query(sa.text(query), conn)
    except Exception as exc:
        raise DataError(f"the SQL query failed: {exc}", "check the query and the table names in params.yaml") from exc
    finally:
        engine.dispose()
    if frame.empty:
        raise DataError("the SQL query returned no rows", "check the query's WHERE clause and the table's contents")
    check_unique_columns(frame, "the SQL query's result")
    return frame


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output gets the user's usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    try:  # Linux reports it without changing it (threads may be creating files meanwhile)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)  # elsewhere reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write Parquet atomically; the bytes depend only on the frame."""
    _atomic_write(Path(path), lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))


def write_text(text: str, path: str | Path) -> None:
    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    _atomic_write(Path(path), write)


def write_arrays(arrays: dict[str, np.ndarray], path: str | Path) -> None:
    """Write named arrays as an ``.npz`` (``np.load`` reads it, no pickle) atomically. Unlike ``np.savez`` the bytes
    depend only on the arrays: members in name order, stamped 1980-01-01 (not the time of writing), stored
    uncompressed (no zlib version in the bytes)."""

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for name in sorted(arrays):
                buffer = BytesIO()
                np.lib.format.write_array(buffer, np.asarray(arrays[name]), allow_pickle=False)
                archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())

    _atomic_write(Path(path), write)


def write_json(data: Any, path: str | Path) -> None:
    write_text(json.dumps(json_safe(data), indent=2, sort_keys=True, allow_nan=False) + "\n", path)


def json_safe(value: Any) -> Any:
    """Plain JSON values: numpy scalars and arrays cast, NaN/NaT as null, ±inf as "inf"/"-inf", keys as text,
    anything else as its text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Path):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of a frame: column names, dtypes and values, independent of the file format."""
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
