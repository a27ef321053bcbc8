"""The HTML report: self-contained, complete, and readable in a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evface.cli import main
from evface.errors import DatasetError
from evface.report.html import build_report

from report_fixtures import LABELS, make_fake_run


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory) -> Path:
    return make_fake_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def report(fake_run) -> Path:
    return build_report([fake_run], fake_run / "report.html")


def test_report_is_self_contained(report):
    text = report.read_text()
    # No external asset: every src is inline data, and no stylesheet or script is linked.
    sources = re.findall(r'src="([^"]*)"', text)
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert "<link" not in text and "http://" not in text and "https://" not in text


def test_report_shows_tables_and_paper_numbers(report):
    text = report.read_text()
    for anchor in ('id="dataset"', 'id="classification"', 'id="reconstruction"', 'id="provenance"'):
        assert anchor in text
    assert "51.23" in text and "23.12" in text and "0.8513" in text and "26.89" in text
    for label in LABELS:
        assert label in text
    assert "50.0" in text  # the classification run's top-1, as a percentage
    assert "image/gif" in text  # the event-vs-RGB animation


def test_report_cli_and_bad_folder(fake_run, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(fake_run), "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert main(["report", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_report_rejects_unknown_folder(tmp_path):
    with pytest.raises(DatasetError, match="neither an evface run"):
        build_report([tmp_path], tmp_path / "r.html")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


@pytest.mark.slow
@pytest.mark.parametrize("window", [(1280, 2000), (390, 1600)], ids=["desktop", "phone"])
def test_report_renders_in_chromium(report, tmp_path, window):
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (.ci/run installs Debian's chromium package)")
        pytest.skip("Chromium not installed: apt-get install chromium to run the browser test")
    profile = tmp_path / "profile"
    url = report.resolve().as_uri()
    dom = subprocess.run([chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console_errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line and ("Error" in line or "Uncaught" in line)]
    assert not console_errors, console_errors
    assert dom.stdout.count("<table") >= 3 and "AU classification" in dom.stdout
    shot = tmp_path / f"report-{window[0]}.png"
    subprocess.run([chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", f"--window-size={window[0]},{window[1]}",
                    f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape == (window[1], window[0])
    assert pixels.std() > 10  # not a blank page
    keep = os.environ.get("EVFACE_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)
