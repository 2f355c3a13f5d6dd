"""Stage 1: read the source named in params.yaml into data/raw/ as Parquet, with its content hash."""

from __future__ import annotations

from augmentation.data import io
from augmentation.data.table import check_table
from tasks import paths, stage
from tasks.params import Params


def load_source(p: Params):
    """The raw table from the configured source, checked for the problems that would break later stages."""
    d = p.data
    if d.source == "simulator":
        from augmentation.data.simulate import simulate_trauma
        frame = simulate_trauma(rows=p.simulate.rows, seed=p.seed, drift=p.simulate.drift)
        where = "the simulator"
    elif d.source == "german_credit":
        from augmentation.data.examples import load_german_credit
        frame, where = load_german_credit(), "the German credit example"
    elif d.source == "file":
        frame, where = io.read_table(d.path), d.path
    else:
        frame, where = io.read_sql(d.sql_url, d.sql_query), f"the SQL query on {d.sql_url}"
    check_table(frame, d.spec(), source=where)
    return frame, where


def run(p: Params) -> list[str]:
    """Ingest the configured source."""
    frame, where = load_source(p)
    io.write_parquet(frame, paths.RAW)
    io.write_json({"source": where, "rows": len(frame), "columns": list(frame.columns),
                   "sha256": io.frame_hash(frame)}, paths.RAW_META)
    stage.logger(__name__).info("ingested %d rows from %s", len(frame), where)
    return [str(paths.RAW), str(paths.RAW_META)]


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
