"""The DVS simulator's events, byte for byte, against digests recorded from dev before the kernel's
dense-regime speed-ups (issue 18): a change of the kernels must not move a single event.

The reference does not depend on the kernels under test: the digests are sha256 of the full event
arrays (every step's events, concatenated) that dev produced at 984181b7, on the AMD EPYC Zen 4
development machine (x86-64 with FMA; ``contract`` is the kernels' only fast-math flag, so a CPU
without FMA would round differently). Scenes: ``evface bench sim``'s sparse (``blob``) and dense
(``flicker``) ones, at a size that runs the parallel builds (36 864 pixels) and one that runs the
serial ones; modes: ideal, the bench's realistic, the rig's two presets (mismatch, low-pass,
refractory period, sub-steps, noise), and a fine ideal threshold whose steps overflow the row
buffers and go to the parallel sort.
"""

from __future__ import annotations

import hashlib

import numba
import numpy as np
import pytest

from evface.bench.sim import SCENES, STEP_US, modes
from evface.events.core import EVENT_DTYPE
from evface.sim.dvs import PARALLEL_MIN_EVENTS, PARALLEL_MIN_PIXELS, DvsSimulator
from evface.sim.dvs_params import DvsParams

STEPS = 10
PARAMS = {
    "ideal": modes()["ideal"],
    "realistic": modes()["realistic"],
    "davis346": DvsParams.preset("davis346"),
    "evk4": DvsParams.preset("evk4", shot_noise_rate_hz=2.0),
    "fine": DvsParams.ideal(0.01),
}
# digests of dev at 984181b7 (sha256 of the concatenated event bytes; event count)
DIGESTS = {
    "blob-ideal-256x144": ("be0575cb63f516279d36aa3d25adb63edea7e341975645d88a5ffaebd3aafc99", 11906),
    "blob-realistic-256x144": ("03346646a1f15b98667c035cfd328bedf4d6c877936f4b4791627c5122b46e5b", 6596),
    "blob-davis346-256x144": ("1a5805ae663301d31fd258f24fa37468d91f4fee8c19753c992a1cc44365272c", 12213),
    "blob-evk4-256x144": ("a6f1a70e87aba4043e9d22636ed1743b67f550f96fd23ebb138f83699299a1e7", 9677),
    "blob-fine-256x144": ("5ee43e21d9b4c9eb4d4948e629eba1aa93901fae95795eee24f6c61f6e542f95", 281568),
    "flicker-ideal-256x144": ("a3b23e3a26d9d659c3b66417d1334e270dfedcd12ab47c09ba4b0eccb5385fd3", 73155),
    "flicker-realistic-256x144": ("e3eb085557f69fb7651d89a95ac3ec8b684359a338539a4d456a189e632e2f28", 6782),
    "flicker-davis346-256x144": ("2c75447a47294dc9be9924b0c73c2a3f6b2c043c0da93fd626d9890d59d7d195", 11976),
    "flicker-evk4-256x144": ("d76b490b5fcc7dc1a2d5c03181d58e3c50495a9fd843173f944952e34786d4cc", 9933),
    "flicker-fine-256x144": ("52a0d7d50dc6856ae3df9528bdcdd3a2a60c1dd708e00989716f9ca6c1705caa", 1604110),
    "blob-ideal-64x48": ("34f661d4fb190698af13826851ae46203bf9f11b634e37898f987d3fc05d3d91", 4250),
    "blob-realistic-64x48": ("f327750c55eb9d628066abb7f9303f22f0774c87e0a5eeddb655285c3ba227e2", 1814),
    "blob-davis346-64x48": ("d332840a4b98a8538c24b4bae0b9bc11b0515e4493b599a4257faeebdfad5898", 2921),
    "blob-evk4-64x48": ("04f798b99d64e62e19d770c010449fc6b3c16dc37cb09d5d692c24569bc89458", 3261),
    "blob-fine-64x48": ("c752c8bcfd72e64883ca4e8669f99887277d545575d95dd46c5773e0885619e1", 94218),
    "flicker-ideal-64x48": ("0acda2a96cb5e80f1d2cb384dfe8ffaebb8463d6adb7b10945b2f83fb64f0eb0", 8709),
    "flicker-realistic-64x48": ("7ce8c9b981dbdf30d2f110465238758824512f64a9122b934b3b24b8e4305dfb", 1807),
    "flicker-davis346-64x48": ("05bc1e7e0fc62a08a78b2b30c02108ea28894a92b60bb79824b8e813d0556276", 2870),
    "flicker-evk4-64x48": ("c7b6159b6bc2ca39da05c144abebeb3b447553a0c18ab6192753b8cf80c9e5ab", 3224),
    "flicker-fine-64x48": ("4199b4042a3ee90a2b86016aa826a65c1c2934e7f3fc39677bd0ef4798f359ef", 197892),
}


def run(scene: str, mode: str, size: tuple[int, int], seed: int = 5) -> np.ndarray:
    """The events of ``STEPS`` steps of ``scene`` (after the initialising one), concatenated."""
    sim = DvsSimulator(size, PARAMS[mode], seed)
    out = [sim.step(SCENES[scene](size, k), k * STEP_US) for k in range(STEPS + 1)]
    return np.concatenate(out)


def digest(events: np.ndarray) -> str:
    """sha256 of an event array's bytes."""
    return hashlib.sha256(events.tobytes()).hexdigest()


CASES = [(scene, mode, size) for size in ((256, 144), (64, 48)) for scene in SCENES for mode in PARAMS]


@pytest.mark.parametrize(("scene", "mode", "size"), CASES, ids=[f"{s}-{m}-{w}x{h}" for s, m, (w, h) in CASES])
def test_events_are_the_bytes_dev_made(scene, mode, size):
    expected, count = DIGESTS[f"{scene}-{mode}-{size[0]}x{size[1]}"]
    old = numba.get_num_threads()
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):  # type: ignore[attr-defined]  # numba sets its config names at run time
            numba.set_num_threads(threads)
            events = run(scene, mode, size)
            assert events.dtype == EVENT_DTYPE
            assert (events.size, digest(events)) == (count, expected), f"{threads} thread(s)"
    finally:
        numba.set_num_threads(old)


def test_the_cases_reach_the_parallel_builds_and_the_row_re_run():
    # the large size runs the parallel pass 1; the fine threshold's dense steps sort in parallel and
    # overflow the row buffers (width + 64 events), so the re-run of overflowed rows is covered
    assert 256 * 144 >= PARALLEL_MIN_PIXELS > 64 * 48
    sim = DvsSimulator((256, 144), PARAMS["fine"], 5)
    sim.step(SCENES["flicker"]((256, 144), 0), 0)
    events = sim.step(SCENES["flicker"]((256, 144), 1), STEP_US)
    assert events.size >= PARALLEL_MIN_EVENTS
    assert np.bincount(events["y"]).max() > 256 + 64

