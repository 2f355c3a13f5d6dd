"""Stage 3: a stratified hold-out of REAL rows, made before any generator sees the data."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from augmentation.data import io
from augmentation.data.table import check_table
from augmentation.seeding import derive_seed
from tasks import paths, stage
from tasks.params import Params


def run(p: Params) -> list[str]:
    """Split the raw data into training rows and a real hold-out."""
    frame = check_table(pd.read_parquet(paths.RAW), p.data.spec(), source=str(paths.RAW))
    train, test = train_test_split(frame, test_size=p.split.test_size, stratify=frame[p.data.target],
                                   random_state=derive_seed(p.seed, "split"))
    io.write_parquet(train.reset_index(drop=True), paths.TRAIN)
    io.write_parquet(test.reset_index(drop=True), paths.TEST)
    stage.logger(__name__).info("train %d rows, real hold-out %d rows", len(train), len(test))
    return [str(paths.TRAIN), str(paths.TEST)]


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
