"""tools/recon_seeds.py: one method against another over runs of one stage trained with other seeds."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from evface.tasks.recon_eval import SCORE_COLUMNS, SCORES_CSV

TOOL = Path(__file__).resolve().parents[1] / "tools" / "recon_seeds.py"


def _scores(folder: Path, cvae_minus_unet: dict[tuple[str, str], float]) -> Path:
    """A run folder whose apex samples (one per subject and lighting) score the UNet 0.9 and the
    CVAE 0.9 plus the given difference; one non-apex sample the tool must leave out."""
    folder.mkdir(parents=True)
    with open(folder / SCORES_CSV, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, SCORE_COLUMNS)
        w.writeheader()
        for (subject, light), d in cvae_minus_unet.items():
            for method, ssim in (("cvae", 0.9 + d), ("e2vid", 0.9)):
                w.writerow({"clip_id": f"{subject}_{light}", "subject": subject, "lighting": light, "aus": "AU4",
                            "t_us": 300000, "horizon_ms": 300.0, "phase": "apex+offset", "method": method,
                            "face_ssim": ssim, "face_psnr": 30, "active_ssim": ssim, "active_psnr": 30})
                w.writerow({"clip_id": f"{subject}_{light}", "subject": subject, "lighting": light, "aus": "AU4",
                            "t_us": 100000, "horizon_ms": 100.0, "phase": "", "method": method,
                            "face_ssim": 0.5 if method == "cvae" else 0.0, "face_psnr": 30, "active_ssim": 0.5,
                            "active_psnr": 30})
    return folder


def test_each_run_the_mean_over_runs_and_each_subject_per_run(tmp_path: Path) -> None:
    subjects = [f"s{i:03d}" for i in range(4)]
    seed0 = _scores(tmp_path / "s0", {(s, light): (0.02 if light == "dim" else 0.0) for s in subjects
                                      for light in ("bright", "dim")})
    seed1 = _scores(tmp_path / "s1", {(s, light): (-0.04 if light == "dim" else 0.0) for s in subjects
                                      for light in ("bright", "dim")})
    done = subprocess.run([sys.executable, str(TOOL), str(seed0), str(seed1)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first, second, mean = out.split(str(seed0))[1], out.split(str(seed1))[1], out.split("mean over the 2 runs")[1]
    assert "dim       +0.0200 [+0.0200, +0.0200]  4 samples, 4 subjects" in first
    assert "dim       -0.0400 [-0.0400, -0.0400]" in second
    assert "(8 samples scored in all)" in mean and "dim       -0.0100 [-0.0100, -0.0100]" in mean
    assert "bright    +0.0000" in mean and "all       -0.0050" in mean
    assert "  s002 +0.0200 -0.0400" in out.split("per subject, dim")[1]


def test_a_method_not_in_the_scores_is_named(tmp_path: Path) -> None:
    run = _scores(tmp_path / "s0", {("s000", "dim"): 0.0})
    done = subprocess.run([sys.executable, str(TOOL), str(run), "--b", "unet"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0 and "no method unet" in done.stderr
