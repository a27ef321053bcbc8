"""evface's DvsSimulator beside v2e's EventEmulator on identical float frames, in one run.

Not part of the package: v2e is not on PyPI, and evface never imports it. Each simulator runs in
its own process (``--worker``), on the same frames: the scenes of ``evface bench sim`` (a Gaussian
blob circling over a static background, and the same under 100 Hz flicker: every pixel changes
every step) at twice their brightness, so that every value stays above v2e's lin-log knee of 20
(both models are then plain log), sampled at 1 kHz. Only the simulators' step calls are timed,
after 5 untimed warm-up steps; each figure is the median of ``--repeats`` fresh simulators.

Modes. *ideal*: thresholds 0.2, no mismatch, low-pass, refractory period or noise (the two models
are the same then: per-pixel counts must be identical). *realistic*: threshold mismatch sigma
0.03, 300 Hz photoreceptor cut-off scaled by ``(I + 20) / 275`` as in v2e, refractory 0.5 ms, no
noise (the noise models differ by design). The models still differ in their mismatch draws
(different random generators), their low-pass (v2e: Euler step clipped at 1; evface: exact
exponential) and event timing (v2e: shared time slots per step; evface: per-pixel interpolation).

Setup (once; outside the repository)::

    # the v2e repository, through the workplace's fetch tool (github:SensorsINI/v2e), then
    mkdir -p /work/scratch-v2e/v2e
    git --git-dir=/work/.mirror/SensorsINI+v2e/repo archive HEAD v2ecore LICENSE \\
        | tar -x -C /work/scratch-v2e/v2e
    # what v2ecore.emulator imports beyond evface's own dependencies (numpy, torch, cv2, h5py)
    pip install --target /work/scratch-v2e/deps screeninfo easygui engineering-notation
    # v2e imports dv_processing only for AEDAT4 output, which is not used here
    mkdir -p /work/scratch-v2e/stubs && echo '' > /work/scratch-v2e/stubs/dv_processing.py

Run (from the repository root, with evface's virtualenv)::

    python tools/bench_v2e.py --v2e-path /work/scratch-v2e/v2e:/work/scratch-v2e/deps:/work/scratch-v2e/stubs

Options: ``--threads 2`` (numba threads for evface, torch threads for v2e), ``--cpus 0,1`` (pin
both to these CPUs), ``--steps 300``, ``--repeats 3``, ``--sizes 346x260,1280x720``,
``--scenes blob,flicker``, ``--modes ideal,realistic``; ``--rate-khz 10`` samples the same scenes
at 10 kHz (``--steps`` counts steps at that rate), ``--cutoff-hz 0`` turns the low-pass of
realistic mode off in both simulators.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from evface.checks import as_int
from evface.errors import EvfaceError, ParameterError, choose_from

REPO = Path(__file__).resolve().parents[1]
SCENES = ("blob", "flicker")
MODES = ("ideal", "realistic")
BRIGHTNESS = 2.0
WARMUP = 5


def frame(scene: str, size: tuple[int, int], step: float) -> np.ndarray:
    """The float32 (H, W) frame both simulators get at ``step`` ms (a 1 kHz step; fractional at
    higher rates)."""
    from evface.bench.sim import SCENES as BENCH_SCENES

    return (BENCH_SCENES[scene](size, step) * np.float32(BRIGHTNESS)).astype(np.float32)


def make_evface(mode: str, size: tuple[int, int], seed: int, cutoff_hz: float = 300.0):
    """A step function ``(frame, t_us) -> (x, y)`` of evface's simulator."""
    from evface.sim.dvs import DvsSimulator
    from evface.sim.dvs_params import DvsParams

    if mode == "ideal":
        params = DvsParams.ideal(0.2, lin_log_lux=20.0)
    else:
        params = DvsParams(threshold_on_log=0.2, threshold_off_log=0.2, threshold_on_sigma_log=0.03,
                           threshold_off_sigma_log=0.03, cutoff_hz=cutoff_hz, bandwidth_ref_lux=275.0,
                           lin_log_lux=20.0, refractory_us=500.0)
    sim = DvsSimulator(size, params, seed)

    def step(f: np.ndarray, t_us: int):
        ev = sim.step(f, t_us)
        return ev["x"], ev["y"]

    return step


def make_v2e(mode: str, size: tuple[int, int], seed: int, cutoff_hz: float = 300.0):
    """A step function ``(frame, t_us) -> (x, y)`` of v2e's emulator on the CPU."""
    import logging

    from v2ecore.emulator import EventEmulator

    logging.disable(logging.WARNING)  # v2e warns about every frame without events
    realistic = mode == "realistic"
    emu = EventEmulator(pos_thres=0.2, neg_thres=0.2, sigma_thres=0.03 if realistic else 0.0,
                        cutoff_hz=cutoff_hz if realistic else 0.0, leak_rate_hz=0.0,
                        refractory_period_s=5e-4 if realistic else 0.0, shot_noise_rate_hz=0.0,
                        seed=seed, device="cpu", output_width=size[0], output_height=size[1])

    def step(f: np.ndarray, t_us: int):
        ev = emu.generate_events(f, t_us * 1e-6)
        if ev is None:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return ev[:, 1].astype(np.int64), ev[:, 2].astype(np.int64)

    return step


def worker(args: argparse.Namespace) -> None:
    """One simulator, one scene, one mode: time ``repeats`` fresh runs; save times and counts."""
    if args.cpus:
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})
    if args.worker == "v2e":
        import torch

        torch.set_num_threads(args.threads)
        make = make_v2e
    else:
        make = make_evface
    width, height = (int(v) for v in args.size.split("x"))
    size = (width, height)
    walls: list[float] = []
    cpus: list[float] = []
    maps: list[np.ndarray] = []  # each repeat's per-pixel event counts
    rate = args.rate_khz
    for repeat in range(args.repeats):
        step = make(args.mode, size, seed=repeat, cutoff_hz=args.cutoff_hz)
        for k in range(WARMUP + 1):
            step(frame(args.scene, size, k / rate), k * 1000 // rate)
        count = np.zeros((height, width), np.int64)
        wall = cpu = 0.0
        for k in range(WARMUP + 1, WARMUP + 1 + args.steps):
            f = frame(args.scene, size, k / rate)
            c0, t0 = time.process_time(), time.perf_counter()
            x, y = step(f, k * 1000 // rate)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            np.add.at(count, (y, x), 1)
        walls.append(wall)
        cpus.append(cpu)
        maps.append(count)
    np.savez(args.out, walls=walls, cpus=cpus, counts=maps[0])  # the first repeat's map


def run_worker(which: str, scene: str, mode: str, size: str, args: argparse.Namespace, tmp: Path) -> dict:
    out = tmp / f"{which}-{scene}-{mode}-{size}.npz"
    env = dict(os.environ, NUMBA_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    path = [str(REPO)] + ([args.v2e_path] if which == "v2e" else []) + [env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    cmd = [sys.executable, __file__, "--worker", which, "--scene", scene, "--mode", mode, "--size", size,
           "--steps", str(args.steps), "--repeats", str(args.repeats), "--threads", str(args.threads),
           "--rate-khz", str(args.rate_khz), "--cutoff-hz", str(args.cutoff_hz), "--out", str(out)]
    cmd += ["--cpus", args.cpus] if args.cpus else []
    subprocess.run(cmd, env=env, check=True)
    data = np.load(out)
    return {"wall": float(np.median(data["walls"])), "cpu": float(np.median(data["cpus"])), "counts": data["counts"]}


def checked(args: argparse.Namespace) -> None:
    """A :class:`ParameterError` naming the first option of ``args`` the run could not use, before
    any worker starts (was: each a worker's traceback, then the run's)."""
    for option, value in (("--threads", args.threads), ("--steps", args.steps), ("--repeats", args.repeats)):
        as_int(option, value, 1)
    for size in args.sizes.split(","):
        width, x, height = size.partition("x")
        if not (x and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
            raise ParameterError(f"--sizes {size!r}: give WIDTHxHEIGHT, e.g. 346x260")
    for option, given, allowed in (("--scenes", args.scenes, SCENES), ("--modes", args.modes, MODES)):
        for name in given.split(","):
            if name not in allowed:
                raise ParameterError(f"{option} {name!r}: {choose_from(allowed)}")
    if args.cpus and not all(c.isdigit() for c in args.cpus.split(",")):
        raise ParameterError(f"--cpus {args.cpus!r}: give CPU numbers, e.g. 0,1")
    if importlib.machinery.PathFinder.find_spec("v2ecore", [*filter(None, args.v2e_path.split(os.pathsep)), *sys.path]) is None:
        raise ParameterError(f"--v2e-path {args.v2e_path!r}: no v2ecore there; set v2e up as this script's --help says")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--v2e-path", default="", help="PYTHONPATH entries that make v2ecore importable")
    parser.add_argument("--threads", type=int, default=2, help="numba threads of evface, torch threads of v2e (default 2)")
    parser.add_argument("--cpus", default="", help="pin the workers to these CPUs, e.g. 0,1")
    parser.add_argument("--steps", type=int, default=300, help="timed steps of each run (default 300)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh simulators per figure, their median (default 3)")
    parser.add_argument("--sizes", default="346x260,1280x720", help="frame sizes WxH (default 346x260,1280x720)")
    parser.add_argument("--scenes", default=",".join(SCENES), help=f"of {', '.join(SCENES)} (default both)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"of {', '.join(MODES)} (default both)")
    parser.add_argument("--rate-khz", type=int, default=1, choices=(1, 2, 5, 10, 20),
                        help="frames per ms (the scenes are the same in time; steps are at this rate)")
    parser.add_argument("--cutoff-hz", type=float, default=300.0,
                        help="photoreceptor cut-off of realistic mode in both simulators (0: no low-pass)")
    parser.add_argument("--worker", choices=("v2e", "evface"), help=argparse.SUPPRESS)
    parser.add_argument("--scene", choices=SCENES, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    try:  # one line, exit 2
        checked(args)
    except EvfaceError as exc:
        parser.exit(2, f"error: {exc}\n")
    print(f"# {args.steps} steps at {args.rate_khz} kHz, median of {args.repeats}, {args.threads} threads"
          + (f", realistic cut-off {args.cutoff_hz:g} Hz" if args.cutoff_hz != 300.0 else "")
          + (f", CPUs {args.cpus}" if args.cpus else "") + f", load average {os.getloadavg()[0]:.1f} at start")
    print("| size | scene | mode | events evface | events v2e | count ratio | map correlation "
          "| evface wall s (CPU/wall) | v2e wall s (CPU/wall) | v2e / evface wall | v2e / evface CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            for scene in args.scenes.split(","):
                for mode in args.modes.split(","):
                    ours = run_worker("evface", scene, mode, size, args, Path(tmp))
                    theirs = run_worker("v2e", scene, mode, size, args, Path(tmp))
                    a, b = ours["counts"], theirs["counts"]
                    same = np.array_equal(a, b)
                    corr = "identical" if same else f"{np.corrcoef(a.ravel(), b.ravel())[0, 1]:.4f}"
                    print(f"| {size} | {scene} | {mode} | {a.sum()} | {b.sum()} | {a.sum() / max(b.sum(), 1):.4f} "
                          f"| {corr} | {ours['wall']:.3f} ({ours['cpu'] / ours['wall']:.2f}) "
                          f"| {theirs['wall']:.3f} ({theirs['cpu'] / theirs['wall']:.2f}) "
                          f"| {theirs['wall'] / ours['wall']:.1f}x | {theirs['cpu'] / ours['cpu']:.1f}x |", flush=True)
    print(f"# load average {os.getloadavg()[0]:.1f} at end; " + json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
