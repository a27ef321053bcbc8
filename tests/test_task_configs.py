"""The task configs are the single source of every default: the CLI options are made from them."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, fields

import numpy as np
import pytest
import typer

from evface.checks import MAX_INT
from evface.cli import app, main
from evface.errors import FormatError, ParameterError
from evface.inputs.reconstruct import ReconSpec
from evface.tasks import classify, reconstruct, registry
from evface.tasks.configs import ClassifyConfig, ReconstructConfig, fields_documented, setting


def _options(command: str) -> dict[str, object]:
    """``evface train COMMAND``'s options by parameter name."""
    group = typer.main.get_command(app)
    return {p.name: p for p in group.commands["train"].commands[command].params}


@pytest.mark.parametrize("command,config", [("classify", ClassifyConfig), ("reconstruct", ReconstructConfig)])
def test_every_config_field_is_an_option_with_its_default(command, config):
    options = _options(command)
    assert set(options) == {f.name for f in fields(config)} | {"data", "out"}
    for f in fields(config):
        option = options[f.name]
        assert option.default == f.default, f.name
        assert option.opts == ["--" + f.name.replace("_", "-")], f.name
        assert f.metadata["help"] and option.help == f.metadata["help"], f.name


def test_learning_rate_and_sensor_have_distinct_names():
    for command in ("classify", "reconstruct"):
        flags = {flag for p in _options(command).values() for flag in p.opts}
        assert "--learning-rate" in flags and "--sensor" in flags and "--lr" not in flags


def test_registry_holds_each_task_with_its_config():
    assert registry.get("classify").config is ClassifyConfig
    assert registry.get("reconstruct").config is ReconstructConfig
    with pytest.raises(ParameterError, match="unknown task 'nope'"):
        registry.get("nope")


def test_eval_of_a_run_of_an_unknown_task_names_its_config(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps({"task": "nope"}))
    with pytest.raises(FormatError, match="config.json.*unknown task 'nope'"):
        registry.task_of_run(tmp_path)
    assert main(["eval", str(tmp_path), "--data", str(tmp_path)]) == 2
    assert "unknown task 'nope'" in capsys.readouterr().err


def test_eval_of_a_run_whose_task_is_not_a_name_is_refused_naming_its_config(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps({"task": ["classify"]}))
    assert main(["eval", str(tmp_path), "--data", str(tmp_path)]) == 2  # was: internal error (unhashable type), exit 1
    assert "config.json: unknown task ['classify']" in capsys.readouterr().err


def test_config_round_trips_through_a_run_config():
    config = ClassifyConfig(epochs=3, learning_rate=0.01, loso=True)
    stored = {"task": "classify", "data": "/somewhere", **config.to_dict(), "labels": ["a", "b"]}
    assert ClassifyConfig.from_dict(json.loads(json.dumps(stored))) == config


@pytest.mark.parametrize("option, value", [("--input", "foo"), ("--sensor", "evk4"), ("--time-steps", "0"),
                                           ("--last-neuron", "relu"), ("--size", "2")])
def test_a_value_outside_a_fields_choices_or_minimum_names_its_option(tmp_path, capsys, option, value):
    assert main(["train", "classify", "--data", str(tmp_path), "--out", str(tmp_path / "run"), option, value]) == 2
    err = " ".join(capsys.readouterr().err.split())  # typer's box wraps the line
    assert f"Invalid value for '{option}'" in err and value in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command, option, value, says", [
    ("classify", "--seed", "-1", "must be >= 0, got -1"),  # was numpy's 'expected non-negative integer'
    ("classify", "--learning-rate", "0", "must be > 0, got 0.0"),  # was trained with no step
    ("classify", "--weight-decay", "-1", "must be >= 0, got -1.0"),  # was torch's 'Invalid weight_decay value'
    ("classify", "--patience", "-1", "must be >= 0, got -1"),
    ("classify", "--slope", "0", "must be > 0, got 0.0"),
    ("classify", "--drop-time", "2", "must be <= 1, got 2.0"),  # was numpy's 'high <= 0'
    ("classify", "--max-shift", "-1", "must be >= 0, got -1.0"),
    ("classify", "--distill-temperature", "0", "must be > 0, got 0.0"),
    ("reconstruct", "--base", "0", "must be >= 1, got 0"),  # was torch's 'expected weight to be at least 1'
    ("reconstruct", "--z-channels", "0", "must be >= 1, got 0"),
    ("reconstruct", "--size", "7", "must be >= 16, got 7"),
    ("reconstruct", "--size", "100000", "must be <= 1024, got 100000"),  # was OpenCV's "Insufficient memory", exit 1
    ("reconstruct", "--step-us", "0", "must be >= 1, got 0"),
    ("reconstruct", "--seq-len", "0", "must be >= 1, got 0"),
    ("reconstruct", "--k-samples", "-1", "must be >= 0, got -1"),
    ("reconstruct", "--kl-beta", "-1", "must be >= 0, got -1.0"),
    ("reconstruct", "--free-bits", "-1", "must be >= 0, got -1.0"),
    ("reconstruct", "--learning-rate", "0", "must be > 0, got 0.0"),
    ("reconstruct", "--threads", "-1", "must be >= 0, got -1"),
    ("classify", "--learning-rate", "nan", "must be a finite number, got nan"),  # was torch's ValueError, exit 1
    ("classify", "--beta", "inf", "must be a finite number, got inf"),
    ("reconstruct", "--kl-beta", "nan", "must be a finite number, got nan"),  # NaN passed every bound
    # integers beyond what a setting can mean: were overflow errors in torch or itertools (exit 1), or ran without end
    ("classify", "--seed", "4294967296", "must be <= 2147483647, got 4294967296"),
    ("classify", "--batch-size", "2147483648", "must be <= 2147483647, got 2147483648"),
    ("classify", "--width", "513", "must be <= 512, got 513"),
    ("classify", "--depth", "9", "must be <= 8, got 9"),
    ("classify", "--seeds", "101", "must be <= 100, got 101"),
    ("reconstruct", "--step-us", "4294967296", "must be <= 2147483647, got 4294967296"),
    ("reconstruct", "--base", "513", "must be <= 512, got 513"),
    ("reconstruct", "--k-samples", "257", "must be <= 256, got 257"),
    ("reconstruct", "--threads", "1025", "must be <= 1024, got 1025"),
    # one fold: was refused only when the folds were made (classify: after the dataset was read)
    ("classify", "--folds", "1", "must be 0 or >= 2, got 1"),
    ("reconstruct", "--folds", "1", "must be 0 or >= 2, got 1"),
    ("classify", "--folds", "-1", "must be 0 or >= 2, got -1"),
])
def test_a_value_outside_a_fields_bounds_names_its_option(tmp_path, capsys, command, option, value, says):
    assert main(["train", command, "--data", str(tmp_path), "--out", str(tmp_path / "run"), option, value]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"Invalid value for '{option}': {says}" in err
    assert not (tmp_path / "run").exists()


def test_a_classification_size_too_small_for_the_depth_names_both_options(tmp_path, capsys):
    # was "input_size 4 is too small for depth 3", naming neither option
    assert main(["train", "classify", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--size", "4"]) == 2
    assert capsys.readouterr().err.strip() == "error: --size 4 is too small for --depth 3: each stage halves it, so at least 8"
    assert ClassifyConfig(size=8).size == 8 and ClassifyConfig(size=4, depth=2).depth == 2
    assert not (tmp_path / "run").exists()



@pytest.mark.parametrize("args, says", [
    (["--time-steps", "1"], "(--time-steps 1), which it cannot normalise; give --size 9 or more, --depth 2 or less, "
                            "--norm none or --time-steps 2 or more"),
    (["--model", "ann"], "(--model ann), which it cannot normalise; give --size 9 or more, --depth 2 or less or "
                         "--norm none"),
])
def test_a_one_pixel_last_stage_batchnorm_could_not_normalise_is_refused(tmp_path, capsys, args, says):
    # was: training started, then "internal error: ValueError: Expected more than 1 value per channel when training"
    # (exit 1) at the first batch of one clip, leaving config.json, data-clips.json and inputs.pt behind
    assert main(["train", "classify", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--size", "8",
                 "--depth", "3", *args]) == 2
    assert capsys.readouterr().err.strip() == ("error: --size 8 with --depth 3: the last stage is 1 x 1 pixel, so its "
                                               "BatchNorm (--norm td) would see one value per channel from a batch of "
                                               f"one clip {says}")
    assert not (tmp_path / "run").exists()
    for ok in ({"time_steps": 2}, {"time_steps": 1, "norm": "none"}, {"time_steps": 1, "size": 9}):
        assert ClassifyConfig(**{"size": 8, "depth": 3, **ok}).depth == 3

def test_delays_beyond_the_time_steps_name_both_options(tmp_path, capsys):
    # was "delays must lie in [1, time_steps = 4]", naming neither option
    assert main(["train", "classify", "--data", str(tmp_path), "--out", str(tmp_path / "run"),
                 "--delays", "2147483647"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --delays 2147483647 is more than --time-steps 4: the stem's "
                                               "delays span at most the steps; give --delays 4 or less, or more "
                                               "--time-steps")
    assert ClassifyConfig(delays=8, time_steps=8).delays == 8
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, says", [
    (["--color"], "--color: not used by --input events, which would ignore it"),
    (["--input", "rgb", "--oracle-apex"], "--oracle-apex: not used by --input rgb, which would ignore it"),
    (["--input", "events-apex", "--color", "--rgb-camera", "highspeed200"],
     "--color, --rgb-camera: not used by --input events-apex, which would ignore them"),
    (["--model", "ann", "--fixed-beta", "--delays", "2"], "--fixed-beta, --delays: not used by --model ann"),
    (["--model", "ann", "--loss", "mean"], "--loss: not used by --model ann, which would ignore it"),
    (["--distill-weight", "0.9"], "--distill-weight: not used by a run without --teacher"),
    (["--input", "rgb", "--drop-time", "0.5"], "--drop-time: not used by --input rgb"),
    (["--no-augment", "--drop-area", "0.2"], "--drop-area: not used by a run with --no-augment"),
])
def test_an_option_the_input_would_ignore_is_refused(tmp_path, capsys, args, says):
    """Each trained as if it were not given (an events run "in colour", an oracle apex for raw frames)."""
    assert main(["train", "classify", "--data", str(tmp_path), "--out", str(tmp_path / "run"), *args]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {says}")
    assert not (tmp_path / "run").exists()
    assert ClassifyConfig(input="rgb", color=True, rgb_camera="highspeed200").color  # where they apply, taken
    assert ClassifyConfig(input="rgb-flow", oracle_apex=True).oracle_apex
    assert ClassifyConfig(model="ann", time_steps=8, norm="none").model == "ann"  # the twin's own settings


@pytest.mark.parametrize("command, args, says", [
    ("classify", ["--folds", "3", "--test-fraction", "0.3"],
     "--test-fraction: not used by --folds 3 (every subject is tested once), which would ignore it"),
    ("classify", ["--loso", "--test-fraction", "0.3"], "--test-fraction: not used by --loso"),
    ("reconstruct", ["--folds", "3", "--test-fraction", "0.3"], "--test-fraction: not used by --folds 3"),
    ("reconstruct", ["--stride", "3"], "--stride: not used by --protocol extrapolation, which would ignore it"),
    ("reconstruct", ["--protocol", "events-only", "--stride", "3"], "--stride: not used by --protocol events-only"),
    ("reconstruct", ["--protocol", "interpolation", "--step-us", "20000"],
     "--step-us: not used by --protocol interpolation, which would ignore it"),
])
def test_a_split_or_sampling_option_the_protocol_would_ignore_is_refused(tmp_path, capsys, command, args, says):
    """Each was ignored without a word: a test share under subject folds, the interpolation
    protocol's stride of truth frames elsewhere, the horizon spacing under interpolation."""
    assert main(["train", command, "--data", str(tmp_path), "--out", str(tmp_path / "run"), *args]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {says}")
    assert not (tmp_path / "run").exists()
    assert ClassifyConfig(test_fraction=0.3).test_fraction == 0.3  # where they apply, taken
    assert ReconstructConfig(protocol="interpolation", stride=3).stride == 3
    assert ReconstructConfig(protocol="events-only", step_us=20_000).step_us == 20_000


def test_loso_beside_folds_is_refused_by_the_config_as_by_the_cli(tmp_path, capsys):
    """Was: ClassifyConfig(loso=True, folds=3) built from Python and was refused only when the run's
    protocol was made (class_run.protocol_parts), with the message the CLI gives."""
    says = "--loso and --folds 3: choose one (--loso is --folds <number of subjects>)"
    with pytest.raises(ParameterError) as refused:
        ClassifyConfig(loso=True, folds=3)
    assert str(refused.value) == says
    assert main(["train", "classify", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--loso", "--folds", "3"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {says}"
    assert not (tmp_path / "run").exists()
    assert ClassifyConfig(loso=True).loso and ClassifyConfig(folds=3).folds == 3


@pytest.mark.parametrize("command", ["classify", "reconstruct"])
@pytest.mark.parametrize("option", ["--val-fraction", "--test-fraction"])
def test_no_validation_or_no_test_subjects_is_refused_before_any_work(tmp_path, capsys, command, option):
    """A share of 0 trained (classify: models and all) and then stopped with an internal error
    (an empty validation or test set), or, for reconstruct, with advice to use more subjects."""
    assert main(["train", command, "--data", str(tmp_path), "--out", str(tmp_path / "run"), option, "0"]) == 2
    err = capsys.readouterr().err
    assert option in err and "must be > 0, got 0.0" in err
    assert not (tmp_path / "run").exists()
    config = ClassifyConfig if command == "classify" else ReconstructConfig
    with pytest.raises(ParameterError, match="must be > 0"):
        config(**{option.lstrip("-").replace("-", "_"): 0.0})


def test_a_reconstruction_crop_too_small_for_ssim_is_refused(tmp_path, capsys):
    # a 5 px crop stopped in torch's SSIM padding after the samples were built
    assert main(["train", "reconstruct", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--crop", "5"]) == 2
    assert capsys.readouterr().err.strip() == "error: --crop 5: use 0 (whole images) or at least 16 pixels"
    assert ReconstructConfig(crop=0).crop == 0 and ReconstructConfig(crop=16).crop == 16
    assert not (tmp_path / "run").exists()


def test_a_reconstruction_crop_not_smaller_than_size_is_refused_from_python_too():
    """`ReconstructConfig(size=32, crop=64)` trained on whole images without a word (only the CLI
    refused it); the default still records 64 (whole images at size 32), and reads back."""
    with pytest.raises(ParameterError, match=r"^--crop 64: not smaller than --size 32, so training would take whole "
                                             r"images; give --crop 0 for whole images, or 16 to 31 for crops$"):
        ReconstructConfig(size=32, crop=64)
    small, large = ReconstructConfig(size=32), ReconstructConfig(crop=64)
    assert (small.train_crop, small.to_dict()["crop"], large.train_crop) == (64, 64, 64)
    assert ReconstructConfig.from_dict(small.to_dict()) == small  # a run at size 32 recorded crop 64
    assert ReconstructConfig.from_dict({"size": 32, "crop": 0}).train_crop == 0


def test_configs_refuse_values_the_cli_would():
    with pytest.raises(ParameterError, match="sensor must be one of"):
        ClassifyConfig(sensor="evk4")
    with pytest.raises(ParameterError, match="time_steps must be >= 1"):
        ClassifyConfig(time_steps=0)
    with pytest.raises(ParameterError, match="protocol must be one of"):
        ReconstructConfig(protocol="future")
    with pytest.raises(ParameterError, match="learning_rate must be > 0"):
        ReconstructConfig(learning_rate=0.0)
    with pytest.raises(ParameterError, match="beta must be <= 1"):
        ClassifyConfig(beta=2.0)
    # negative folds or one fold: was a config that only the split (classify) or _spec (reconstruct) refused
    with pytest.raises(ParameterError, match="^folds must be 0 or >= 2, got -1$"):
        ClassifyConfig(folds=-1)
    with pytest.raises(ParameterError, match="^folds must be 0 or >= 2, got -2$"):
        ReconstructConfig(folds=-2)
    with pytest.raises(ParameterError, match="^folds must be 0 or >= 2, got 1$"):
        ClassifyConfig(folds=1)
    with pytest.raises(ParameterError, match="^folds must be 0 or >= 2, got 1$"):
        ReconstructConfig(folds=1)
    assert ClassifyConfig(folds=0).folds == 0 and ReconstructConfig(folds=2).folds == 2


@pytest.mark.parametrize("option, name, protocol", [("--step-us", "step_us", "extrapolation"),
                                                    ("--stride", "stride", "interpolation")])
def test_a_recon_spec_takes_the_sample_spacings_the_cli_takes(tmp_path, capsys, option, name, protocol):
    """ReconSpec(step_us=...) / (stride=...) from Python: was taken up to 2^63 - 1, while the CLI and
    ReconstructConfig stop at MAX_INT."""
    assert ReconSpec(protocol=protocol, **{name: MAX_INT}).to_dict()[name] == MAX_INT
    with pytest.raises(ParameterError, match=rf"^{name} must be in \[1, {MAX_INT}\], got {MAX_INT + 1}$"):
        ReconSpec(protocol=protocol, **{name: MAX_INT + 1})
    with pytest.raises(ParameterError, match=rf"^{name} must be <= {MAX_INT}, got {MAX_INT + 1}$"):
        ReconstructConfig(protocol=protocol, **{name: MAX_INT + 1})
    args = ["train", "reconstruct", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--protocol", protocol]
    assert main(args + [option, str(MAX_INT + 1)]) == 2
    assert f"Invalid value for '{option}': must be <= {MAX_INT}, got {MAX_INT + 1}" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("config, given, says", [
    (ClassifyConfig, {"epochs": 2.5}, "epochs must be a whole number, got 2.5"),  # was 3 epochs run
    (ClassifyConfig, {"epochs": "3"}, "epochs must be an integer, got '3'"),  # was "'<' not supported between ..."
    (ClassifyConfig, {"seed": None}, "seed must be an integer, got None"),
    (ClassifyConfig, {"folds": True}, "folds must be an integer, got True"),  # was 1 fold
    (ClassifyConfig, {"residual": "no"}, "residual must be True or False, got 'no'"),  # was taken as True
    (ClassifyConfig, {"balanced": 0}, "balanced must be True or False, got 0"),
    (ClassifyConfig, {"teacher": 5}, "teacher must be a string, got 5"),
    (ReconstructConfig, {"learning_rate": "0.01"}, "learning_rate must be a number, got '0.01'"),
    (ReconstructConfig, {"kl_beta": True}, "kl_beta must be a number, got True"),  # was a weight of 1
    (ReconstructConfig, {"learning_rate": 10 ** 400}, "learning_rate must be a finite number, got inf"),
])
def test_a_config_field_of_another_type_is_named(config, given, says):
    with pytest.raises(ParameterError) as err:
        config(**given)
    assert str(err.value) == says


def test_a_config_takes_numpy_and_integral_numbers_as_plain_ones():
    cfg = ClassifyConfig(epochs=np.int64(3), seeds=2.0, learning_rate=np.float32(0.5), residual=np.bool_(False))
    assert (cfg.epochs, cfg.seeds, cfg.learning_rate, cfg.residual) == (3, 2, 0.5, False)
    assert json.loads(json.dumps(cfg.to_dict()))["epochs"] == 3  # was: np.int64, which config.json cannot hold


@pytest.mark.parametrize("call, given, says", [
    ("classify.train_and_evaluate", {"epochs": 1}, "config must be a ClassifyConfig, got a dict"),
    ("classify.prepare", ReconstructConfig(), "config must be a ClassifyConfig, got a ReconstructConfig"),
    ("reconstruct.train_and_evaluate", {"epochs": 1}, "config must be a ReconstructConfig, got a dict"),
    ("reconstruct.train", ClassifyConfig(), "config must be a ReconstructConfig, got a ClassifyConfig"),
    ("reconstruct.prepare", {}, "config must be a ReconstructConfig, got a dict"),
])
def test_a_task_given_a_dict_or_the_other_tasks_config_says_what_to_give(tmp_path, call, given, says):
    """Each was an ``AttributeError: 'dict' object has no attribute 'device'`` (or ``'folds'``, ``'input'``)."""
    module, name = call.split(".")
    with pytest.raises(ParameterError, match=says):
        getattr({"classify": classify, "reconstruct": reconstruct}[module], name)(tmp_path / "data", tmp_path / "run",
                                                                                 given)
    assert not (tmp_path / "run").exists()


def test_field_choices_are_the_librarys():
    from evface.inputs import clip_view
    from evface.inputs.classify import INPUT_KINDS
    from evface.inputs.reconstruct import PROTOCOLS
    from evface.models.snn import SURROGATES
    from evface.sim.rgb import RGB_PRESETS

    def choices(config, name):
        return next(f.metadata["choices"] for f in fields(config) if f.name == name)

    assert choices(ClassifyConfig, "input") == INPUT_KINDS
    assert choices(ClassifyConfig, "surrogate") == SURROGATES
    assert set(choices(ClassifyConfig, "rgb_camera")) == set(RGB_PRESETS)
    assert choices(ClassifyConfig, "window") == clip_view.WINDOWS
    assert choices(ClassifyConfig, "sensor") == choices(ReconstructConfig, "sensor") == clip_view.SENSORS
    assert choices(ReconstructConfig, "protocol") == PROTOCOLS


INDENTED = "A small config.\n\n    Examples\n    --------\n    >>> Small().x\n    1\n    "
"""A docstring as Python 3.11 and 3.12 keep it: its lines after the first indented like the source."""

FLUSH = "A small config.\n\nExamples\n--------\n>>> Small().x\n1\n"
"""The same docstring as Python 3.13 compiles it: the indentation stripped."""


@pytest.mark.parametrize("doc", [INDENTED, FLUSH], ids=["indented", "flush"])
def test_the_parameters_section_goes_before_the_examples_however_python_indents_the_docstring(doc):
    """Python 3.13 strips a docstring's indentation when it compiles it: the section, looked for as indented
    ``Examples``, was left out there, and ``ReconstructConfig``'s doctest failed with ValueError."""

    @dataclass(frozen=True)
    class Small:
        __doc__ = doc
        x: int = setting(1, "The x.")

    documented = inspect.getdoc(fields_documented(Small))
    assert documented == ("A small config.\n\nParameters\n----------\nx : int, default 1\n    The x.\n\n"
                          "Examples\n--------\n>>> Small().x\n1")


@pytest.mark.parametrize("config", [ClassifyConfig, ReconstructConfig])
def test_each_field_of_a_task_config_is_in_its_docstring(config):
    doc = inspect.getdoc(config)
    assert doc.index("Parameters\n----------\n") < doc.index("Examples\n--------\n")
    assert all(f"\n{f.name} : " in doc for f in fields(config))


@pytest.mark.parametrize("command, args, says", [
    ("classify", ["--distill-weight", "0.5"], "--distill-weight: not used by a run without --teacher"),
    ("classify", ["--rgb-camera", "webcam30"], "--rgb-camera: not used by --input events"),
    ("classify", ["--gray"], "--gray: not used by --input events"),
    ("classify", ["--model", "ann", "--beta", "0.5"], "--beta: not used by --model ann"),
    ("classify", ["--no-augment", "--max-shift", "0.015625"], "--max-shift: not used by a run with --no-augment"),
    ("classify", ["--folds", "3", "--test-fraction", "0.15"], "--test-fraction: not used by --folds 3"),
    ("reconstruct", ["--stride", "2"], "--stride: not used by --protocol extrapolation"),
    ("reconstruct", ["--kl-beta", "0", "--free-bits", "0.5"], "--free-bits: not used by --kl-beta 0"),
])
def test_an_unused_option_given_at_its_default_is_refused_as_at_another_value(tmp_path, capsys, command, args, says):
    """Was: refused only away from its default, so the default given (a script's explicit
    --distill-weight 0.5 without --teacher, --stride 2 under extrapolation) was ignored without a word."""
    assert main(["train", command, "--data", str(tmp_path), "--out", str(tmp_path / "run"), *args]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {says}")
    assert not (tmp_path / "run").exists()
    assert ClassifyConfig(distill_weight=0.5).distill_weight == 0.5  # from Python, a default is no option given
