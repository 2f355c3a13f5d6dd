"""New data as batches: files dropped into the incoming folder, and new rows of a SQL table past a watermark.

Every batch meets the raw data contract before anything uses it. A bad batch is moved to the
quarantine folder with a ``<name>.reason.json`` beside it, and nothing else changes. A good batch is
copied into the accepted folder (numbered in arrival order: the recalibration window reads them in
that order) and only then removed from the incoming folder.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from augmentation.data import io
from augmentation.data.table import check_table
from augmentation.errors import OversamplingError
from tasks import stage
from tasks.params import Params
from tasks.validate import validate

SUFFIXES = {".csv", ".parquet", ".pq"}
WATERMARK = "sql_watermark.json"


@dataclass
class Batch:
    id: str
    path: Path | None = None           # the accepted copy
    rows: int = 0
    quarantined: Path | None = None    # the reason file, for a bad batch
    reason: str = ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _quarantine(p: Params, name: str, err: OversamplingError, *, source: Path | None = None,
                frame: pd.DataFrame | None = None) -> Batch:
    folder = Path(p.monitor.quarantine)
    folder.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.move(str(source), folder / source.name)
    elif frame is not None:
        io.write_parquet(frame, folder / f"{name}.parquet")
    reason = folder / f"{name}.reason.json"
    io.write_json({"batch": name, "problem": err.problem, "fix": err.fix, "quarantined_at": _now()}, reason)
    stage.logger(__name__).warning("batch %s quarantined: %s", name, err.problem)
    return Batch(id=name, quarantined=reason, reason=err.problem)


def check_batch(frame: pd.DataFrame, p: Params, *, name: str) -> pd.DataFrame:
    """The batch if it can be used; a DataError naming the problem and the fix if not."""
    check_table(frame, p.data.spec(), source=name, batch=True)
    validate(frame, p, name=name)
    return frame


def _accept(p: Params, frame: pd.DataFrame, name: str) -> Batch:
    folder = Path(p.monitor.accepted)
    number = len(list(folder.glob("*.parquet"))) + 1 if folder.is_dir() else 1
    path = folder / f"{number:05d}-{name}.parquet"
    io.write_parquet(frame, path)
    stage.logger(__name__).info("batch %s accepted: %d rows", name, len(frame))
    return Batch(id=path.stem, path=path, rows=len(frame))


def accepted(p: Params) -> list[Path]:
    """Every accepted batch, in arrival order."""
    folder = Path(p.monitor.accepted)
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def from_files(p: Params) -> list[Batch]:
    """Take every file in the incoming folder (name order): accept it, or quarantine it with the reason."""
    folder = Path(p.monitor.incoming)
    out = []
    for source in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not source.is_file() or source.name.startswith("."):
            continue  # a hidden name is a file still being written
        name = source.stem
        try:
            if source.suffix.lower() not in SUFFIXES:
                from augmentation.errors import DataError
                raise DataError(f"{source.name} is not a CSV or Parquet file", "drop .csv or .parquet batches")
            frame = check_batch(io.read_table(source), p, name=source.name)
        except OversamplingError as err:
            out.append(_quarantine(p, source.name, err, source=source))
            continue
        except Exception as exc:  # anything else about one file must not stop the queue behind it
            from augmentation.errors import DataError
            err = DataError(f"{source.name} could not be read or checked ({type(exc).__name__}: {exc})",
                            "fix the file in the quarantine folder, then drop it into the incoming folder again")
            out.append(_quarantine(p, source.name, err, source=source))
            continue
        out.append(_accept(p, frame, name))
        source.unlink()
    return out


def from_sql(p: Params, columns: list[str]) -> list[Batch]:
    """The rows of ``monitor.sql_table`` past the stored watermark, as one batch (then the watermark moves on)."""
    m = p.monitor
    if not m.sql_table:
        return []
    state = Path(m.accepted) / WATERMARK
    last = json.loads(state.read_text())["value"] if state.exists() else None
    import sqlalchemy as sa

    engine = sa.create_engine(m.sql_url)
    try:
        with engine.connect() as conn:
            # Names come from params.yaml: SQLAlchemy reflects the table and quotes every identifier, and the
            # watermark value is bound, so no text of the config is ever pasted into the SQL.
            schema, _, name = m.sql_table.rpartition(".")
            table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
            if m.watermark_column not in table.c:
                raise KeyError(f"no column {m.watermark_column!r} in {m.sql_table} (columns: {list(table.c.keys())})")
            mark = table.c[m.watermark_column]
            query = sa.select(table).order_by(mark)
            if last is not None:
                query = query.where(mark > sa.bindparam("last", last))
            frame = pd.read_sql_query(query, conn)
    except Exception as exc:
        from augmentation.errors import DataError
        raise DataError(f"reading new rows from {m.sql_table} failed: {exc}",
                        "check monitor.sql_url, monitor.sql_table and monitor.watermark_column") from exc
    finally:
        engine.dispose()
    if frame.empty:
        return []
    high = frame[m.watermark_column].max()
    high = high.item() if hasattr(high, "item") else (str(high) if not isinstance(high, (int, float, str)) else high)
    name = f"sql-{m.sql_table}-{m.watermark_column}-{high}"
    if m.watermark_column not in columns:
        frame = frame.drop(columns=m.watermark_column)
    try:
        batch = _accept(p, check_batch(frame, p, name=name), name)
    except OversamplingError as err:
        batch = _quarantine(p, name, err, frame=frame)
    io.write_json({"value": high, "updated_at": _now()}, state)  # a bad batch is not read again either
    return [batch]
