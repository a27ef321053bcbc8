"""Frame reconstruction end to end: training, evaluation, resume, CLI (evface.tasks.reconstruct and its recon_* modules)."""

import copy
import errno
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from recon_fixtures import SENSOR_SCALE, make_clip, make_fake_dataset

from evface.cli import main
from evface.errors import FormatError, ParameterError
from evface.inputs.recon_dataset import build_samples
from evface.inputs.reconstruct import ReconSamples, ReconSpec
from evface.io.clip_reader import read_clip
from evface.io.clip_writer import write_clip
from evface.io.dataset import DatasetFolder
from evface.models.cvae import CVAE
from evface.tasks import checkpoints, engine, recon_predict, recon_training, reconstruct, run_folder
from evface.tasks.configs import ReconstructConfig
from evface.tasks.recon_nets import condition, cvae_samples, kl_per_channel, n_condition, predict_cvae, with_history
from evface.tasks.recon_predict import baselines
from evface.tasks.recon_run import protocol_parts
from evface.tasks.recon_training import sequences
from evface.tasks.recon_speed import throughput
from evface.tasks.reconstruct import evaluate_run, figures, fit_part, pool_parts, prepare, train, train_and_evaluate

TINY = ReconstructConfig(size=32, crop=16, n_bins=3, base=4, z_channels=2, batch_size=8, epochs=2, patience=0,
                         k_samples=2, step_us=40_000, seq_len=3, threads=1, device="cpu", val_fraction=0.25)


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    return make_fake_dataset(tmp_path_factory.mktemp("recon") / "data", n_subjects=4, clips_per_subject=1,
                             duration_us=300_000)


TWO_FOLDS = replace(TINY, folds=2, epochs=1, val_fraction=0.5)
"""The two-fold, one-epoch training that the seeds and steps tests compare their runs with."""
TWO_FOLDS_TOGETHER = pytest.mark.xdist_group("recon-two-folds")
"""With make test's ``--dist loadgroup``, the tests of `two_folds` run in one worker, so it trains once."""


@pytest.fixture(scope="module")
def _two_folds_trained(fake, tmp_path_factory) -> tuple[dict, Path]:
    """:data:`TWO_FOLDS` trained and evaluated in one call on `fake`, once for the module: its metrics and run folder."""
    run = tmp_path_factory.mktemp("two-folds") / "run"
    return train_and_evaluate(fake, run, TWO_FOLDS), run


@pytest.fixture
def two_folds(_two_folds_trained, tmp_path) -> tuple[dict, Path]:
    """This test's own copy of `_two_folds_trained`: its metrics and its run folder copied to ``tmp_path/one``,
    which the test may change."""
    metrics, run = _two_folds_trained
    return copy.deepcopy(metrics), shutil.copytree(run, tmp_path / "one")


def test_fake_clip_has_events_of_both_polarities():
    clip = make_clip("c", "s", "bright", 0, duration_us=100_000)
    for name in SENSOR_SCALE:
        p = clip.events[name]["p"]
        assert (p > 0).any() and (p < 0).any()
    assert clip.events["hd"].size > clip.events["lr"].size


def test_end_to_end_train_evaluate_resume(fake, tmp_path):
    run = tmp_path / "run"
    metrics = train_and_evaluate(fake, run, TINY)
    assert metrics["protocol"] == "extrapolation"
    assert set(metrics["methods"]) == {"cvae", "e2vid", "integration", "keyframe", "rgb_hold", "rgb_flow"}
    for m in metrics["methods"].values():
        assert 0.2 < m["all"]["ssim"] < 1 and 5 < m["all"]["psnr"] < 100  # near the target, yet not the target itself
        assert set(m["apex"]) >= {"face", "active", "au", "brows", "mouth"}
        assert len(m["horizon"]["ms"]) == len(m["horizon"]["face_ssim"]) > 3
        assert sum(m["horizon"]["n"]) == metrics["n_samples"]
    # the keyframe-copy reference gains nothing over itself and every method is paired with it
    assert set(metrics["gain_over_keyframe"]) == set(metrics["methods"]) - {"keyframe"}
    assert set(metrics["cvae_vs"]) == set(metrics["methods"]) - {"cvae"}
    d = metrics["cvae_vs"]["keyframe"]["apex_face_ssim"]
    assert d["ci"][0] <= d["mean"] <= d["ci"][1] and d["n_clusters"] == 1
    by_light = metrics["cvae_vs"]["keyframe"]["apex_by_lighting"]  # the same apex samples, split by lighting
    assert sum(v["face"]["n"] for v in by_light.values()) == d["n"]
    assert sum(v["face"]["mean"] * v["face"]["n"] for v in by_light.values()) / d["n"] == pytest.approx(d["mean"])
    latent = metrics["latent"]
    assert len(latent["kl_per_channel"]) == 2 and latent["k"] == 2 and latent["spread_face"] >= 0
    prior = metrics["methods"]["cvae"]["apex"]
    assert latent["apex_ssim_prior_mean"] == pytest.approx({a: prior[a]["ssim"] for a in ("face", "active")})
    assert 0.2 < latent["apex_ssim_mean_of_2"]["face"] < 1
    on_disk = json.loads((run / "metrics.json").read_text())
    assert on_disk["methods"]["cvae"]["all"]["ssim"] == pytest.approx(metrics["methods"]["cvae"]["all"]["ssim"])
    assert (run / "apex.png").stat().st_size > 1000 and (run / "horizon.png").stat().st_size > 1000
    config = run_folder.load_config(run)
    assert config["task"] == "reconstruct" and config["protocol"] == "extrapolation"
    (split,) = config["parts"]
    assert split["dir"] == "." and set(split["test"]).isdisjoint(split["train"] + split["val"])
    assert metrics["evaluation"] == "subject split" and metrics["subjects"] == split["test"]
    history = json.loads((run / "history.json").read_text())
    assert len(history) == 2
    assert min(h["kl"] for h in history) > 1e-3  # the posterior does not collapse
    assert len(json.loads((run / "e2vid" / "history.json").read_text())) == 2
    # resume: a finished run is not trained again
    again = train(fake, run, TINY)
    assert again["parts"][0]["cvae"]["epochs_run"] == 2
    assert len(json.loads((run / "history.json").read_text())) == 2
    # evaluation elsewhere leaves the run's metrics alone
    other = evaluate_run(run, fake, tmp_path / "eval")
    assert other["methods"]["keyframe"]["all"]["ssim"] == pytest.approx(metrics["methods"]["keyframe"]["all"]["ssim"])
    assert (tmp_path / "eval" / "metrics.json").exists()
    # resuming with other settings is refused, naming them
    with pytest.raises(ParameterError, match=r"trained with --base 4; given --base 8"):
        train(fake, run, replace(TINY, base=8))


def test_names_holding_dollar_signs_are_drawn_as_text_in_the_runs_figures(tmp_path):
    # a lighting named "$\\bad$" (a received dataset's) was read as mathtext: matplotlib raised while the apex figure
    # was written, and the training or evaluation stopped there
    from types import SimpleNamespace

    from evface.tasks import recon_eval

    frames = np.zeros((2, 8, 8))
    s = SimpleNamespace(target=frames, key=frames, meta={"aus": np.array(["4", "6+12"]),
                                                         "lighting": np.array(["lit $\\bad$", "dim $x^{$"])})
    path = recon_eval.write_apex_figure(tmp_path / "apex.png", s, {"cvae": frames}, np.array([0, 1]), None)
    assert path.read_bytes().startswith(b"\x89PNG")


def _three_clips_one_changed(tmp_path, name, change):
    """A fake dataset of 3 subjects, one 300 ms clip each, whose clip file ``name`` is rewritten after
    ``change(clip)``; the dataset folder and that clip's path."""
    data = make_fake_dataset(tmp_path / "data", n_subjects=3, clips_per_subject=1, duration_us=300_000)
    path = data / "clips" / name
    clip = read_clip(path)
    change(clip)
    write_clip(path, clip)
    return data, path


def test_interpolation_on_a_recording_is_refused_before_any_work(tmp_path, capsys):
    # the refusal came from the first recording's samples, after "building samples (hd, interpolation) of 3 clips ..."
    # and the samples of every clip before it
    data, last = _three_clips_one_changed(tmp_path, "s02_c00.h5", lambda clip: setattr(clip, "truth", {}))
    run = tmp_path / "run"
    assert main(["train", "reconstruct", "--data", str(data), "--out", str(run), "--protocol", "interpolation",
                 "--epochs", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == (f"error: {last}: a recording (no truth frames) has no frames between its RGB "
                                         "frames to score interpolation on; use --protocol extrapolation or events-only")
    assert not run.exists()


def test_a_clip_without_its_rgb_frames_is_one_line_naming_the_options(tmp_path, capsys):
    # was: "no 'rgb' frames in this clip (the rgb inputs and reconstruction need them)", no way out named
    data, first = _three_clips_one_changed(tmp_path, "s00_c00.h5", lambda clip: setattr(clip, "frames", {}))
    run = tmp_path / "run"
    assert main(["train", "reconstruct", "--data", str(data), "--out", str(run), "--epochs", "1"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (  # after "building samples ..."
        f"error: {first}: no 'rgb' frames in this clip: the RGB inputs of train classify (--input rgb, rgb-diff, "
        "rgb-flow) and every protocol of train reconstruct need them; give clips that have them, or classify with "
        "--input events or events-apex")
    assert not run.exists()


def test_evaluating_an_interpolation_run_on_a_recording_names_what_eval_can_do(fake, tmp_path, capsys):
    # was: "... use --protocol extrapolation or events-only", an option evface eval has not
    run = tmp_path / "run"
    train_and_evaluate(fake, run, replace(TINY, protocol="interpolation", step_us=ReconstructConfig.step_us, epochs=1,
                                          e2vid=False))
    # s02_c00: the clip of the run's test subject
    data, last = _three_clips_one_changed(tmp_path, "s02_c00.h5", lambda clip: setattr(clip, "truth", {}))
    assert main(["eval", str(run), "--data", str(data), "--out", str(tmp_path / "ev")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {last}: a recording (no truth frames) has no frames between its RGB frames to score interpolation "
        f"on; {run} is an interpolation run: evaluate it on clips with truth frames (synthetic ones), or train a run "
        "with --protocol extrapolation or events-only on this dataset")
    assert not (tmp_path / "ev").exists()


def test_folds_test_every_subject_once_and_never_leak():
    rows = [{"clip_id": f"c{i}", "subject": f"s{i % 7}"} for i in range(30)]
    name, parts = protocol_parts(replace(TINY, folds=3, val_fraction=0.2), rows)
    assert name == "3-fold subject-grouped cross-validation" and [p["dir"] for p in parts] == ["fold0", "fold1", "fold2"]
    tested = [subj for p in parts for subj in p["test"]]
    assert sorted(tested) == [f"s{i}" for i in range(7)]  # every subject tested exactly once
    for p in parts:
        train, val, test = set(p["train"]), set(p["val"]), set(p["test"])
        assert train and val and not (train & val or train & test or val & test)
        assert train | val | test == set(tested)  # validation drawn from the subjects not tested
    with pytest.raises(ParameterError, match="needs 2 <= folds"):
        protocol_parts(replace(TINY, folds=8), rows)


def test_evaluation_on_clips_the_run_never_saw(fake, tmp_path):
    """Another dataset's clips are each scored by one fold's models, the folds taking turns; beside
    them, the run's own clips are scored by the fold that tested their subject, as in training."""
    run = tmp_path / "folds"
    cfg = replace(TINY, folds=2, epochs=1, e2vid=False, val_fraction=0.5, k_samples=0)
    train_and_evaluate(fake, run, cfg)
    other = make_fake_dataset(tmp_path / "other", n_subjects=3, clips_per_subject=1, duration_us=300_000,
                              prefix="x", seed=100)
    m = evaluate_run(run, other, tmp_path / "on-other")
    assert m["subjects"] == ["x00", "x01", "x02"] and m["n_clips"] == 3
    assert m["evaluated_on"] == (f"scored on {other} by the models trained on {fake.resolve()} (2-fold subject-grouped "
                                 "cross-validation): every clip by one part's models (the 2 parts taking turns)")
    assert 0.2 < m["methods"]["cvae"]["all"]["ssim"] < 1
    both = tmp_path / "both"
    assert main(["merge", str(both), str(fake), str(other)]) == 0
    m = evaluate_run(run, both, tmp_path / "on-both")
    assert m["n_clips"] == 7 and m["evaluated_on"] == (
        f"scored on {both} by the models trained on {fake.resolve()} (2-fold subject-grouped cross-validation): its 4 "
        "clips with the manifest rows of the training data each by the models that held out a subject of its name; its "
        "3 other clips by one part's models (the 2 parts taking turns)")
    per_clip = {}
    for line in (tmp_path / "on-both" / "scores.csv").read_text().splitlines()[1:]:
        fields = line.split(",")
        per_clip.setdefault(fields[0], []).append(line)
    own_lines = [line for c, lines in per_clip.items() if c.startswith("s") for line in lines]
    before = [line for line in (run / "scores.csv").read_text().splitlines()[1:]]
    # the own clips score as in training: the same samples, methods and scores, the scores to float32 rounding
    # (they are predicted in batches of other clips here, and a CPU's convolutions may round by batch: the last
    # printed digit of one score differed on an Intel Xeon with AVX-512)
    assert len(own_lines) == len(before)
    for now, then in zip(sorted(own_lines), sorted(before), strict=True):
        now, then = now.split(","), then.split(",")
        assert now[:8] == then[:8]
        np.testing.assert_allclose(np.array(now[8:], float), np.array(then[8:], float), rtol=1e-5, atol=2e-6)


def test_evaluating_a_run_of_one_split_on_other_clips_says_its_models_scored_them(fake, tmp_path):
    """A run trained without --folds scored on clips it never saw: its own models scored each (was:
    "every clip by one part's models (the 1 part taking turns)")."""
    run = tmp_path / "split"
    train_and_evaluate(fake, run, replace(TINY, epochs=1, e2vid=False, k_samples=0))
    other = make_fake_dataset(tmp_path / "other", n_subjects=2, clips_per_subject=1, duration_us=300_000,
                              prefix="x", seed=100)
    m = evaluate_run(run, other, tmp_path / "on-other")
    assert m["evaluated_on"] == (f"scored on {other} by the models trained on {fake.resolve()} (subject split): "
                                 "every clip by the run's models")


def test_folds_pool_every_clip_once(fake, tmp_path):
    cfg = replace(TINY, folds=2, epochs=1, e2vid=False, val_fraction=0.5)
    m = train_and_evaluate(fake, tmp_path / "folds", cfg)
    config = run_folder.load_config(tmp_path / "folds")
    assert m["evaluation"] == "2-fold subject-grouped cross-validation" and len(m["folds"]) == 2
    assert m["n_subjects"] == 4 and m["n_clips"] == 4 and m["subjects"] == ["s00", "s01", "s02", "s03"]
    from evface.inputs.recon_dataset import build_samples
    from evface.inputs.reconstruct import ReconSpec
    from evface.io.dataset import DatasetFolder

    every = build_samples(fake, DatasetFolder.open(fake).rows, ReconSpec(sensor="hd", size=32, step_us=40_000))
    assert m["n_samples"] == len(every) == sum(m["methods"]["cvae"]["horizon"]["n"])
    assert m["cvae_vs"]["keyframe"]["apex_face_ssim"]["n_clusters"] == 4  # intervals over every tested subject
    for p in config["parts"]:
        assert (tmp_path / "folds" / p["dir"] / "best.pt").exists() and not set(p["test"]) & set(p["train"] + p["val"])
    # evaluation from the run folder alone (decoding again) gives the same pooled scores
    again = evaluate_run(tmp_path / "folds", out=tmp_path / "folds-eval")
    for method in ("cvae", "keyframe", "integration"):
        assert again["methods"][method]["all"]["ssim"] == pytest.approx(m["methods"][method]["all"]["ssim"])


@TWO_FOLDS_TOGETHER
def test_seeds_train_every_part_again_on_the_same_folds_and_score_the_mean(fake, two_folds, tmp_path):
    cfg = TWO_FOLDS
    rows = DatasetFolder.open(fake).rows
    _, one = protocol_parts(cfg, rows)
    _, two = protocol_parts(replace(cfg, seeds=2), rows)
    assert [(p["name"], p["seed"], p["group"]) for p in two] == [
        ("fold0-s0", 0, "fold0"), ("fold0-s1", 1, "fold0"), ("fold1-s0", 0, "fold1"), ("fold1-s1", 1, "fold1")]
    assert [{k: p[k] for k in ("train", "val", "test")} for p in two] == [
        {k: p[k] for k in ("train", "val", "test")} for p in one for _ in range(2)]  # the folds of --seed, twice
    single, _ = two_folds  # trained in tmp_path / "one"
    m = train_and_evaluate(fake, tmp_path / "two", replace(cfg, seeds=2))
    assert m["seeds"] == [0, 1] and m["latent_seed"] == 0 and "mean over the 2 trainings" in m["evaluated_on"]
    assert m["n_samples"] == single["n_samples"] and [f["test"] for f in m["folds"]] == [f["test"] for f in single["folds"]]
    # the trainings of the first seed are the one-seed run's; the second seed trains other models
    first, second = m["per_seed"]
    for method, ssim in first["apex"].items():
        assert ssim["face"] == pytest.approx(single["methods"][method]["apex"]["face"]["ssim"], abs=1e-9)
    assert first["cvae_vs"]["e2vid"]["face"]["mean"] == pytest.approx(single["cvae_vs"]["e2vid"]["apex_face_ssim"]["mean"])
    assert second["apex"]["cvae"]["face"] != first["apex"]["cvae"]["face"]
    for method, v in m["methods"].items():  # the run scores each sample by the mean of its trainings' scores
        assert v["apex"]["face"]["ssim"] == pytest.approx((first["apex"][method]["face"] + second["apex"][method]["face"]) / 2)
    assert second["apex"]["keyframe"] == first["apex"]["keyframe"]  # the non-learned baselines need no training
    both = m["cvae_vs_over_trainings"]["e2vid"]  # the same mean, its interval over subjects and trainings
    assert both["face"]["mean"] == pytest.approx(m["cvae_vs"]["e2vid"]["apex_face_ssim"]["mean"])
    assert both["face"]["n_trainings"] == 2 and both["face"]["n_clusters"] == m["n_subjects"]
    assert both["apex_by_lighting"]["dim"]["face"]["mean"] == pytest.approx(
        m["cvae_vs"]["e2vid"]["apex_by_lighting"]["dim"]["face"]["mean"])
    assert first["cvae_vs"]["e2vid"]["apex_by_lighting"]["dim"]["face"]["mean"] == pytest.approx(
        single["cvae_vs"]["e2vid"]["apex_by_lighting"]["dim"]["face"]["mean"])
    # each training's scores of the trained methods, for evface compare: their mean is scores.csv's
    from evface.tasks.recon_compare import compare_runs, read_scores, read_seed_scores

    seeds, mean = read_seed_scores(tmp_path / "two"), read_scores(tmp_path / "two")
    assert "cvae" in seeds and "keyframe" not in seeds and read_seed_scores(tmp_path / "one") == {}
    assert len({fold for fold, _ in seeds["cvae"].values()}) == 2
    for key, (_, values) in seeds["cvae"].items():
        assert values.shape == (2, 4) and values[:, 0].mean() == pytest.approx(float(mean["cvae"][key]["face_ssim"]), abs=2e-6)
    paired = compare_runs(tmp_path / "two", tmp_path / "one")["methods"]
    assert "ci_trainings" in paired["cvae"]["apex"]["face_ssim"] and "ci_trainings" not in paired["keyframe"]["apex"]["face_ssim"]
    assert prepare(fake, tmp_path / "two", replace(cfg, seeds=2)) == []  # trained: it resumes
    with pytest.raises(ParameterError, match=r"two: holds a run of 2 training seeds; --seeds 1 would leave some out"):
        prepare(fake, tmp_path / "two", cfg)  # a run is never shrunk
    with pytest.raises(ParameterError, match=r"trained with --folds 2 --seeds 2; given --folds 3 --seeds 3"):
        prepare(fake, tmp_path / "two", replace(cfg, seeds=3, folds=3))
    assert prepare(fake, tmp_path / "one", cfg) == []  # one seed writes the config of runs made before --seeds
    assert "seeds" not in run_folder.load_config(tmp_path / "one")
    # more seeds extend a run: its trainings keep their folders and only the new seed trains
    first_model = (tmp_path / "one" / "fold0" / "best.pt").read_bytes()
    assert prepare(fake, tmp_path / "one", replace(cfg, seeds=2)) == ["fold0-s1", "fold1-s1"]
    assert [(p["name"], p["dir"]) for p in run_folder.load_config(tmp_path / "one")["parts"]] == [
        ("fold0-s0", "fold0"), ("fold0-s1", "fold0-s1"), ("fold1-s0", "fold1"), ("fold1-s1", "fold1-s1")]
    grown = train_and_evaluate(fake, tmp_path / "one", replace(cfg, seeds=2))
    assert (tmp_path / "one" / "fold0" / "best.pt").read_bytes() == first_model
    assert _numbers(grown) == _numbers(m)  # the same trainings as a run of two seeds from the start
    # frames of a run of several trainings say whose they are
    import h5py

    evaluate_run(tmp_path / "two", out=tmp_path / "ev", frames=True)
    with h5py.File(tmp_path / "ev" / "frames.h5", "r") as f:
        assert f.attrs["models"] == "the trainings of seed 0; scores.csv holds the mean over seeds 0, 1"


def _numbers(value):
    """Metrics without the fields that name times."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def test_a_part_whose_samples_outgrow_memory_is_refused_before_training(fake, tmp_path, monkeypatch):
    import os

    cfg = replace(TINY, folds=2, epochs=1, val_fraction=0.5)
    real = os.sysconf
    pages = 80  # 320 KiB: a clip's voxel grids fit (evface.events refuses what does not), the samples do not
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": pages}.get(name, real(name)))
    run = tmp_path / "run"
    assert prepare(fake, run, cfg) == ["fold0", "fold1"]  # the cache goes to disk a clip at a time, whatever the memory
    with pytest.raises(ParameterError, match=r"^the \d+ training and validation samples of fold0 at --size 32 take about "
                                             r".* GiB, more than half of this machine's 0 GiB; lower --size or raise "
                                             r"--step-us$"):
        fit_part(fake, run, cfg, "fold0")
    assert not (run / "fold0" / "part.json").exists()


@TWO_FOLDS_TOGETHER
def test_steps_train_each_part_alone_and_give_the_metrics_of_one_call(fake, two_folds, tmp_path, monkeypatch):
    cfg = TWO_FOLDS
    whole, one_call = two_folds
    run = tmp_path / "steps"
    assert prepare(fake, run, cfg) == ["fold0", "fold1"]
    assert len(ReconSamples.load(run / "samples")) == whole["n_samples"]  # every clip decoded once, for every step
    with pytest.raises(FormatError, match="part.json"):  # scoring before the parts are trained names what is missing
        pool_parts(fake, run, cfg)
    monkeypatch.setattr(reconstruct, "build_samples", lambda *a: pytest.fail("decoded again"))
    for name in ("fold1", "fold0"):  # in any order, from the cache
        assert fit_part(fake, run, cfg, name) > 0
    assert prepare(fake, run, cfg) == [] and fit_part(fake, run, cfg, "fold0") == 0.0  # trained once
    (run / "samples.tmp").mkdir()  # a writer's, killed (SIGKILL) in a later prepare: was left for ever
    steps = pool_parts(fake, run, cfg)
    assert _numbers(steps) == _numbers(whole) and not (run / "samples").exists() and not (run / "samples.tmp").exists()
    monkeypatch.undo()
    shutil.rmtree(run / "fold0")  # without the cache, a part decodes its own subjects' clips
    assert prepare(fake, run, cfg, cache=False) == ["fold0"] and fit_part(fake, run, cfg, "fold0") > 0
    assert _numbers(pool_parts(fake, run, cfg)) == _numbers(whole)
    for part in ("fold0", "fold1"):
        a, b = (json.loads((r / part / "part.json").read_text()) for r in (one_call, run))
        assert _numbers(a) == _numbers(b) and a["summary"]["cvae"]["epochs_run"] == 1
    assert _numbers(json.loads((run / "train.json").read_text())) == _numbers(
        json.loads((one_call / "train.json").read_text()))
    # a run folder from before part.json (each part's scales and fit in config.json) still evaluates
    old = tmp_path / "old"
    shutil.copytree(run, old)
    config = run_folder.load_config(old)
    for part in config["parts"]:
        done = json.loads((old / part["dir"] / "part.json").read_text())
        part.update(scales=done["scales"], integration=done["integration"])
        (old / part["dir"] / "part.json").unlink()
    run_folder.save_config(old, config)
    assert _numbers(evaluate_run(old)) == _numbers(whole)
    with pytest.raises(ParameterError, match="'fold7' is not a part.*fold0"):
        fit_part(fake, run, cfg, "fold7")
    assert prepare(fake, run, replace(cfg, epochs=2)) == ["fold0", "fold1"]  # more epochs: every part resumes


def test_one_call_training_removes_the_sample_caches_of_earlier_steps(fake, tmp_path):
    cfg = replace(TINY, epochs=1)
    run = tmp_path / "run"
    assert prepare(fake, run, cfg) == ["split"] and (run / "samples").is_dir()  # evface run's first step, then stopped
    (run / "samples.tmp").mkdir()  # a writer's, killed (SIGKILL) in a later prepare
    train(fake, run, cfg)  # the same run trained in one call (no pool_parts): both caches were left for ever
    assert (run / "train.json").exists() and not (run / "samples").exists() and not (run / "samples.tmp").exists()


def test_a_run_of_a_newer_evface_with_settings_this_one_does_not_know_is_not_resumed(fake, tmp_path):
    from evface import __version__

    cfg = replace(TINY, epochs=1)
    run = tmp_path / "run"
    train(fake, run, cfg)
    path = run / "config.json"
    config = json.loads(path.read_text())
    assert config["evface_version"] == __version__  # runs record the evface that wrote them
    assert set(config) - {"evface_version"} <= ReconstructConfig.run_keys()  # what eval and report know
    path.write_text(json.dumps({**config, "evface_version": "9.0", "mixup": 0.2, "ema": True}))
    with pytest.raises(ParameterError) as caught:  # was resumed without them, silently
        train(fake, run, replace(cfg, epochs=2))
    assert str(caught.value) == (f"{run}: holds a run written by evface 9.0 with settings this evface {__version__} "
                                 "does not know (ema, mixup), which it would train without; resume it with evface "
                                 "9.0, or give --out a new folder")
    assert json.loads(path.read_text())["evface_version"] == "9.0"  # nothing written
    del config["evface_version"]  # a run made before versions were recorded, with a key since dropped: as before
    path.write_text(json.dumps({**config, "voxel_scale": 1.5}))
    train(fake, run, cfg)
    assert json.loads(path.read_text())["evface_version"] == __version__


def test_recurrent_cvae_trains_on_runs_and_reads_each_clip_in_time_order(fake, tmp_path):
    cfg = replace(TINY, cvae_recurrent=True, e2vid=False, epochs=1)
    metrics = train_and_evaluate(fake, tmp_path / "run", cfg)
    assert 0.2 < metrics["methods"]["cvae"]["apex"]["face"]["ssim"] < 1 and "e2vid" not in metrics["methods"]
    spec = ReconSpec.from_dict(run_folder.load_config(tmp_path / "run")["spec"])
    model = CVAE(n_condition(spec), True, cfg.base, cfg.z_channels, recurrent=True)
    checkpoints.load_model_state(tmp_path / "run", model)
    s = build_samples(fake, DatasetFolder.open(fake).rows[:3], spec)
    scales = {"voxel": 1.0, "hist": 1.0}
    pred = predict_cvae(model.eval(), s, scales, True)
    for sl in s.clip_slices():  # the same as stepping through each clip alone from a fresh state
        state = None
        for i in sl:
            feats, state = model.encode(condition(s, np.array([i]), scales, True), state)
            np.testing.assert_allclose(pred[i], model.decode_mean(feats, condition(s, np.array([i]), scales, True))[0, 0],
                                       atol=1e-5)
    # the KL and the K decodings at a few samples see their clips' history: the same as over every sample
    idx = np.array([sl[-1] for sl in s.clip_slices()])
    seen, pos = with_history(s, idx, recurrent=True)
    assert list(seen.meta["clip_id"][pos]) == list(s.meta["clip_id"][idx]) and np.array_equal(seen.seq[pos], s.seq[idx])
    kl = {}
    for sl in s.clip_slices():
        state = None
        for i in sl:
            out = model(torch.from_numpy(s.target[[i]][:, None]), condition(s, np.array([i]), scales, True), state)
            kl[i], state = out["kl"][0].detach().double(), out["state"]
    expected = torch.stack([kl[i] for i in idx]).mean(0)
    np.testing.assert_allclose(kl_per_channel(model, s, idx, scales, True), expected, rtol=1e-4)
    assert cvae_samples(model, s, idx, scales, True, 3).shape == (3, len(idx), cfg.size, cfg.size)
    assert np.allclose(cvae_samples(model, s, idx, scales, True, 3).mean(0), predict_cvae(model, s, scales, True, k=3)[idx],
                       atol=0.05)


def test_hd_and_lr_score_keyframe_copy_identically(fake):
    from evface.inputs.recon_dataset import build_samples
    from evface.inputs.reconstruct import ReconSpec
    from evface.io.dataset import DatasetFolder
    from evface.tasks.recon_eval import sample_scores, score

    rows = DatasetFolder.open(fake).rows
    scored = {}
    for sensor in ("hd", "lr"):
        spec = ReconSpec(sensor=sensor, size=32, step_us=40_000)
        s = build_samples(fake, rows, spec)
        fit = {"alpha_index": 0, "c_on": 0.2, "c_off": 0.2}
        scored[sensor] = json.dumps(score(sample_scores(baselines(s, spec, fit), s, spec), s, spec)["methods"], sort_keys=True)
        scored[sensor + "-integration"] = scored[sensor].split('"integration"')[1]
    assert scored["hd"].split('"integration"')[0] == scored["lr"].split('"integration"')[0]  # keyframe, rgb_*: equal
    assert scored["hd-integration"] != scored["lr-integration"]  # the events differ


def test_apex_scores_by_lighting_and_au_class_pool_to_the_apex_scores(fake):
    from evface.inputs.recon_dataset import build_samples
    from evface.inputs.reconstruct import ReconSpec
    from evface.io.dataset import DatasetFolder
    from evface.tasks.recon_eval import phase_indices, sample_scores, score

    spec = ReconSpec(sensor="hd", size=32, step_us=40_000)
    s = build_samples(fake, DatasetFolder.open(fake).rows, spec)
    apex = phase_indices(s)["apex"]
    methods = score(sample_scores({"keyframe": s.key, "truth": s.target}, s, spec), s, spec)["methods"]
    assert len(methods["keyframe"]["apex_by"]["lighting"]) == 2  # bright and dim clips
    for group in ("lighting", "aus"):
        assert set(methods["keyframe"]["apex_by"][group]) == set(s.meta[group][apex].tolist())
        assert all(v["face_ssim"] == 1.0 for v in methods["truth"]["apex_by"][group].values())
        by = methods["keyframe"]["apex_by"][group].values()
        assert sum(v["n"] for v in by) == apex.size
        for area in ("face", "active"):
            pooled = sum(v["n"] * v[f"{area}_ssim"] for v in by) / apex.size
            assert pooled == pytest.approx(methods["keyframe"]["apex"][area]["ssim"])
            assert pooled < 1.0
    for area in ("face", "active"):
        level = methods["keyframe"]["apex_interval"][area]
        assert level["mean"] == pytest.approx(methods["keyframe"]["apex"][area]["ssim"])
        assert level["ci"][0] < level["mean"] < level["ci"][1] and level["n_clusters"] == len(set(s.meta["subject"]))
        assert methods["truth"]["apex_interval"][area]["ci"] == [1.0, 1.0]


def test_interpolation_protocol(fake, tmp_path):
    m = train_and_evaluate(fake, tmp_path / "interp", replace(TINY, protocol="interpolation", epochs=1, e2vid=False,
                                                                 k_samples=0, stride=3, step_us=50_000))
    assert set(m["methods"]) == {"cvae", "keyframe", "rgb_blend", "rgb_flow", "integration"} and m["keyframe"] is True
    assert max(m["methods"]["keyframe"]["horizon"]["ms"]) <= 35  # within one frame period of the keyframe


def test_cli_reconstruct_and_eval(fake, tmp_path, capsys, monkeypatch):
    run = tmp_path / "cli"
    args = ["train", "reconstruct", "--data", str(fake), "--out", str(run), "--sensor", "lr", "--protocol", "events-only",
            "--epochs", "1", "--size", "32", "--crop", "16", "--n-bins", "2", "--base", "4", "--z-channels", "2",
            "--batch-size", "8", "--k-samples", "0", "--no-e2vid", "--threads", "1", "--device", "cpu"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    printed = json.loads(out.strip().splitlines()[-1])
    assert set(printed) == {"cvae", "keyframe"}
    # above the JSON, for a reader: the figures as the report gives them (was: the JSON alone)
    said = figures(json.loads((run / "metrics.json").read_text()))
    assert err.strip().splitlines()[-1] == said and said.startswith("at the apex, SSIM over the face and PSNR: cvae ")
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")]) == 0
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["protocol"] == "events-only"
    out, err = capsys.readouterr()
    assert json.loads(out.strip().splitlines()[-1]) == printed  # the same headline again
    assert err.strip().splitlines()[-1] == figures(json.loads((tmp_path / "ev" / "metrics.json").read_text()))
    monkeypatch.chdir(fake.parent)  # --data relative: metrics.json names it absolute, as a classification's eval
    assert main(["eval", str(run), "--data", fake.name, "--out", str(tmp_path / "ev-rel")]) == 0  # did (was: as given)
    assert json.loads((tmp_path / "ev-rel" / "metrics.json").read_text())["data"] == str(fake.resolve())
    capsys.readouterr()
    assert main(["train", "reconstruct", "--data", str(fake), "--out", str(tmp_path / "bad"), "--protocol", "xx"]) == 2
    capsys.readouterr()
    # a received run whose part.json is not as evface writes it: one line naming it (was: exit 1, an internal error)
    for change, message in ((lambda p: {**p, "scales": {**p["scales"], "voxel": "x"}}, "'voxel' is 'x', not of type int/float"),
                            (lambda p: {**p, "integration": {**p["integration"], "alpha_index": 99}},
                             "alpha_index 99 is not one of the")):
        bad = shutil.copytree(run, tmp_path / "tampered", dirs_exist_ok=True)
        part_json = bad / "part.json"
        part_json.write_text(json.dumps(change(json.loads((run / "part.json").read_text()))))
        assert main(["eval", str(bad), "--data", str(fake), "--out", str(tmp_path / "ev2")]) == 2
        assert capsys.readouterr().err.startswith(f"error: {part_json}: not as evface writes it ({message}")
        assert not (tmp_path / "ev2").exists()
    # a model whose reconstructions are not finite: the error names the method and its model file (was: "pred holds
    # N of M values that are not finite ...", naming neither)
    monkeypatch.setattr(recon_predict, "predict_cvae", lambda cvae, test, *a, **k: np.full(test.target.shape, np.nan))
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev3")]) == 2
    err = capsys.readouterr().err.strip()
    assert re.fullmatch(f"error: method cvae, model {re.escape(str(run / 'best.pt'))}: its reconstructions of "
                        r"(\d+) of \1 samples hold values that are not finite numbers \(NaN or infinity; the first: clip "
                        r"\S+ at \d+ µs\), which no image metric scores; train the run again in a new --out folder with a lower "
                        r"--learning-rate",
                        err), err
    assert not (tmp_path / "ev3").exists()


@TWO_FOLDS_TOGETHER
def test_eval_frames_hold_what_was_scored(fake, two_folds, tmp_path, capsys, monkeypatch):
    import csv

    import h5py

    from evface.tasks.image_metrics import region_metrics

    (_, run), ev = two_folds, tmp_path / "ev"  # a two-fold run (was: one trained here, of another val_fraction)
    assert main(["eval", str(run), "--data", str(fake), "--out", str(ev), "--frames"]) == 0
    with open(ev / "scores.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with h5py.File(ev / "frames.h5", "r") as f:
        methods = {r["method"] for r in rows}
        assert set(f) == methods | {"target", "target_kind", "clip_id", "subject", "t_us", "t_key_us"}
        assert set(f["target_kind"].asstr()[:]) == {"truth"}
        images = {name: f[name][:] / 65535.0 for name in [*methods, "target"]}
        clip_ids, t_us = f["clip_id"].asstr()[:].tolist(), f["t_us"][:].tolist()
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        assert [(r["clip_id"], int(r["t_us"])) for r in mine] == list(zip(clip_ids, t_us, strict=True))
        ssim = region_metrics(images[method], images["target"], {"face": np.ones(images["target"].shape[1:], bool)})
        assert ssim["face"]["ssim"] == pytest.approx([float(r["face_ssim"]) for r in mine], abs=1e-3)
    assert not list(ev.glob("*.tmp"))
    assert main(["eval", str(run), "--data", str(fake), "--out", str(ev)]) == 0
    assert not (ev / "frames.h5").exists()  # they would no longer match the new scores.csv
    capsys.readouterr()
    # an evaluation interrupted while it writes its frames leaves no frames (was: the earlier evaluation's, beside
    # its own new scores.csv)
    assert main(["eval", str(run), "--data", str(fake), "--out", str(ev), "--frames"]) == 0

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(reconstruct.recon_eval, "write_frames", killed)
    with pytest.raises(KeyboardInterrupt):
        evaluate_run(run, fake, ev, frames=True)
    assert not (ev / "frames.h5").exists()
    monkeypatch.undo()
    # a classification run has no frames: one line, exit 2, nothing written
    config = json.loads((run / "config.json").read_text())
    shutil.copytree(run, tmp_path / "classify-like")
    (tmp_path / "classify-like" / "config.json").write_text(json.dumps({**config, "task": "classify"}))
    assert main(["eval", str(tmp_path / "classify-like"), "--data", str(fake), "--out", str(tmp_path / "ev3"), "--frames"]) == 2
    assert "--frames:" in capsys.readouterr().err and not (tmp_path / "ev3").exists()


def test_an_evaluation_that_fails_before_its_scores_leaves_the_earlier_metrics_and_scores(fake, tmp_path, monkeypatch):
    """A full disk while scores.csv is written (injected between the two writes): was the new
    evaluation's metrics.json (on the other dataset) beside the earlier evaluation's scores.csv; now
    both stay the earlier ones, no temporary file is left, and the same evaluation runs again."""
    run, ev = tmp_path / "run", tmp_path / "ev"
    train(fake, run, replace(TINY, epochs=1, e2vid=False, k_samples=0))
    evaluate_run(run, fake, ev)
    earlier = {name: (ev / name).read_bytes() for name in ("metrics.json", "scores.csv")}
    other = make_fake_dataset(tmp_path / "other", n_subjects=2, clips_per_subject=1, duration_us=300_000,
                              prefix="x", seed=100)
    real_write_text = Path.write_text

    def full_disk_for_scores(path, *args, **kwargs):
        if path.name.startswith("scores.csv"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_text(path, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(Path, "write_text", full_disk_for_scores)
        with pytest.raises(OSError, match="No space left"):
            evaluate_run(run, other, ev)
    assert {name: (ev / name).read_bytes() for name in earlier} == earlier
    assert not list(ev.glob("*.tmp"))
    metrics = evaluate_run(run, other, ev)
    assert json.loads((ev / "metrics.json").read_text())["data"] == metrics["data"] == str(other.resolve())
    assert {line.split(",")[0] for line in (ev / "scores.csv").read_text().splitlines()[1:]} == {"x00_c00", "x01_c00"}


def test_sequences_are_consecutive_within_clips(fake):
    from evface.io.dataset import DatasetFolder
    from evface.inputs.recon_dataset import build_samples
    from evface.inputs.reconstruct import ReconSpec

    s = build_samples(fake, DatasetFolder.open(fake).rows[:2], ReconSpec(sensor="lr", size=16, step_us=30_000))
    runs = sequences(s, 4)
    assert runs.shape[1] == 4
    for r in runs:
        assert len(set(s.meta["clip_id"][r])) == 1 and np.all(np.diff(s.seq[r]) == 1)


def test_unknown_sensor_and_throughput(tmp_path):
    with pytest.raises(ParameterError, match="sensor must be one of"):
        train(tmp_path, tmp_path / "run", replace(TINY, sensor="xx"))
    t = throughput(batch_size=2, size=16, n_bins=2, steps=1, base=4)
    assert t["cvae_train_samples_per_s"] > 0 and t["e2vid_infer_samples_per_s"] > 0


def test_on_synthetic_tiny_dataset(tmp_path):
    from evface.io.dataset import DatasetFolder
    from evface.inputs.recon_dataset import build_samples
    from evface.inputs.reconstruct import ReconSpec
    from evface.datasets.synth import synthesize

    root = synthesize(tmp_path / "tiny", preset="tiny", seed=0, subjects=3, classes=["AU4"], lighting=["bright"])
    rows = DatasetFolder.open(root).rows
    hd, lr = (build_samples(root, rows, ReconSpec(sensor=sensor, size=32)) for sensor in ("hd", "lr"))
    assert np.array_equal(hd.target, lr.target) and np.array_equal(hd.key, lr.key)  # one grid for both sensors
    assert np.abs(hd.voxel.astype(np.float32)).sum() > 0 and np.abs(lr.voxel.astype(np.float32)).sum() > 0
    # the keyframe (a noisy RGB frame) and the clean target show the same face in the same place
    from evface.tasks.image_metrics import ssim

    assert ssim(hd.key[:1], hd.target[:1])[0] > 0.6
    metrics = train_and_evaluate(root, tmp_path / "run", replace(TINY, epochs=1, e2vid=False))
    (part,) = run_folder.load_config(tmp_path / "run")["parts"]
    test = part["test"]
    assert metrics["subjects"] == test and len(test) == 1
    test_rows = [r for r in rows if r["subject"] in test]
    assert metrics["n_samples"] == len(build_samples(root, test_rows, ReconSpec(sensor="hd", size=32, step_us=40_000)))


@pytest.mark.parametrize("dirs, message", [
    (["../elsewhere", "fold1"], "the folder '../elsewhere' leaves the run folder"),
    (["fold1", "fold1"], "two trainings share a folder"),
])
def test_more_seeds_never_take_a_folder_outside_the_run_or_one_twice_from_its_config(fake, tmp_path, dirs, message):
    """A received run given more seeds keeps its parts' folders: only those inside it, one per training."""
    cfg = replace(TINY, folds=2, epochs=1, val_fraction=0.5)
    prepare(fake, tmp_path / "run", cfg, cache=False)
    config = run_folder.load_config(tmp_path / "run")
    run_folder.save_config(tmp_path / "run", config | {"parts": [p | {"dir": d} for p, d in zip(config["parts"], dirs, strict=True)]})
    with pytest.raises(FormatError, match="config.json: not as evface writes it .*" + re.escape(message)):
        prepare(fake, tmp_path / "run", replace(cfg, seeds=2), cache=False)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("part, message", [
    ({"name": "split", "dir": "/etc", "train": ["s0"], "val": ["s1"], "test": ["s2"]},
     "not as evface writes it (the folder '/etc' is an absolute path)"),
    ({"name": "split", "dir": ".", "train": ["s0"], "val": ["s1"]}, "not as evface writes it (has no 'test')"),
    ([{"name": f"fold{i}-s{i}", "dir": f"fold{i}-s{i}", "group": f"fold{i}", "seed": i, "train": ["s0"], "val": ["s1"],
       "test": [f"s{2 + i}"]} for i in (0, 1)], "not as evface writes it (the parts' groups hold other seeds: [[0], [1]])"),
    ([{"name": f"fold0-s{i}", "dir": f"fold0-s{i}", "group": "fold0", "seed": i, "train": ["s0"], "val": ["s1"],
       "test": [f"s{2 + i}"]} for i in (0, 1)], "not as evface writes it (the parts of 'fold0' test other subjects)"),
])
def test_a_received_run_with_a_malformed_config_is_one_error_line(fake, tmp_path, capsys, part, message):
    cfg = ReconstructConfig()
    run_folder.save_config(tmp_path / "run", {"task": "reconstruct", "data": str(fake), **cfg.to_dict(),
                                          "spec": reconstruct._spec(cfg).to_dict(), "evaluation": "one subject split",
                                          "parts": part if isinstance(part, list) else [part]})
    with pytest.raises(FormatError, match="config.json: " + re.escape(message)):
        reconstruct.load_run(tmp_path / "run")
    assert main(["eval", str(tmp_path / "run"), "--data", str(fake), "--out", str(tmp_path / "ev")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'run'}/config.json: {message}"
    assert not (tmp_path / "ev").exists()


def test_a_network_that_predicts_nan_scores_nan_so_the_training_says_it_diverged(tmp_path):
    """The image metrics refuse NaN images; the validation of a diverging network must still give a
    NaN score, which engine.fit reports as divergence (``train reconstruct --learning-rate 1e30``)."""
    samples = SimpleNamespace(target=np.full((2, 16, 16), 0.5, np.float32))
    pred = np.full((2, 16, 16), np.nan, np.float32)
    scores = recon_training._val_ssim(pred, samples)
    assert scores.keys() == {"val_ssim", "val_psnr"} and all(np.isnan(v) for v in scores.values())
    model = torch.nn.Linear(1, 1)
    with pytest.raises(ParameterError, match="val_ssim was not a number in any of its 1 epoch: the training diverged"):
        engine.fit(model, torch.optim.SGD(model.parameters(), lr=0.1), lambda e: {"loss": 0.0},
                   lambda e: recon_training._val_ssim(pred, samples), tmp_path, epochs=1, monitor="val_ssim")


@pytest.mark.parametrize("settings, missing", [
    ({"folds": 2}, "fold1/e2vid"),  # was: fold1's clips scored as e2vid reconstructions of zeros
    ({"seeds": 2}, "split-s1/e2vid"),  # was: the second seed's e2vid scores were the first seed's
    ({"folds": 2}, "fold0"),  # the CVAE: was 'or train the run again', which trains no part trained before
])
def test_a_part_without_its_model_is_refused_naming_the_file_and_a_new_out_folder(fake, tmp_path, capsys, settings,
                                                                                  missing):
    """A run whose one part lost a model's ``best.pt`` (copied without it) while the other parts kept
    theirs: the evaluation is one line naming that file and what to do, exit 2, nothing written; a
    training again in the same folder would not write it (the part is trained)."""
    run, ev = tmp_path / "run", tmp_path / "ev"
    cfg = replace(TINY, epochs=1, val_fraction=0.5, k_samples=0, **settings)
    train(fake, run, cfg)
    (run / missing / "best.pt").unlink()
    train(fake, run, cfg)
    assert not (run / missing / "best.pt").exists()
    assert main(["eval", str(run), "--data", str(fake), "--out", str(ev)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {run / missing / 'best.pt'}: no such checkpoint: the run's checkpoints (.pt files) are "
                   f"missing (copied without them?); copy them into {run / missing} from where the run was trained, or "
                   "train the run again in a new --out folder (a model trained before is not trained again)")
    assert not ev.exists()


def test_a_part_json_whose_input_scales_or_contrasts_no_training_writes_is_refused_naming_it(fake, tmp_path, capsys):
    """A received part.json with a scale of 0 (was: the networks fed no events, scored without a
    word), NaN (was: 'the condition holds NaN or infinite values', naming no file) or a negative
    contrast: one line naming the file and the value, exit 2, nothing written."""
    run, ev = tmp_path / "run", tmp_path / "ev"
    train(fake, run, replace(TINY, epochs=1, e2vid=False, k_samples=0))
    path = run / "part.json"
    good = json.loads(path.read_text())
    for key, name, value, said in (("scales", "voxel", 0, "the voxel scale 0 is not a finite number > 0"),
                                   ("scales", "hist", float("nan"), "the hist scale nan is not a finite number > 0"),
                                   ("integration", "c_on", -0.2, "c_on -0.2 is not a finite number >= 0")):
        path.write_text(json.dumps({**good, key: {**good[key], name: value}}))
        assert main(["eval", str(run), "--data", str(fake), "--out", str(ev)]) == 2
        assert capsys.readouterr().err.strip() == f"error: {path}: not as evface writes it ({said})"
        assert not ev.exists()


def test_evaluating_a_run_with_a_part_not_trained_says_to_train_it_to_its_end(fake, tmp_path, capsys):
    """A part without its part.json (its training stopped before it was written): was 'part.json:
    no such file'; now the line says the part is not trained and how to train it, which works."""
    run, ev = tmp_path / "run", tmp_path / "ev"
    cfg = replace(TINY, epochs=1, e2vid=False, k_samples=0)
    train(fake, run, cfg)
    (run / "part.json").unlink()
    assert main(["eval", str(run), "--data", str(fake), "--out", str(ev)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {run / 'part.json'}: no such file: the part split is not trained (its training stopped, or the run "
        "was copied without it); train the run to its end (evface train reconstruct with the same --out resumes it), "
        "or copy the part back")
    assert not ev.exists()
    train(fake, run, cfg)
    assert main(["eval", str(run), "--data", str(fake), "--out", str(ev)]) == 0


def test_a_dataset_of_clips_too_short_for_any_sample_is_one_line_naming_it_and_what_to_change(fake, tmp_path, capsys):
    """Clips of 20 ms (one RGB frame each) hold no interpolation sample: training and evaluation say so in
    one line naming the dataset folder, its clips' lengths, what each protocol needs and what the command
    may change (was: 'no reconstruction samples: every clip was too short or empty'), exit 2, nothing written."""
    short = make_fake_dataset(tmp_path / "short", n_subjects=3, clips_per_subject=1, duration_us=20_000)
    needs = (f"error: {short}: no interpolation samples in its 3 clips (20.0 to 20.0 ms long): interpolation needs a "
             "truth frame between two of its RGB frames within the expression (a recording has none); extrapolation "
             "and events-only need a truth frame (a recording: an RGB frame) after its first RGB frame's "
             "mid-exposure, on the --step-us grid through the apex (now 50000 µs); ")
    run = tmp_path / "run"
    assert main(["train", "reconstruct", "--data", str(short), "--out", str(run), "--protocol", "interpolation",
                 "--epochs", "1"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == needs + "use a dataset of longer clips or another --protocol"
    assert not run.exists()
    prepare(fake, run, replace(TINY, protocol="interpolation", step_us=50_000), cache=False)  # a run's config.json
    assert main(["eval", str(run), "--data", str(short), "--out", str(tmp_path / "ev")]) == 2
    assert capsys.readouterr().err.strip() == needs + f"{run} is an interpolation run: evaluate it on a dataset of longer clips"
    assert not (tmp_path / "ev").exists()


def test_a_run_whose_training_times_are_missing_says_so_rather_than_counting_zero_seconds(fake, tmp_path, capsys):
    """A part.json without its training summary (was: a KeyError traceback) or whose summary gives no
    seconds for a model the run trains (was: 0 seconds counted): one line naming the file, exit 2, the
    run's train.json kept. A train.json without a model's seconds: metrics.json's train_seconds is null,
    not measured (was: 0.0); one whose seconds are no number: one line naming it."""
    run = tmp_path / "run"
    args = ["train", "reconstruct", "--data", str(fake), "--out", str(run), "--size", "32", "--crop", "16",
            "--n-bins", "3", "--base", "4", "--z-channels", "2", "--batch-size", "8", "--epochs", "1",
            "--patience", "0", "--k-samples", "0", "--step-us", "40000", "--val-fraction", "0.25", "--threads", "1",
            "--device", "cpu"]
    assert main(args) == 0
    capsys.readouterr()
    part_json, train_json = run / "part.json", run / "train.json"
    good, trained = json.loads(part_json.read_text()), train_json.read_text()
    for part, said in (({k: v for k, v in good.items() if k != "summary"}, "has no 'summary'"),
                       ({**good, "summary": {k: v for k, v in good["summary"].items() if k != "cvae"}},
                        "its training summary gives no seconds for the cvae"),
                       ({**good, "summary": {**good["summary"], "e2vid": {"best_epoch": 0}}},
                        "its training summary gives no seconds for the e2vid")):
        part_json.write_text(json.dumps(part))
        assert main(args) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: {part_json}: not as evface writes it ({said})"
        assert train_json.read_text() == trained
    part_json.write_text(json.dumps(good))
    train_json.write_text(json.dumps({k: v for k, v in json.loads(trained).items() if k != "e2vid_seconds"}))
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev")]) == 0
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["train_seconds"] is None
    capsys.readouterr()
    train_json.write_text(json.dumps({**json.loads(trained), "cvae_seconds": "12"}))
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev2")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {train_json}: not as evface writes it ('cvae_seconds' is '12', "
                                               "not of type int/float)")
    assert not (tmp_path / "ev2").exists()
    train_json.write_text(trained)
    assert main(["eval", str(run), "--data", str(fake), "--out", str(tmp_path / "ev3")]) == 0
    seconds = json.loads(trained)
    assert json.loads((tmp_path / "ev3" / "metrics.json").read_text())["train_seconds"] == pytest.approx(
        seconds["cvae_seconds"] + seconds["e2vid_seconds"]) and seconds["e2vid_seconds"] > 0


def _documented_metrics_keys():
    """The keys docs/reconstruction.md lists for RUN/metrics.json (its top level, and each method's)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "reconstruction.md").read_text(encoding="utf-8")
    block = text[text.index("RUN/metrics.json     one JSON object"):text.index("RUN/scores.csv")]
    return re.findall(r'^  "(\w+)"', block, re.M), re.findall(r'^    "(\w+)"', block, re.M)


def test_the_documented_metrics_layout_holds_every_key_of_a_runs_metrics_and_no_other(fake, tmp_path):
    """docs/reconstruction.md's RUN/metrics.json lists every key an evaluation writes, one a line, and
    no other (was: data, evaluated_on, keyframe, ssim_settings, task, train_seconds, files_sha256 and
    each method's apex_interval left out): here with --seeds 2 and --k-samples, into an evaluation's
    folder, every conditional key is written."""
    top, per_method = _documented_metrics_keys()
    assert len(top) == len(set(top)) and len(per_method) == len(set(per_method))
    run = tmp_path / "run"
    train(fake, run, replace(TINY, epochs=1, e2vid=False, seeds=2))
    evaluate_run(run, out=tmp_path / "ev")
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert set(top) == set(metrics)
    assert all(set(per_method) == set(m) for m in metrics["methods"].values())
