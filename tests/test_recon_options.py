"""`evface train reconstruct`'s options at their edges and in combinations that cannot act together, as a hostile
user gives them: each refused before any work in one line naming the option (evface.tasks.configs.ReconstructConfig)."""

import pytest

from evface.cli import main
from evface.errors import ParameterError
from evface.tasks.configs import ClassifyConfig, ReconstructConfig

CONFIGS = {"reconstruct": ReconstructConfig, "classify": ClassifyConfig}


def _refused(tmp_path, capsys, *args: str, task: str = "reconstruct") -> str:
    """The one error line of ``evface train TASK ARGS``, after checking exit 2 and that no run folder was made."""
    assert main(["train", task, "--data", str(tmp_path), "--out", str(tmp_path / "run"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert not (tmp_path / "run").exists()
    return err


def test_one_prior_sample_whose_spread_is_zero_by_construction_is_refused(tmp_path, capsys):
    """`--k-samples 1` wrote the latent's spread at the apex as a measured 0.0 (`spread_face`, `spread_moving`,
    `spread_static` in metrics.json): the spread of one decoding, which says nothing of the latent."""
    says = ("--k-samples 1: the spread of one prior decoding is 0 whatever the latent holds; give --k-samples 0 (off) "
            "or 2 or more")
    assert _refused(tmp_path, capsys, "--k-samples", "1") == f"error: {says}"
    with pytest.raises(ParameterError) as refused:
        ReconstructConfig(k_samples=1)
    assert str(refused.value) == says
    assert ReconstructConfig(k_samples=0).k_samples == 0 and ReconstructConfig(k_samples=2).k_samples == 2


@pytest.mark.parametrize("args, named", [
    (("--warmup-epochs", "5"), "--warmup-epochs: not used by --kl-beta 0 (the loss has no KL term), which would "
                               "ignore it; leave it out"),
    (("--free-bits", "1", "--warmup-epochs", "0"), "--warmup-epochs, --free-bits: not used by --kl-beta 0 (the loss "
                                                  "has no KL term), which would ignore them; leave them out"),
])
def test_kl_settings_without_a_kl_term_are_refused(tmp_path, capsys, args, named):
    """`--kl-beta 0 --warmup-epochs 5` (or `--free-bits 1`) trained as `--kl-beta 0` alone, without a word: the KL
    term is weighted by 0 in every epoch, so neither its warm-up nor its floor of free bits changes the loss."""
    assert _refused(tmp_path, capsys, "--kl-beta", "0", *args) == f"error: {named}"
    with pytest.raises(ParameterError, match="not used by --kl-beta 0"):
        ReconstructConfig(kl_beta=0.0, warmup_epochs=5)
    assert ReconstructConfig(kl_beta=0.0).kl_beta == 0  # alone, taken: a CVAE without its KL term
    assert ReconstructConfig(kl_beta=0.5, warmup_epochs=5, free_bits=1.0).warmup_epochs == 5  # where they act, taken


@pytest.mark.parametrize("option, value", [("--free-bits", "1e300"), ("--kl-beta", "1e39"), ("--ssim-weight", "1e39"),
                                           ("--mse-weight", "1e39"), ("--ssim-weight", "1000001")])
def test_a_loss_weight_past_what_the_float32_loss_holds_is_refused(tmp_path, capsys, option, value):
    """`--free-bits 1e300` trained until the first batch and ended in "internal error: RuntimeError: value cannot be
    converted to type float without overflow" (exit 1, the run folder left); `--ssim-weight 1e39` or `--mse-weight
    1e39` made the loss infinite and stopped "diverged ... with a lower --learning-rate or --weight-decay" (neither the
    cause, and `--weight-decay` no option of this command); `--kl-beta 1e39` trained on an infinite loss."""
    assert _refused(tmp_path, capsys, option, value) == (f"error: Invalid value for '{option}': must be <= 1000000.0, "
                                                         f"got {float(value)!r}; try 'evface train reconstruct -h'")
    with pytest.raises(ParameterError, match=r"must be <= 1000000.0"):
        ReconstructConfig(**{option[2:].replace("-", "_"): float(value)})
    assert ReconstructConfig(kl_beta=1e6, free_bits=1e6, ssim_weight=1e6, mse_weight=1e6).mse_weight == 1e6


@pytest.mark.parametrize("task", ["reconstruct", "classify"])
def test_a_learning_rate_that_overflows_adams_step_is_refused(tmp_path, capsys, task):
    """`--learning-rate 1e39` trained until the first optimiser step and ended in "internal error: RuntimeError: value
    cannot be converted to type float without overflow" (exit 1, the run folder left); AdamW (classify) alike."""
    assert _refused(tmp_path, capsys, "--learning-rate", "1e39", task=task) == (
        f"error: Invalid value for '--learning-rate': must be <= 1e+30, got 1e+39; try 'evface train {task} -h'")
    assert CONFIGS[task](learning_rate=1e30).learning_rate == 1e30  # a rate that diverges says so (test_engine.py)


@pytest.mark.parametrize("task", ["reconstruct", "classify"])
def test_seeds_running_past_the_largest_seed_are_refused_before_any_training(tmp_path, capsys, task):
    """`--seed 2147483647 --seeds 2` trained the first seed's models, then stopped "seed must be <= 2147483647, got
    2147483648" (naming no option), the run folder left to stop so again on every resume."""
    assert _refused(tmp_path, capsys, "--seed", "2147483647", "--seeds", "2", task=task) == (
        "error: --seed 2147483647 with --seeds 2: the trainings' seeds would run to 2147483648, past 2147483647; give "
        "--seed 2147483646 or less")
    config = CONFIGS[task]
    assert config(seed=2147483646, seeds=2).seeds == 2 and config(seed=2147483647).seeds == 1
