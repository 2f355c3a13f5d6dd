"""A stage's loop says where it is: item of how many, the time so far and, once one item is done, the time left."""

import logging

from tasks import stage


def test_progress_names_each_item_its_position_and_the_time_left(caplog):
    with caplog.at_level(logging.INFO, logger="fit"):
        seen = list(stage.progress([("smote", 1), ("scm", 2), ("o2", 3)], "fit", total=3, name=lambda t: t[0]))
    assert [m for m, _ in seen] == ["smote", "scm", "o2"]
    lines = [r.getMessage() for r in caplog.records if r.name == "fit"]
    assert lines[0].startswith("fit 1/3: smote (") and "left" not in lines[0]  # no pace yet
    assert lines[1].startswith("fit 2/3: scm (") and "s left)" in lines[1]
    assert lines[2].startswith("fit 3/3: o2 (")


def test_a_callback_progress_counts_what_finished(caplog):
    with caplog.at_level(logging.INFO, logger="evaluate"):
        tracker = stage.Progress("evaluate", 2, logging.getLogger("evaluate"))
        tracker.finished("none")
        tracker.finished("smote")
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["evaluate 1/2 done: none",
                                                                       "evaluate 2/2 done: smote"]
