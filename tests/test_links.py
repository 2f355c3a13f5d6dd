"""Links in the Prefect UI open: reports are served over HTTP by the serving process, never as file:// only."""

import urllib.error
import urllib.request

import pytest

from flows import links


def test_reports_are_linked_over_http_while_served_and_nothing_else_is_reachable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(links.REPORTS_URL, raising=False)
    (tmp_path / "reports/drift").mkdir(parents=True)
    (tmp_path / "reports/drift/00001-week 2.html").write_text("<html>drift</html>")
    (tmp_path / "params.yaml").write_text("seed: 42\n")
    assert links.report_link("reports/drift/00001-week 2.html").startswith("file:///")

    url = links.serve_reports(0)
    link = links.report_link("reports/drift/00001-week 2.html")
    assert link == f"{url}drift/00001-week%202.html"
    with urllib.request.urlopen(link, timeout=10) as reply:
        assert reply.status == 200 and reply.read() == b"<html>drift</html>"
    # only the reports folder is served: the project's other files are not reachable
    assert links.report_link("params.yaml").startswith("file:///")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}../params.yaml", timeout=10)
    assert refused.value.code == 404
