import numpy as np
import pytest
import torch

from evface.errors import ParameterError
from evface.events.core import make_events
from evface.events.integration import leaky_counts
from evface.models.cvae import CVAE, kl_diag_gaussians
from evface.models.e2vid import E2VIDRecurrent
from evface.models.recon_baselines import (
    CONTRAST_GRID, copy_keyframe, fit_integration, integrate, rgb_blend, rgb_flow_extrapolate, rgb_flow_interpolate, rgb_hold,
)
from evface.models.recon_losses import beta_schedule, cvae_loss, recon_loss, ssim_torch
from evface.tasks.image_metrics import ssim


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("keyframe", [False, True])
def test_cvae_shapes(keyframe):
    torch.manual_seed(0)
    m = CVAE(c_in=3 + keyframe, keyframe=keyframe, base=4, z_channels=2)
    torch.nn.init.normal_(m.head.weight)
    c = torch.randn(3, 3 + keyframe, 24, 24)
    x = torch.rand(3, 1, 24, 24)
    out = m(x, c)
    assert out["recon"].shape == (3, 1, 24, 24) and out["kl"].shape == (3, 2)
    assert (out["kl"] >= -1e-5).all()
    r0, r4 = m.reconstruct(c), m.reconstruct(c, k=4, generator=torch.Generator().manual_seed(0))
    draws = m.samples(c, 4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(draws.mean(0), r4) and draws.shape == (4, 3, 1, 24, 24)
    assert r0.shape == r4.shape == (3, 1, 24, 24)
    assert 0 <= r0.min() and r0.max() <= 1
    assert not torch.allclose(r0, r4)  # sampling differs from the prior mean


@pytest.mark.parametrize("build, message", [
    (lambda: CVAE(c_in=0), "^c_in must be >= 1, got 0$"),  # was torch's "expected input ... to have 0 channels"
    (lambda: CVAE(base=2.5), "^base must be a whole number, got 2.5$"),  # was "out_channels must be divisible by groups"
    (lambda: CVAE(z_channels=float("nan")), "^z_channels must be a whole number, got nan$"),
    (lambda: CVAE(keyframe="no"), "^keyframe must be True or False, got 'no'$"),  # was taken as True
    (lambda: E2VIDRecurrent(c_in=-1), "^c_in must be >= 1, got -1$"),  # was "negative dimension -1"
    (lambda: E2VIDRecurrent(c_in=True), "^c_in must be an integer, got True$"),  # was a model of 1 channel
])
def test_a_bad_reconstruction_model_setting_is_one_error_naming_it(build, message):
    with pytest.raises(ParameterError, match=message):
        build()


def test_the_reconstruction_models_check_their_input():
    cvae, rnn = CVAE(c_in=6, keyframe=True, base=8, z_channels=4, recurrent=True), E2VIDRecurrent(c_in=6, base=8)
    c = torch.rand(2, 6, 32, 32)
    for model in (cvae.reconstruct, lambda x: rnn(x)[0]):
        with pytest.raises(ParameterError, match=r"^the model takes a condition \(N, 6, H, W\), got \(2, 5, 32, 32\)$"):
            model(c[:, :5])
        with pytest.raises(TypeError, match="takes a torch.Tensor, got ndarray"):
            model(c.numpy())
        with torch.no_grad():
            assert model(c.double()).dtype == torch.float32 and torch.equal(model(c.double()), model(c))
    for step in (lambda x, s: cvae.encode(x, s)[1], lambda x, s: rnn(x, s)[1]):
        state = step(c, None)
        with pytest.raises(ParameterError, match=r"the recurrent state \(2, 16, 16, 16\) is not of this window's "
                                                 r"batch and size \(3, 16, 16, 16\): start every clip with state=None"):
            step(torch.rand(3, 6, 32, 32), state)
        with pytest.raises(ParameterError, match="or the 3 tensors the previous window returned, got a list of 1"):
            step(c, state[:1])
    with pytest.raises(ParameterError, match=r"target frame must be \(N, 1, H, W\) = \(2, 1, 32, 32\) as the "
                                             r"condition's, got \(2, 1, 16, 16\)"):
        cvae(torch.rand(2, 1, 16, 16), c)  # was resized into the posterior without a word
    with pytest.raises(ParameterError, match="^k must be >= 0, got -1$"):  # was the prior mean without a word
        cvae.reconstruct(c, k=-1)
    with pytest.raises(ParameterError, match="^k must be >= 1, got 0$"):  # was "stack expects a non-empty TensorList"
        cvae.samples(c, k=0)


def test_the_losses_check_their_weights_and_shapes():
    """A NaN beta made every loss NaN; a target of one sample was broadcast over every prediction."""
    m = CVAE(c_in=6, keyframe=True, base=8, z_channels=4)
    x, c = torch.rand(2, 1, 32, 32), torch.rand(2, 6, 32, 32)
    out = m(x, c)
    for name in ("beta", "free_bits", "mse_weight"):
        args = {"beta": 1.0, name: float("nan")}
        with pytest.raises(ParameterError, match=f"^{name} must be a finite number >= 0, got nan$"):
            cvae_loss(out, x, **args)
    with pytest.raises(ParameterError, match=r"^the target \(1, 1, 32, 32\) is not of the prediction's shape \(2, 1, 32, 32\)$"):
        recon_loss(out["recon"], x[:1])


def test_the_reconstruction_models_refuse_odd_inputs_naming_them():
    """A NaN condition or target gave NaN frames (the classifiers refused them), a decoding given
    another window's condition torch's "The size of tensor a (32) must match", a float64 state
    torch's "Input type (double) and bias type (float)"."""
    cvae, rnn = CVAE(c_in=6, keyframe=True, base=8, z_channels=4, recurrent=True), E2VIDRecurrent(c_in=6, base=8)
    c = torch.rand(2, 6, 32, 32)
    for model in (cvae.reconstruct, lambda x: rnn(x)[0]):
        with pytest.raises(ParameterError, match="^the condition holds NaN or infinite values$"):
            model(torch.where(c > 0.5, torch.nan, c))
    with pytest.raises(ParameterError, match="^the target frame holds NaN or infinite values$"):
        cvae(torch.full((2, 1, 32, 32), torch.inf), c)
    feats, state = cvae.encode(c)
    with pytest.raises(ParameterError, match=r"^the condition \(2, 6, 48, 48\) is not of the batch and size "
                                             r"\(N, H, W\) = \(2, 32, 32\) of the window that feats encode"):
        cvae.decode_mean(feats, torch.rand(2, 6, 48, 48))
    with pytest.raises(ParameterError, match=r"^the condition \(1, 6, 32, 32\) is not of the batch"):
        cvae.decode_samples(feats, c[:1], 2)
    with torch.no_grad():
        state = cvae.encode(c)[1]
        assert torch.allclose(cvae.encode(c, [s.double() for s in state])[1][0], cvae.encode(c, state)[1][0])
        state = rnn(c)[1]
        assert torch.allclose(rnn(c, [s.double() for s in state])[0], rnn(c, state)[0])


def test_ssim_and_the_loss_refuse_images_they_cannot_score():
    """An image under the 11-pixel window scored NaN (the mean of no pixel), an empty batch a NaN
    loss, a NaN ssim_weight dropped the SSIM term, three channels torch's convolution error."""
    a = torch.rand(2, 1, 10, 32)
    with pytest.raises(ParameterError, match=r"^SSIM needs images of at least 11x11 pixels, got \(2, 1, 10, 32\)$"):
        recon_loss(a, a)
    assert torch.isfinite(recon_loss(a, a, ssim_weight=0))  # no SSIM term, no window
    with pytest.raises(ParameterError, match=r"^the prediction holds no sample or no pixel: \(0, 1, 16, 16\)$"):
        recon_loss(torch.rand(0, 1, 16, 16), torch.rand(0, 1, 16, 16))
    with pytest.raises(ParameterError, match="^ssim_weight must be a finite number >= 0, got nan$"):
        recon_loss(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16), ssim_weight=float("nan"))
    with pytest.raises(ParameterError, match=r"^SSIM takes two \(N, 1, H, W\) tensors of one shape, got \(1, 3, 16, 16\)"):
        ssim_torch(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16))


def test_untrained_keyframe_cvae_starts_near_keyframe():
    m = CVAE(c_in=3, keyframe=True, base=4, z_channels=2)
    key = torch.rand(2, 1, 16, 16) * 0.8 + 0.1
    c = torch.cat([torch.zeros(2, 2, 16, 16), key - 0.5], dim=1)
    assert torch.allclose(m.reconstruct(c), key, atol=1e-5)


def test_e2vid_state_carries_over():
    torch.manual_seed(0)
    m = E2VIDRecurrent(c_in=3, keyframe=False, base=4).eval()
    torch.nn.init.normal_(m.out.weight)
    c = torch.randn(2, 3, 16, 16)
    y0, s = m(c)
    y1, _ = m(c, s)
    assert y0.shape == (2, 1, 16, 16) and [t.shape[1] for t in s] == [8, 16, 16]
    assert not torch.allclose(y0, y1)  # same input, different state -> different output


def test_recurrent_cvae_carries_the_event_history():
    torch.manual_seed(0)
    c_in = 3
    rec = CVAE(c_in=c_in, keyframe=False, base=4, z_channels=2, recurrent=True).eval()
    ff = CVAE(c_in=c_in, keyframe=False, base=4, z_channels=2).eval()
    for m in (rec, ff):
        torch.nn.init.normal_(m.head.weight)
    quiet, busy, now = torch.zeros(2, c_in, 16, 16), torch.randn(2, c_in, 16, 16), torch.randn(2, c_in, 16, 16)
    after_quiet = rec.reconstruct(now, state=rec.encode(quiet)[1])
    after_busy = rec.reconstruct(now, state=rec.encode(busy)[1])
    assert not torch.allclose(after_quiet, after_busy)  # the same window reads differently after other events
    feats, state = rec.encode(now, rec.encode(busy)[1])
    assert torch.equal(rec.decode_mean(feats, now), after_busy) and [t.shape[1] for t in state] == [8, 16, 16]
    out = rec(torch.rand(2, 1, 16, 16), now, rec.encode(busy)[1])
    assert [t.shape for t in out["state"]] == [t.shape for t in state] and out["kl"].shape == (2, 2)
    assert ff.encode(now)[1] is None and "state" not in ff(torch.rand(2, 1, 16, 16), now)
    # the feed-forward encoder has no recurrent weights: checkpoints from before the option still load
    assert not any("rnn" in k for k in ff.state_dict()) and any("rnn" in k for k in rec.state_dict())


def test_a_state_given_to_a_feed_forward_cvae_is_refused():
    """The recurrent model's state given to a feed-forward one was ignored without a word."""
    ff = CVAE(c_in=3, keyframe=False, base=4, z_channels=2)
    c, state = torch.zeros(2, 3, 16, 16), CVAE(c_in=3, keyframe=False, base=4, z_channels=2, recurrent=True).encode(
        torch.zeros(2, 3, 16, 16))[1]
    said = (r"^this model is not recurrent \(recurrent=False\) and takes no state: give state=None, or build it with "
            r"recurrent=True; got a list$")
    for call in (lambda: ff.encode(c, state), lambda: ff.reconstruct(c, state=state),
                 lambda: ff(torch.rand(2, 1, 16, 16), c, state)):
        with pytest.raises(ParameterError, match=said):
            call()


def test_ssim_torch_matches_numpy_metric():
    rng = np.random.default_rng(0)
    a = rng.random((2, 1, 30, 30))
    b = np.clip(a + rng.normal(0, 0.2, a.shape), 0, 1)
    ours = ssim_torch(torch.tensor(a), torch.tensor(b)).numpy()
    assert np.allclose(ours, ssim(a[:, 0], b[:, 0]), atol=1e-10)


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(1)
    mq, lq, mp, lp = (torch.randn(5, generator=g) for _ in range(4))
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(mq, (0.5 * lq).exp()),
                                            torch.distributions.Normal(mp, (0.5 * lp).exp()))
    assert torch.allclose(kl_diag_gaussians(mq, lq, mp, lp), ref, atol=1e-6)


def test_free_bits_and_beta_schedule():
    out = {"recon": torch.full((2, 1, 16, 16), 0.5), "kl": torch.tensor([[0.1, 3.0], [0.3, 5.0]])}
    x = torch.full((2, 1, 16, 16), 0.5)
    plain = cvae_loss(out, x, beta=1.0, ssim_weight=0.0)
    free = cvae_loss(out, x, beta=1.0, free_bits=1.0, ssim_weight=0.0)
    assert plain["kl"].item() == pytest.approx(4.2)
    assert plain["loss"].item() == pytest.approx(4.2 / 256)
    assert free["loss"].item() == pytest.approx((1.0 + 4.0) / 256)
    assert [beta_schedule(e, 2.0, 3) for e in range(5)] == [0.5, 1.0, 1.5, 2.0, 2.0]
    assert beta_schedule(0, 2.0, 0) == 2.0


@pytest.mark.parametrize("args, message", [
    ((-5, 1.0, 3), "^epoch must be >= 0, got -5$"),  # was beta -1.0
    ((0, float("nan"), 3), "^beta must be a finite number >= 0, got nan$"),  # was nan
    ((0, -1.0, 3), r"^beta must be a finite number >= 0, got -1.0$"),  # was -0.25
    ((0, 1.0, -2), "^warmup_epochs must be >= 0, got -2$"),  # was taken as 0
    ((1.5, 1.0, 3), "^epoch must be a whole number, got 1.5$"),
])
def test_beta_schedule_refuses_a_bad_argument_where_it_is_given(args, message):
    """A negative epoch or a NaN beta gave a negative or NaN beta, refused only later by cvae_loss."""
    with pytest.raises(ParameterError, match=message):
        beta_schedule(*args)


def test_short_training_lowers_loss_and_keeps_kl_positive():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 1, 16, 16, generator=g)
    c = torch.cat([x - torch.roll(x, 1, dims=-1), torch.randn(8, 1, 16, 16, generator=g)], dim=1)
    m = CVAE(c_in=2, keyframe=False, base=4, z_channels=2)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    losses, kls = [], []
    for _ in range(40):
        out = cvae_loss(m(x, c), x, beta=1.0, free_bits=0.5)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(out["loss"].item()), kls.append(out["kl"].item())
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    assert min(kls[-10:]) > 1e-3  # no posterior collapse
    assert recon_loss(m.reconstruct(c), x).item() < losses[0]


def test_leaky_counts_decay_and_window():
    ev = make_events([0, 100, 1000, 2000], [0, 0, 1, 1], [0, 0, 0, 0], [1, 1, -1, 1])
    no_leak = leaky_counts(ev, (2, 1), 100, 1000, 0.0)
    assert no_leak[:, 0].tolist() == [[1.0, 0.0], [0.0, 1.0]]  # t=0 and t=2000 fall outside
    leak = leaky_counts(ev, (2, 1), 0, 1000, 1000.0)
    assert leak[0, 0, 0] == pytest.approx(np.exp(-1.0) + np.exp(-0.9), rel=1e-6)
    assert leak[1, 0, 1] == pytest.approx(1.0)


def test_integration_recovers_contrast():
    rng = np.random.default_rng(0)
    key = rng.uniform(0.2, 0.8, (4, 16, 16))
    counts = np.zeros((4, 1, 2, 16, 16), np.float32)
    counts[:, 0, 0] = rng.integers(0, 3, (4, 16, 16))
    counts[:, 0, 1] = rng.integers(0, 3, (4, 16, 16))
    target = integrate(key, counts[:, 0], 0.3, 0.2, gamma=2.2)
    best = fit_integration(key, counts, target, alphas_rad_s=(0.0,), gamma=2.2)
    assert (best["c_on"], best["c_off"]) == (0.3, 0.2) and best["mse"] < 1e-10
    assert np.allclose(integrate(key, np.zeros((4, 2, 16, 16)), 0.3, 0.2, gamma=2.2), key, atol=1e-3)
    assert np.array_equal(copy_keyframe(key), key.astype(np.float32))


def test_integration_fit_matches_a_brute_force_search_with_still_pixels():
    """The fit sums the error of event-free pixels once per leak: it must pick the point and the
    error that integrating every pixel at every grid point gives."""
    rng = np.random.default_rng(1)
    key = rng.uniform(0.05, 0.95, (3, 12, 12))
    counts = np.zeros((3, 2, 2, 12, 12), np.float32)
    events = rng.random((3, 12, 12)) < 0.3  # most pixels see no event
    counts[:, :, 0][:, :, events[0]] = rng.integers(1, 4, (2, int(events[0].sum())))
    counts[:, :, 1] = np.where(rng.random((3, 2, 12, 12)) < 0.2, 1.0, 0.0)
    target = np.clip(integrate(key, counts[:, 1], 0.12, 0.07, gamma=2.2) + rng.normal(0, 0.01, key.shape), 0, 1)
    target = target.astype(np.float32)
    grid = [(a, c_on, c_off) for a in range(2) for c_on in CONTRAST_GRID for c_off in CONTRAST_GRID]
    errors = [float(np.mean((integrate(key, counts[:, a], c_on, c_off, gamma=2.2) - target).astype(np.float64) ** 2))
              for a, c_on, c_off in grid]
    a, c_on, c_off = grid[int(np.argmin(errors))]
    best = fit_integration(key, counts, target, alphas_rad_s=(0.0, 5.0), gamma=2.2)
    assert (best["alpha_index"], best["c_on"], best["c_off"]) == (a, c_on, c_off)
    assert best["alpha_rad_s"] == 5.0 * a
    assert best["mse"] == pytest.approx(min(errors), rel=1e-9)


def test_decodings_from_different_z_differ_where_the_face_moves():
    """A change the condition cannot tell (a patch that brightens or darkens at random) must live in z:
    after a short training, prior samples decode differently inside the patch and alike outside it."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    size = 16
    moving = torch.zeros(1, 1, size, size, dtype=torch.bool)
    moving[..., 4:12, 4:12] = True

    def batch(n):
        key = torch.nn.functional.avg_pool2d(torch.rand(n, 1, size + 3, size + 3, generator=g), 4, 1) * 0.5 + 0.25
        sign = torch.where(torch.rand(n, 1, 1, 1, generator=g) < 0.5, -1.0, 1.0)
        c = torch.cat([torch.zeros(n, 1, size, size), key - 0.5], dim=1)  # no event tells the sign
        return (key + 0.2 * sign * moving).clamp(0, 1), c

    m = CVAE(c_in=2, keyframe=True, base=4, z_channels=2)
    opt = torch.optim.Adam(m.parameters(), lr=5e-3)
    for _ in range(120):
        x, c = batch(16)
        loss = cvae_loss(m(x, c), x, beta=0.1, free_bits=0.5, ssim_weight=0.0, mse_weight=20.0)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    spread = m.samples(batch(8)[1], 16, generator=torch.Generator().manual_seed(1)).std(dim=0)[:, 0]
    inside, outside = spread[:, moving[0, 0]].mean(), spread[:, ~moving[0, 0]].mean()
    assert inside > 0.03 and inside > 2 * outside


def test_rgb_only_baselines_follow_motion():
    rng = np.random.default_rng(0)
    a = cv2_blur(rng.uniform(0, 1, (48, 48)).astype(np.float32))
    shifted = lambda px: np.roll(a, px, axis=1)[None]  # noqa: E731
    t = lambda v: np.array([v])  # noqa: E731
    inner = (slice(None), slice(8, 40), slice(8, 40))
    err = lambda p, q: float(np.abs(p - q)[inner].mean())  # noqa: E731
    # extrapolation: 2 px per frame, one more frame ahead -> 4 px
    assert err(rgb_flow_extrapolate(a[None], shifted(2), t(0), t(10), t(20)), shifted(4)) < 0.5 * err(rgb_hold(shifted(2)), shifted(4))
    # interpolation halfway between 0 and 4 px -> 2 px, sharper than the blend
    mid = rgb_flow_interpolate(a[None], shifted(4), t(0), t(10), t(5))
    assert err(mid, shifted(2)) < 0.6 * err(rgb_blend(a[None], shifted(4), t(0), t(10), t(5)), shifted(2))
    # the same frame twice: held
    assert np.allclose(rgb_flow_extrapolate(a[None], a[None], t(10), t(10), t(20)), a[None])


def cv2_blur(img):
    import cv2

    return cv2.GaussianBlur(img, (0, 0), 2)


@pytest.mark.parametrize("call, message", [
    # a batch or a time of one sample was broadcast over the other's samples without a word
    (lambda a, t: rgb_blend(a, a[:1], t, t + 40, t + 10), r"^b must be frames \(N, H, W\) = \(2, 16, 24\) as a is, got \(1, 16, 24\)$"),
    (lambda a, t: rgb_blend(a, a, t, (t + 40)[:1], t + 10), r"^t_b must hold one time per sample, \(2,\), got \(1,\)$"),
    (lambda a, t: rgb_flow_interpolate(a, a, t, t + 40, t + np.nan), "^t holds NaN or infinite values$"),
    # the flow read NaN as black and went on
    (lambda a, t: rgb_flow_extrapolate(np.where(a > 0.5, np.nan, a), a, t, t + 40, t + 80), "^prev holds NaN or infinite values$"),
    # OpenCV ended the process (segmentation fault) on frames 12 x 40
    (lambda a, t: rgb_flow_extrapolate(np.zeros((2, 12, 40)), np.zeros((2, 12, 40)), t, t + 40, t + 80),
     "^prev: optical flow needs frames of at least 16 x 16 pixels, got 40 x 12$"),
    # one sample's (2, H, W) counts were read as the ON and OFF rows of every keyframe
    (lambda a, t: integrate(a, np.zeros((2, 16, 24)), 0.2, 0.2, 2.2),
     r"^counts must be \(2, 2, 16, 24\) \(ON and OFF counts for the keyframe\), got \(2, 16, 24\)$"),
    (lambda a, t: integrate(a, np.zeros((2, 2, 16, 24)), 0.2, 0.2, -1), "^gamma must be a finite number > 0, got -1$"),
    # these fits ended in ZeroDivisionError, or returned {"mse": inf} without the fitted values
    (lambda a, t: fit_integration(a[:0], np.zeros((0, 1, 2, 16, 24)), a[:0], [1.0], gamma=2.2),
     "^fit_integration needs at least one sample, got none$"),
    (lambda a, t: fit_integration(a, np.zeros((2, 1, 2, 16, 24)), a + np.nan, [1.0], gamma=2.2),
     "^targets holds NaN or infinite values$"),
    (lambda a, t: fit_integration(a, np.zeros((2, 1, 2, 16, 24)), a, [1.0], contrasts=[], gamma=2.2),
     "^fit_integration needs leak rates and contrasts to try, got 1 and 0$"),
    # a NaN or colour frame was copied as the prediction, text met numpy's "could not convert string to float"
    (lambda a, t: copy_keyframe(np.where(a > 0.5, np.nan, a)), "^keyframe holds NaN or infinite values$"),
    (lambda a, t: rgb_hold(np.zeros((2, 16, 24, 3))), r"^last must be grey frames \(N, H, W\) of real numbers, got "
                                                      r"float64 \(2, 16, 24, 3\)$"),
    (lambda a, t: copy_keyframe("abc"), r"^keyframe must be grey frames \(N, H, W\) of real numbers, got <U3 \(\)$"),
], ids=["blend-batch", "blend-times", "interpolate-nan-time", "extrapolate-nan-frame", "flow-narrow-frames",
        "integrate-counts", "integrate-gamma", "fit-empty", "fit-nan-target", "fit-no-contrasts", "keyframe-nan",
        "hold-colour", "keyframe-text"])
def test_the_baselines_check_their_input(call, message):
    frames = np.random.default_rng(0).uniform(0, 1, (2, 16, 24))
    with pytest.raises(ParameterError, match=message):
        call(frames, np.array([0, 100]))
