"""The constraint layer: the map's domains applied to any generator's rows, by repair or rejection, counted."""

import numpy as np
import pandas as pd
import pytest

from augmentation.causal.constraints import apply_constraints
from augmentation.causal.map import CausalMap
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError

MAP = CausalMap.from_dict({
    "label": "y", "nodes": ["age", "sex", "score", "y"],
    "edges": [["age", "score"], ["sex", "score"], ["score", "y"]],
    "variables": {"age": {"type": "integer", "bounds": [18, 90], "immutable": True},
                  "sex": {"immutable": True}, "score": {"bounds": [0, 10]}},
    "forbidden": ["score > 9 and age < 20"],
})
REAL = pd.DataFrame({"age": [18, 30, 45, 60], "sex": ["F", "M", "F", "M"], "score": [1.0, 5.0, 7.0, 8.0],
                     "y": [0, 1, 0, 1]})
DONE = MAP.complete(REAL, TableSpec(target="y", categorical=("sex",)))
# row 0 valid; 1 fractional age; 2 score out of bounds; 3 unknown sex; 4 unseen age 33; 5 forbidden; 6 missing
SYNTHETIC = pd.DataFrame({"age": [30.0, 44.6, 45.0, 30.0, 33.0, 18.0, np.nan],
                          "sex": ["M", "F", "F", "X", "M", "F", "M"],
                          "score": [5.0, 6.0, 12.0, 5.0, 5.0, 9.5, 5.0], "y": 1})


def test_repair_fixes_what_it_can_and_rejects_the_rest():
    kept, report = apply_constraints(SYNTHETIC, DONE, real=REAL, mode="repair", method="smote")
    # The unknown category, the forbidden combination and the missing value cannot be repaired.
    assert report.rejected == {"missing": 1, "category": 1, "forbidden": 1}
    assert report.repaired == {"integer": 1, "bounds": 1, "immutable": 1}
    assert (report.n_rows_in, report.n_rows_out, report.n_rows_rejected, report.n_rows_repaired) == (7, 4, 3, 3)
    assert kept.age.tolist() == [30, 45, 45, 30]  # 44.6 -> 45 (rounded), 33 -> 30 (nearest observed age)
    assert kept.score.tolist() == [5.0, 6.0, 10.0, 5.0]
    assert set(kept.sex) <= {"F", "M"}


def test_reject_drops_every_violating_row():
    kept, report = apply_constraints(SYNTHETIC, DONE, real=REAL, mode="reject")
    assert len(kept) == 1 and kept.iloc[0].tolist() == [30.0, "M", 5.0, 1]
    assert report.n_rows_rejected == 6 and report.n_rows_repaired == 0
    assert sum(report.rejected.values()) == 6  # each rejected row counted once, under its first violation


def test_off_passes_rows_through_and_unknown_mode_is_refused():
    kept, report = apply_constraints(SYNTHETIC, DONE, real=REAL, mode="off")
    assert len(kept) == 7 and report.n_rows_rejected == 0
    with pytest.raises(ConfigError, match="constraints mode 'fix'"):
        apply_constraints(SYNTHETIC, DONE, real=REAL, mode="fix")
