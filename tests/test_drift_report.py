"""The Evidently drift page says what it compares and shows the p-values its widgets round to 0."""

from augmentation.data.simulate import simulate_trauma
from augmentation.monitoring.drift import detect_drift, write_html


def test_the_drift_page_says_it_compares_minority_rows_and_shows_exact_p_values(tmp_path):
    reference, current = simulate_trauma(3000, seed=1), simulate_trauma(3000, seed=2, drift=1.0)
    ref, cur = (f[f["mortality"] == 1].drop(columns="mortality") for f in (reference, current))
    result = detect_drift(ref, cur, categorical=["sex"], reference_minority_rate=float(reference["mortality"].mean()),
                          current_minority_rate=float(current["mortality"].mean()), stattest_threshold=0.01)
    write_html(result, tmp_path / "drift.html", title="Drift of batch <week2>")
    page = (tmp_path / "drift.html").read_text()
    assert "Minority rows only" in page and f"the {len(cur)} minority (positive-label) rows" in page
    assert "Drift of batch &lt;week2&gt;" in page and "<week2>" not in page
    tiny = min(r["p_value"] for r in result.columns.values())
    assert tiny < 1e-4 and f"<td>{tiny:.3g}</td>" in page
    body = page[page.index("<body"):]
    assert body.index("Minority rows only") < 1000  # the note opens the page's body, above the widgets
