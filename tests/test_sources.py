"""Ingestion from each kind of source: a CSV file, a Parquet file, a real SQLite database."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from augmentation.data.simulate import simulate_trauma
from augmentation.errors import DataError
from tasks import ingest, paths
from tasks.params import load_params
from tests.conftest import write_params


@pytest.fixture(scope="module")
def cohort():
    return simulate_trauma(rows=800, seed=4)


def ingested() -> pd.DataFrame:
    ingest.run(load_params())
    return pd.read_parquet(paths.RAW)


@pytest.mark.parametrize("name", ["cohort.csv", "cohort.parquet"])
def test_file_sources(project, cohort, name):
    path = project / name
    cohort.to_csv(path, index=False) if name.endswith(".csv") else cohort.to_parquet(path)
    write_params(project, data={"source": "file", "path": name})
    pd.testing.assert_frame_equal(ingested(), cohort)
    meta = json.loads(paths.RAW_META.read_text())
    assert meta["rows"] == len(cohort) and len(meta["sha256"]) == 64


def test_sql_source(project, cohort):
    url = f"sqlite:///{project / 'hospital.db'}"
    engine = sa.create_engine(url)
    cohort.to_sql("admissions", engine, index=False)
    engine.dispose()
    write_params(project, data={"source": "sql", "sql_url": url,
                                "sql_query": "SELECT * FROM admissions WHERE age >= 18"})
    expected = cohort[cohort.age >= 18].reset_index(drop=True)
    pd.testing.assert_frame_equal(ingested(), expected, check_dtype=False)


def test_sql_query_error_names_the_fix(project, cohort):
    write_params(project, data={"source": "sql", "sql_url": f"sqlite:///{project / 'empty.db'}",
                                "sql_query": "SELECT * FROM missing_table"})
    with pytest.raises(DataError, match=r"the SQL query failed: .*no such table: missing_table") as caught:
        ingested()
    assert caught.value.fix == "check the query and the table names in params.yaml"
    assert "fix: check the query and the table names in params.yaml" in str(caught.value)


def test_same_content_same_hash_whatever_the_format(project, cohort):
    hashes = []
    for name in ("a.csv", "a.parquet"):
        path = project / name
        cohort.to_csv(path, index=False) if name.endswith(".csv") else cohort.to_parquet(path)
        write_params(project, data={"source": "file", "path": name})
        ingested()
        hashes.append(json.loads(paths.RAW_META.read_text())["sha256"])
    assert hashes[0] == hashes[1]


def test_outputs_get_the_users_umask_not_mkstemps_0600(tmp_path):
    import os
    import stat

    from augmentation.data import io

    old = os.umask(0o022)
    try:
        io.write_json({"a": 1}, tmp_path / "m.json")
        io.write_text("x", tmp_path / "r.md")
    finally:
        os.umask(old)
    for name in ("m.json", "r.md"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
