"""Forbidden-row conditions: a closed grammar. A map file cannot run code; legitimate conditions mean what they say."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from augmentation.causal.constraints import apply_constraints
from augmentation.causal.expressions import parse
from augmentation.causal.map import CausalMap
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError
from tasks.maps import load_map

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["age", "sex", "score", "my col"]
FRAME = pd.DataFrame({"age": [18, 30, 45, 60, 75], "sex": ["F", "M", "F", None, "M"],
                      "score": [1.0, np.nan, 7.0, 9.5, -2.0], "my col": [0, 5, 10, 15, 20]})
TRAUMA_SPEC = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
PWNED = "pwned.txt"
PAYLOAD = f"@pd.io.common.os.system('id > {PWNED}') > 0"  # ran a shell command through pandas eval
ATTACKS = [
    PAYLOAD,
    f"__import__('os').system('touch {PWNED}') > 0",
    "age.__class__.__mro__ > 0",
    "@age > 0",
    f"(lambda: __import__('os').system('touch {PWNED}'))() > 0",
    f"f'{{__import__(\"os\").system(\"touch {PWNED}\")}}' == 'x'",
    f"open('{PWNED}', 'w') > 0",
    "score[0] > 1",
    "age + 1 > 2",
    "age > 1; import os",
    "(" * 500 + "age > 1" + ")" * 500,  # deeper than the parser nests
    "(" * 10_000 + "age > 1" + ")" * 10_000,  # longer than a condition may be
    "not " * 10_000 + "age > 1",
]


@pytest.mark.parametrize("text", ATTACKS, ids=range(len(ATTACKS)))
def test_code_and_anything_outside_the_grammar_is_refused_without_side_effect(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="cannot be evaluated: it .*\\(at character \\d+\\)") as caught:
        parse(text, COLUMNS)
    assert str(caught.value).count("fix:") == 1 and len(str(caught.value)) < 800  # one message, even for 10,000 levels
    # A map built by hand (bypassing from_dict) still cannot run it: evaluation parses again.
    hand_made = CausalMap(nodes=("age", "y"), edges=(("age", "y"),), label="y", forbidden=(text,))
    with pytest.raises(ConfigError):
        hand_made.forbidden_rows(pd.DataFrame({"age": [1, 2], "y": [0, 1]}))
    assert not (tmp_path / PWNED).exists()


@pytest.mark.parametrize("text, expected", [
    ("score > 5", [0, 0, 1, 1, 0]),                      # a missing score meets no comparison...
    ("score != 7", [1, 1, 0, 1, 1]),                     # ...except !=, as in pandas
    ("score > -1 and age < 50", [1, 0, 1, 0, 0]),
    ("age < 20 or age > 70", [1, 0, 0, 0, 1]),
    ("age < 20 | age > 70 & sex == 'M'", [1, 0, 0, 0, 1]),  # & | bind like and/or, not like Python's bitwise ops
    ("not (sex == \"F\")", [0, 1, 0, 1, 1]),
    ("~(age >= 45)", [1, 1, 0, 0, 0]),
    ("30 <= age <= 60", [0, 1, 1, 1, 0]),
    ("60 > age", [1, 1, 1, 0, 0]),
    ("sex in ['M']", [0, 1, 0, 0, 1]),
    ("sex not in ['M', 'F']", [0, 0, 0, 1, 0]),
    ("`my col` >= 10 and score < age", [0, 0, 1, 1, 1]),
    ("(age > 40 and (sex == 'M' or score > 9)) or `my col` == 5", [0, 1, 0, 1, 1]),
    ("age > 1e2", [0, 0, 0, 0, 0]),
])
def test_legitimate_conditions_give_the_hand_computed_mask(text, expected):
    mask = parse(text, COLUMNS).mask(FRAME)
    assert mask.dtype == bool and mask.tolist() == [bool(e) for e in expected]


def test_unknown_column_and_type_mismatch_name_the_problem():
    with pytest.raises(ConfigError,
                       match="'gsc > 15' .* names unknown column 'gsc'\n  fix: use the map's columns: \\['age'"):
        parse("gsc > 15", COLUMNS)
    with pytest.raises(ConfigError, match="'sex > 3' cannot be evaluated on the data"):
        parse("sex > 3", COLUMNS).mask(FRAME)


def trauma_map_with(forbidden, path):
    raw = yaml.safe_load((ROOT / "configs" / "trauma_graph.yaml").read_text())
    path.write_text(yaml.safe_dump({**raw, "forbidden": forbidden}))
    return path


def test_a_map_file_with_the_payload_fails_at_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = trauma_map_with(["spo2 > 100", PAYLOAD], tmp_path / "evil.yaml")
    with pytest.raises(ConfigError) as caught:
        load_map(path).complete(simulate_trauma(300, seed=1), TRAUMA_SPEC)  # complete(): where pandas ran it
    assert not (tmp_path / PWNED).exists()
    message = str(caught.value)
    assert PAYLOAD in message and str(path) in message and "'@'" in message and message.count("fix:") == 1


def test_shipped_forbidden_rows_still_reject_generated_rows(tmp_path):
    done = load_map(ROOT / "configs" / "trauma_graph.yaml")
    real = simulate_trauma(500, seed=4)
    done = done.complete(real, TRAUMA_SPEC)
    synthetic = real.head(4).copy()
    synthetic.loc[[1, 3], "spo2"] = 101.0  # bounds repair would clip spo2; reject mode counts the first violation
    synthetic.loc[2, "gcs"] = 2
    masks = dict(done.forbidden_rows(synthetic))
    assert masks["spo2 > 100"].tolist() == [False, True, False, True]
    assert masks["gcs < 3 or gcs > 15"].tolist() == [False, False, True, False]
    kept, report = apply_constraints(synthetic, done, real=real, mode="reject")
    assert len(kept) == 1 and report.n_rows_rejected == 3


def test_cli_resample_with_the_payload_map_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.chdir(tmp_path)
    data = tmp_path / "cohort.csv"
    simulate_trauma(600, seed=2).to_csv(data, index=False)
    graph = trauma_map_with([PAYLOAD], tmp_path / "evil.yaml")
    out = tmp_path / "augmented.csv"
    result = CliRunner().invoke(app, ["resample", "--data", str(data), "--target", "mortality", "--categorical", "sex",
                                      "--method", "smote", "--graph", str(graph), "--out", str(out)])
    assert not (tmp_path / PWNED).exists() and not out.exists()
    assert result.exit_code == 2, result.output
    assert "cannot be evaluated: it uses '@'" in result.output and result.output.count("error:") == 1
