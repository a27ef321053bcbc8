"""The report's building blocks refuse what they would draw or lay out wrongly: a confusion matrix
whose labels do not fit it, table rows without their class."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evface.cli import main
from evface.errors import ParameterError
from evface.report import classify_section, recon_section
from evface.report.figures import confusion_png, identity_grid
from evface.report.html import build_report
from evface.report.html_parts import html_table, not_compared_list, pair_name

from report_fixtures import make_fake_run


@pytest.mark.parametrize("matrix, labels, message", [
    ([[2, 0, 0], [1, 1, 0], [0, 1, 1]], ["a", "b"], "a confusion matrix of 2 labels must be 2 x 2, got (3, 3)"),
    ([[2, 0, 0], [1, 1, 0]], ["a", "b"], "a confusion matrix of 2 labels must be 2 x 2, got (2, 3)"),
])
def test_a_confusion_matrix_not_of_its_labels_is_refused(matrix, labels, message):
    # was: drawn with the labels on some of its rows and columns only, or a non-square one drawn as it stood
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        confusion_png(matrix, labels, "t")


def test_a_metrics_file_whose_labels_do_not_fit_its_confusion_matrix_is_refused(tmp_path, capsys):
    # was: the report drew the 3 x 3 matrix with two of its rows and columns labelled, without a word
    root = make_fake_run(tmp_path / "run")
    path = root / "stages" / "events-hd-0" / "metrics.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "labels": ["a", "b"]}))
    assert main(["report", str(root), "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {path}: not as evface writes it (a confusion matrix of 2 "
                                               "labels must be 2 x 2, got (3, 3))")
    assert not (tmp_path / "r.html").exists()


def test_table_rows_and_their_classes_must_be_as_many():
    # was: the rows past the last class left out of the table without a word
    with pytest.raises(ParameterError, match=r"row_classes: 1 for 2 rows"):
        html_table(["a"], [["1"], ["2"]], ["x"])
    assert html_table(["a"], [["1"], ["2"]]).count("<tr class=") == 2


def test_a_report_of_no_run_is_refused_naming_the_argument(tmp_path):
    # was: a page of the report's title only, written at out
    with pytest.raises(ParameterError, match="^run_dirs names no run: give at least one run, evaluation or dataset folder$"):
        build_report([], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("faces, columns, message", [
    ([], 8, r"^faces holds no face: give at least one \(caption, image\)$"),  # was matplotlib's "Number of rows must be ..."
    ([("s01", np.zeros((8, 8, 3), np.uint8))], 0, "^columns must be >= 1, got 0$"),  # was a ZeroDivisionError
])
def test_an_identity_grid_of_no_face_or_no_column_is_refused(faces, columns, message):
    with pytest.raises(ParameterError, match=message):
        identity_grid(faces, columns)


def test_every_section_names_a_pair_of_runs_alike():
    # the classification section named its pairs by its own _pair_name, the reconstruction section and the list of
    # pairs not compared by the same text written inline: one function now, the same “A − B”, escaped
    pair = {"a": "hd <1>", "b": "lr & co", "not_compared": {"a": ["cvae"], "b": []}, "error": "scored on other clips",
            "classes": {"a": ["x"], "b": ["y"]}, "trainings": {"a": 1, "b": 1}}
    assert pair_name(pair) == "hd &lt;1&gt; − lr &amp; co"
    assert recon_section._one_run_only_notes([pair]).startswith(f'<p class="muted">{pair_name(pair)}: not compared')
    assert f"<li>{pair_name(pair)}: scored on other clips</li>" in not_compared_list([pair])
    assert f"{pair_name(pair)}: " in classify_section._unlike_pairs_note([pair])


def test_drawing_the_reports_figures_leaves_matplotlibs_backend_as_the_user_chose_it():
    """Importing the report's figures switched matplotlib to Agg for the whole process
    (``matplotlib.use("Agg")``): in a notebook, ``plt.show()`` showed nothing after evface drew a
    figure. The figures are drawn without pyplot now, the backend left alone."""
    script = ("import matplotlib; matplotlib.use('svg'); import numpy as np\n"
              "from evface.report.figures import face_grid\n"
              "from evface.tasks.recon_eval import write_horizon_figure\n"
              "from pathlib import Path; import sys\n"
              "png = face_grid({('happiness', 'bright'): np.zeros((8, 8))}, ['happiness'], ['bright'])\n"
              "method = {'horizon': {'ms': [0, 10], 'face_ssim': [1, 0.9], 'active_ssim': [1, 0.8], 'face_psnr': [40, 30]}}\n"
              "write_horizon_figure(Path(sys.argv[1]), {'methods': {'cvae': method}}, 'horizon')\n"
              "import matplotlib.pyplot as plt\n"
              "print(png[:4] == b'\\x89PNG', matplotlib.get_backend(), plt.get_fignums())\n")
    import subprocess  # lazy: this test's child only
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run([sys.executable, "-c", script, f"{folder}/h.png"], capture_output=True, text=True,
                                timeout=120)
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.split() == ["True", "svg", "[]"]
