"""A clip file's HDF5 tree mutated, each member still valid HDF5, through every reader, in child processes.

:func:`make_good` writes one small valid clip with :func:`~evface.io.clip_writer.write_clip` (the
reconstruction tests' :func:`recon_fixtures.make_clip`: sensors ``hd`` and ``lr``, RGB frames, truth
of both, face boxes and homographies). :func:`cases` then lists, deterministically, one mutation per
copy, made with h5py as another tool or an edited file could leave it: each dataset removed, retyped
(float for int, int for float, byte strings, bool), reshaped (a dimension more or fewer, zero length,
transposed, a scalar), declared huge (chunked, resizable, little written: read whole it would take
terabytes), given values off range (negative, NaN and infinite times, coordinates past the sensor,
polarities other than -1/+1, times unsorted); each attribute removed or retyped (text for a number,
a number for text, an array, NaN, 1e30, a negative number, JSON that is no object); each group
replaced by a dataset; unknown members added (which must change nothing).

Every reader (:data:`GROUPS`, one child process each, this file run as a script) reads each copy:
``read_clip`` whole, frames only and truth only (with it ``read_clip_meta``, which every reader runs
first), ``read_events`` of a window, ``iter_clip_events``, ``event_counts``, ``frames_and_truth_info``,
``indexed_event_times``, ``first_event_index``, the events-file reader of a window, ``file_info``;
``evface info`` and ``evface convert`` through :func:`evface.cli.main`; the model inputs (a
classifier's events and RGB inputs, the reconstruction samples). Only ``lr``'s members are mutated
(``hd``'s are read by the same code), and the CLI and the inputs read every third and second case
(:data:`STRIDE`), so that the sweep takes about 20 s of CPU. The property (:func:`_check`): a reader
returns a result that holds no value off range (a clip that :func:`~evface.io.clip_checks.checked_clip`
would write, its events sorted first: the order is ``convert --sort``'s to mend; events on their sensor
with polarities -1/+1), or raises one :class:`~evface.errors.EvfaceError` on one line naming the file
(the CLI: one ``error:`` line, exit 2); never another exception, and the child's peak resident memory
stays under :data:`PEAK_MB` (its address space is capped, :func:`fuzz_children.limit_memory`). A copy
with only unknown members added reads as the clip did. What the sweep found is :data:`DEFECTS`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from fuzz_children import limit_memory, peak_mb, run_child

from evface.errors import EvfaceError

PEAK_MB = 1024
"""The most resident memory a child may reach (its imports take about 300 MB)."""
HUGE = 1 << 40
"""The first dimension a dataset is declared with, little of it written: read whole, terabytes."""

Mutation = Callable[[h5py.File], None]


def make_good(folder: Path) -> Path:
    """The valid clip every case starts from: two sensors, RGB frames, truth, 70 ms (120 KB)."""
    from recon_fixtures import make_clip  # lazy: the test's own fixture module, found on the child's path

    from evface.io.clip_writer import write_clip  # lazy: imported in the child only

    return write_clip(folder / "good.h5", make_clip("c0", "s00", "bright", 0, duration_us=70_000))


# --------------------------------------------------------------------------- the mutations


def _replace(name: str, make: Callable[[np.ndarray], Any], **options: Any) -> Mutation:
    """Dataset ``name`` replaced by ``make(its values)`` (created with ``options``)."""
    def change(f: h5py.File) -> None:
        values, attrs = f[name][()], dict(f[name].attrs)
        del f[name]
        f.create_dataset(name, data=make(values), **options)
        f[name].attrs.update(attrs)
    return change


def _declared_huge(name: str) -> Mutation:
    """Dataset ``name`` declared :data:`HUGE` long (chunked, resizable), its own values written first."""
    def change(f: h5py.File) -> None:
        values, attrs = f[name][()], dict(f[name].attrs)
        del f[name]
        shape = (HUGE, *values.shape[1:]) if values.ndim else (HUGE,)
        chunks = (max(1, min(len(values) if values.ndim else 1, 4096)), *values.shape[1:])
        ds = f.create_dataset(name, shape=shape, dtype=values.dtype, chunks=chunks, maxshape=(None, *values.shape[1:]))
        if values.ndim and len(values):
            ds[:len(values)] = values
        ds.attrs.update(attrs)
    return change


def _set_values(name: str, edit: Callable[[np.ndarray], np.ndarray]) -> Mutation:
    """Dataset ``name``'s values edited in place (same dtype and shape where ``edit`` keeps them)."""
    return _replace(name, edit, chunks=None)


def _retyped(values: np.ndarray) -> dict[str, Callable[[np.ndarray], Any]]:
    other = "float" if values.dtype.kind in "iu" else "int"
    return {
        other: lambda v: v.astype(np.float64 if v.dtype.kind in "iu" else np.int64),
        "bytes": lambda v: v.astype("S12"),
        "bool": lambda v: v.astype(bool),
        "text": lambda v: "x",
    }


def _reshaped(values: np.ndarray) -> dict[str, Callable[[np.ndarray], Any]]:
    return {
        "one dimension more": lambda v: v[..., None],
        "one dimension fewer": lambda v: v.reshape(v.shape[0] * v.shape[1], *v.shape[2:]) if v.ndim > 1 else v[0],
        "zero length": lambda v: v[:0],
        "transposed": lambda v: v.T if v.ndim > 1 else v[None, :],
        "a scalar": lambda v: v.reshape(-1)[0],
    }


def _off_range(name: str) -> dict[str, Callable[[np.ndarray], Any]]:
    """Values a dataset of this name may hold that are off its range."""
    leaf = name.rsplit("/", 1)[-1]
    out: dict[str, Callable[[np.ndarray], Any]] = {}
    if leaf in ("t", "t_index", "exposure_us"):
        out["negative"] = lambda v: -np.abs(v) - 1
        out["NaN"] = lambda v: np.where(np.arange(len(v)) == len(v) // 2, np.nan, v.astype(np.float64))
        out["infinite"] = lambda v: np.where(np.arange(len(v)) == len(v) - 1, np.inf, v.astype(np.float64))
        out["unsorted"] = lambda v: v[::-1].copy()
        out["beyond int64 as float"] = lambda v: v.astype(np.float64) * 1e30
    if leaf in ("x", "y"):
        out["past the sensor"] = lambda v: v + np.uint16(1000)
        out["the largest"] = lambda v: np.full_like(v, 65535)
    if leaf == "p":
        out["polarity 0"] = np.zeros_like
        out["polarity 5"] = lambda v: np.full_like(v, 5)
    if leaf == "data" and name.startswith("truth"):
        out["the top code"] = lambda v: np.full_like(v, 65535)
    return out


def _dataset_cases(name: str, values: np.ndarray) -> Iterator[tuple[str, Mutation]]:
    yield f"{name} removed", lambda f: f.__delitem__(name)
    for what, make in {**_retyped(values), **_reshaped(values)}.items():
        yield f"{name} {what}", _replace(name, make)
    yield f"{name} declared {HUGE} long", _declared_huge(name)
    for what, edit in _off_range(name).items():
        yield f"{name} {what}", _set_values(name, edit)


ATTR_VALUES: dict[str, Any] = {
    "text": "x", "a number": 5, "an array": np.array([1, 2, 3]), "NaN": np.nan, "1e30": 1e30, "negative": -5,
    "JSON no object": "[1]",
}
"""What each attribute is set to in turn (besides removed)."""


def _attr_cases(member: str, key: str) -> Iterator[tuple[str, Mutation]]:
    yield f"{member} attr {key} removed", lambda f: f[member].attrs.__delitem__(key)
    for what, value in ATTR_VALUES.items():
        yield f"{member} attr {key} = {what}", lambda f, value=value: f[member].attrs.__setitem__(key, value)


def _group_case(name: str) -> Mutation:
    def change(f: h5py.File) -> None:
        del f[name]
        f[name] = np.arange(3)
    return change


EXTRAS: dict[str, Mutation] = {
    "a dataset at the root": lambda f: f.create_dataset("notes", data=np.arange(5)),
    "a group at the root": lambda f: f.create_group("thumbnails/a"),
    "an attribute at the root": lambda f: f.attrs.__setitem__("tool", "other"),
    "a dataset in a sensor": lambda f: f.create_dataset("events/hd/trigger", data=np.arange(5)),
    "an attribute of a sensor": lambda f: f["events/hd"].attrs.__setitem__("bias", 3),
    "a dataset in a camera": lambda f: f.create_dataset("frames/rgb/gain", data=np.ones(4)),
    "an attribute of a column": lambda f: f["events/lr/t"].attrs.__setitem__("unit", "us"),
}
"""Unknown members another tool may add: a clip with one reads as the clip did."""


def cases(good: Path) -> dict[str, Mutation]:
    """Every mutation of ``good``, by label, in the file's order (the same list on every run)."""
    out: dict[str, Mutation] = {}
    with h5py.File(good, "r") as f:
        members: list[tuple[str, Any]] = [("/", f)]
        f.visititems(lambda name, obj: members.append((name, obj)))
        for name, obj in members:
            if "hd/" in f"{name}/":
                continue  # read by the same code as lr's
            if isinstance(obj, h5py.Dataset):
                out.update(_dataset_cases(name, obj[()]))
            elif name != "/":
                out[f"{name} a dataset instead of a group"] = _group_case(name)
            for key in obj.attrs:
                out.update(_attr_cases(name, key))
    out.update({f"extra: {what}": change for what, change in EXTRAS.items()})
    return out


def mutated(good: Path, path: Path, change: Mutation) -> Path:
    """A copy of ``good`` at ``path`` changed by ``change``."""
    shutil.copyfile(good, path)
    with h5py.File(path, "r+") as f:
        change(f)
    return path


# --------------------------------------------------------------------------- the readers and what they may return


def _valid_clip(path: Path, clip: Any) -> None:
    """A clip read is one write_clip would take back (fields, times, geometry, events, frames, truth)."""
    from evface.io.clip_checks import checked_clip  # lazy: imported in the child only

    events = {name: ev if (np.diff(ev["t"]) >= 0).all() else np.sort(ev, order="t", kind="stable")
              for name, ev in clip.events.items()}  # the order is convert --sort's to mend
    try:
        checked_clip(Path("check.h5"), replace(clip, events=events))
    except EvfaceError as exc:
        raise AssertionError(f"returned a value off range ({exc})") from None


def _valid_events(size: tuple[int, int], events: np.ndarray) -> None:
    """Events on a ``size`` sensor with polarities -1/+1 (their order is not asked: ``convert --sort``)."""
    off = (events["x"] >= size[0]) | (events["y"] >= size[1]) | (np.abs(events["p"]) != 1)
    assert not off.any(), f"returned events off range: {events[off][:1]} on a {size} sensor"


def _sizes(path: Path) -> dict[str, tuple[int, int]]:
    from evface.io.clip_reader import read_clip_meta  # lazy: imported in the child only

    return {name: info.size for name, info in read_clip_meta(path).sensors.items()}


def _each_sensor(sizes: Callable[[], dict[str, tuple[int, int]]],
                 read: Callable[[str], np.ndarray]) -> Callable[[], None]:
    """A reader that reads the events of each sensor (``sizes``: the clip's sensors and their sizes)
    with ``read`` and checks them."""
    def run() -> None:
        for name, size in sizes().items():
            _valid_events(size, read(name))
    return run


def _api_readers(path: Path) -> dict[str, Callable[[], None]]:
    """The clip reader's functions, each with its result checked."""
    from evface.io import clip_reader as cr  # lazy: imported in the child only

    sizes = functools.cache(lambda: _sizes(path))

    return {
        "read_clip": lambda: _valid_clip(path, cr.read_clip(path)),
        "read_clip frames only": lambda: _valid_clip(path, cr.read_clip(path, [], frames=True, truth=False)),
        "read_clip truth only": lambda: _valid_clip(path, cr.read_clip(path, ["lr"], frames=False, truth=["lr"])),
        "read_events window": _each_sensor(sizes, lambda name: cr.read_events(path, name, 20_000, 90_000)),
        "iter_clip_events": _each_sensor(sizes, lambda name: np.concatenate(
            [np.zeros(0, cr.EVENT_DTYPE), *cr.iter_clip_events(path, name, 10_000, None, chunk_events=1000)])),
        "event_counts": lambda: _counts(cr.event_counts(path)),
        "frames_and_truth_info": lambda: json.dumps(cr.frames_and_truth_info(path)),
        "indexed_event_times": lambda: cr.indexed_event_times(path),
        "first_event_index": lambda: [cr.first_event_index(path, name, 30_000) for name in sizes()],
    }


def _counts(counts: dict[str, int]) -> None:
    assert all(0 <= n < HUGE for n in counts.values()), counts


def _file_readers(path: Path) -> dict[str, Callable[[], None]]:
    """The events-file reader and ``file_info`` on the clip."""
    from evface.events.core import EVENT_DTYPE  # lazy: imported in the child only
    from evface.io.event_reader import iter_events_file  # lazy: imported in the child only
    from evface.io.file_info import file_info  # lazy: imported in the child only

    sizes = functools.cache(lambda: _sizes(path))

    return {
        "iter_events_file window": _each_sensor(sizes, lambda name: np.concatenate(
            [np.zeros(0, EVENT_DTYPE),
             *iter_events_file(path, sensor=name, t_start_us=5000, t_end_us=100_000, chunk_events=500)])),
        "file_info": lambda: json.dumps(file_info(path)),
    }


def _cli_readers(path: Path) -> dict[str, Callable[[], None]]:
    """``evface info CLIP`` and ``evface convert CLIP out.raw --sensor lr`` through the CLI's ``main``."""
    return {"evface info": lambda: _cli(path, ["info", str(path)]),
            "evface convert": lambda: _cli(path, ["convert", str(path), str(path.with_suffix(".raw")), "--sensor", "lr"])}


def _cli(path: Path, argv: list[str]) -> None:
    """Run the CLI: exit 0, or one ``error:`` line naming ``path`` and exit 2."""
    from evface.cli import main  # lazy: imported in the child only

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    said = err.getvalue()
    if code != 0:
        assert code == 2 and said.startswith(f"error: {path}") and said.count("\n") == 1, f"exit {code}: {said!r}"
    path.with_suffix(".raw").unlink(missing_ok=True)


def _input_readers(path: Path) -> dict[str, Callable[[], None]]:
    """What the trainings read of one clip: the classifier's events and RGB inputs, the reconstruction samples."""
    from evface.inputs.classify import InputSpec, clip_input  # lazy: imported in the child only
    from evface.inputs.reconstruct import ReconSpec, clip_samples, read_samples_clip  # lazy: imported in the child only

    def finite(x: np.ndarray) -> None:
        assert np.isfinite(x).all(), "an input holds NaN or infinity"

    def samples() -> None:
        spec = ReconSpec(sensor="lr", size=16, n_bins=2, step_us=20_000)
        got = clip_samples(read_samples_clip(path, "lr"), spec, path)
        if got is not None:
            for value in vars(got).values():
                if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    finite(value)

    return {
        "classify events": lambda: finite(clip_input(path, InputSpec(kind="events", sensor="lr", time_steps=2, size=8))),
        "classify rgb": lambda: finite(clip_input(path, InputSpec(kind="rgb", sensor="lr", time_steps=2, size=8))),
        "recon samples": samples,
    }


GROUPS: dict[str, Callable[[Path], dict[str, Callable[[], None]]]] = {
    "api": lambda path: {**_api_readers(path), **_file_readers(path)}, "cli": _cli_readers, "inputs": _input_readers}
"""The readers, by the child process that runs them."""
STRIDE = {"cli": 3, "inputs": 2}
"""Every how many cases a group reads (the CLI, 20 ms a call, runs the readers of "api" and "files")."""


# --------------------------------------------------------------------------- the property


def _check(path: Path, label: str, reader: str, read: Callable[[], None]) -> str | None:
    """What is wrong with ``read()`` of the mutated ``path`` (``None``: it holds)."""
    try:
        read()
    except EvfaceError as exc:
        said = str(exc)
        if str(path) not in said or "\n" in said:
            return f"{label}: {reader}: {type(exc).__name__} not one line naming the file: {said!r}"
    except AssertionError as exc:
        return f"{label}: {reader}: {exc}"
    except Exception as exc:  # noqa: BLE001 - any other exception is what the sweep looks for
        return f"{label}: {reader}: {type(exc).__name__}: {str(exc)[:300]}"
    if peak_mb() > PEAK_MB:
        return f"{label}: {reader}: peak memory {peak_mb():.0f} MB"
    return None


def _sweep(group: str, folder: str) -> None:
    """Child process: every case through the readers of ``group``; exit 1 listing each failure."""
    limit_memory()
    folder_path = Path(folder)
    good = make_good(folder_path)
    baseline = _outcomes(good, group)
    failures = [f"the good clip: {reader}: {said}" for reader, said in baseline.items() if said]
    for label, change in list(cases(good).items())[::STRIDE.get(group, 1)]:
        path = mutated(good, folder_path / "c.h5", change)
        print(label, flush=True)
        for reader, read in GROUPS[group](path).items():
            said = _check(path, label, reader, read)
            if said:
                failures.append(said)
            elif label.startswith("extra: "):
                failures.extend(_same_as_good(path, good, label, reader, read))
    if failures:
        sys.stderr.write(f"{len(failures)} failures:\n" + "\n".join(failures) + "\n")
        sys.exit(1)


def _outcomes(path: Path, group: str) -> dict[str, str | None]:
    return {reader: _check(path, "good", reader, read) for reader, read in GROUPS[group](path).items()}


def _same_as_good(path: Path, good: Path, label: str, reader: str, read: Callable[[], None]) -> list[str]:
    """An unknown member changes nothing a reader returns (compared for the whole clip)."""
    if reader != "read_clip":
        return []
    from evface.io.clip_reader import read_clip  # lazy: imported in the child only

    a, b = read_clip(path), read_clip(good)
    same = (a.clip_id, a.sensors, a.calibration, a.extra) == (b.clip_id, b.sensors, b.calibration, b.extra) and all(
        np.array_equal(a.events[k], b.events[k]) for k in b.events) and list(a.frames) == list(b.frames)
    return [] if same else [f"{label}: read_clip differs from the clip without it"]


@pytest.mark.parametrize("group", list(GROUPS))
def test_a_clip_mutated_member_by_member_reads_or_is_one_error_naming_it(group: str, tmp_path: Path) -> None:
    run_child(__file__, "sweep", group, tmp_path, timeout=600, named=group)


# --------------------------------------------------------------------------- what the sweep found


@pytest.fixture(scope="module")
def good_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_good(tmp_path_factory.mktemp("good"))


def _read(reader: str, path: Path) -> Any:
    from evface.io import clip_reader as cr  # lazy: as the child's readers

    return {"read_clip": lambda: cr.read_clip(path), "read_clip_meta": lambda: cr.read_clip_meta(path),
            "read_events": lambda: cr.read_events(path, "lr", 20_000, 60_000), "event_counts": lambda: cr.event_counts(path),
            "indexed_event_times": lambda: cr.indexed_event_times(path),
            "frames_and_truth_info": lambda: cr.frames_and_truth_info(path)}[reader]()


DEFECTS = {
    "events/lr/t a scalar": ("read_events", r"events/lr is corrupt or truncated \(t is int64 \(\), not a 1-D column of int64"),
    "events/lr/t NaN": ("read_clip", r"events/lr is corrupt or truncated \(t is float64 \(\d+,\), not a 1-D column of int64"),
    "events/lr/x float": ("read_events", r"\(x is float64 \(\d+,\), not a 1-D column of uint16 \(or a narrower integer\)\)"),
    "events/lr/x declared 1099511627776 long": ("read_clip", r"\(its columns differ in length \(t \d+, x 1099511627776, y \d+, p \d+\)\)"),
    "events/lr/t declared 1099511627776 long": ("event_counts", r"events/lr is corrupt .*\(t 1099511627776, x \d+"),
    "events/lr/t_index declared 1099511627776 long": ("indexed_event_times", r"t_index has 1099511627776 entries for \d+ events"),
    "events/lr/t_index infinite": ("indexed_event_times", r"t_index is float64 \(1,\), not a 1-D column of int64"),
    "events/lr/p polarity 0": ("read_events", r"event 11 at t=23331 µs \(x=\d+, y=\d+\) has polarity 0, expected -1 or \+1: corrupt file"),
    "frames/rgb/data declared 1099511627776 long": ("read_clip", r"/frames/rgb: 1099511627776 frames but 2 times and 2 exposures"),
    "frames/rgb/t declared 1099511627776 long": ("frames_and_truth_info", r"/frames/rgb: 2 frames but 1099511627776 times"),
    "frames/rgb/data float": ("read_clip", r"/frames/rgb/data is float64 \(2, 40, 48, 3\), not uint8 \(M, H, W\) or \(M, H, W, 3\)"),
    "frames/rgb/t infinite": ("frames_and_truth_info", r"/frames/rgb/t is float64 \(2,\), not a 1-D column of int64"),
    "frames/rgb/exposure_us bool": ("read_clip", r"/frames/rgb/exposure_us is bool \(2,\), not a 1-D column of int64"),
    "truth/lr/data declared 1099511627776 long": ("read_clip", r"/truth/lr: 1099511627776 truth frames but 22 times"),
    "truth/lr/data one dimension more": ("read_clip", r"/truth/lr/data is uint16 \(22, 30, 36, 1\), not uint16 codes or float"),
    "truth/lr/data the top code": ("read_clip", r"/truth/lr/data holds values past float32's range"),
    "truth/lr/t NaN": ("read_clip", r"/truth/lr/t is float64 \(22,\), not a 1-D column of int64"),
    "/ attr apex_us = negative": ("read_clip_meta", r"corrupt clip attributes \(Clip times must keep 0 <= onset_us <= apex_us"),
    "/ attr onset_us = 1e30": ("read_clip_meta", r"corrupt clip attributes \(Clip.onset_us must be an integer of at most 64 bits"),
    "/ attr aus = a number": ("read_clip_meta", r"corrupt clip attributes \(Clip.aus must be a list of AU numbers, got 5\)"),
    "/ attr duration_us = negative": ("read_clip_meta", r"corrupt clip attributes \(Clip times must keep .*, duration_us=-5\)"),
    "/ attr calibration = JSON no object": ("read_clip_meta", r"corrupt clip attribute \(calibration must be a JSON object, got \[1\]\)"),
    "events/lr attr roi = an array": ("read_clip_meta", r"corrupt clip attributes \(Clip.sensors\['lr'\].roi must be \(x0, y0, width, height\), got \(1, 2, 3\)\)"),
    "events/lr attr full_width = negative": ("read_clip_meta", r"Clip.sensors\['lr'\].full_width must be >= 1, got -5\)"),
    "events/lr attr params = JSON no object": ("read_clip_meta", r"corrupt clip attribute \(events/lr params must be a JSON object, got \[1\]\)"),
    "frames/rgb attr params = JSON no object": ("read_clip", r"/frames/rgb params must be a JSON object, got \[1\]"),
}
"""Each case the sweep found read wrongly, the reader it is read with and what it now says after
the file's name. Were: ``IndexError: tuple index out of range`` (a column that is a scalar;
``evface info`` and ``convert``: an internal error), ``MemoryError`` (a column, ``t_index``, frames or
truth declared 2**40 long; ``event_counts`` said 2**40 events), ``OverflowError`` (an infinite time
in a float ``t_index`` or frame time; ``evface info``: an internal error); the rest read as they
were: float or boolean times and frames, NaN times cast to integers, polarities 0, truth codes past
float32 decoded as infinite, times out of order or negative, ``aus`` a number, an empty
``clip_id``, a ROI of three values, a negative full width, JSON lists for objects."""


@pytest.mark.parametrize("label", list(DEFECTS))
def test_a_clip_member_off_its_schema_is_one_error_naming_it(label: str, good_clip: Path, tmp_path: Path) -> None:
    from evface.errors import EventsError, FormatError  # lazy: as the child's readers

    reader, says = DEFECTS[label]
    path = mutated(good_clip, tmp_path / "c.h5", cases(good_clip)[label])
    with pytest.raises((FormatError, EventsError), match=rf"^{re.escape(str(path))}: .*{says}"):
        _read(reader, path)


@pytest.mark.parametrize(("label", "argv"), [("events/lr/t a scalar", ["info"]),
                                             ("frames/rgb/t infinite", ["info"]),
                                             ("events/lr/t a scalar", ["convert", "--sensor", "lr"])])
def test_the_cli_names_a_clip_member_off_its_schema_in_one_line(label: str, argv: list[str], good_clip: Path,
                                                                tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Was: ``internal error: IndexError: tuple index out of range`` or ``OverflowError: cannot convert
    float infinity to integer``, exit 1."""
    from evface.cli import main  # lazy: as the child's readers

    path = mutated(good_clip, tmp_path / "c.h5", cases(good_clip)[label])
    out = [str(tmp_path / "out.raw")] if argv[0] == "convert" else []
    assert main([argv[0], str(path), *out, *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and err.count("\n") == 1, err
    assert not (tmp_path / "out.raw").exists()


def test_a_classifier_input_of_a_clip_whose_events_are_out_of_order_names_the_file(good_clip: Path, tmp_path: Path) -> None:
    """Was ``EventsError: timestamps not sorted: t[1]=... < t[0]=...``, naming no file (the readers
    leave the order to ``convert --sort``; the inputs need it)."""
    from evface.errors import EventsError  # lazy: as the child's readers
    from evface.inputs.classify import InputSpec, clip_input  # lazy: as the child's readers

    path = mutated(good_clip, tmp_path / "c.h5", cases(good_clip)["events/lr/t unsorted"])
    with pytest.raises(EventsError, match=rf"^{re.escape(str(path))}: the events of sensor 'lr': timestamps not sorted"):
        clip_input(path, InputSpec(kind="events", sensor="lr", time_steps=2, size=8))


def test_a_sensor_declared_terabytes_long_in_every_column_is_refused_unread(good_clip: Path, tmp_path: Path) -> None:
    """Columns that agree with one another but store a few KB of the 8 TiB they declare: was
    ``MemoryError: Unable to allocate 16.0 TiB`` (``event_counts``: 2**40 events); now refused from
    their metadata."""
    from evface.errors import FormatError  # lazy: as the child's readers

    def change(f: h5py.File) -> None:
        for column in ("t", "x", "y", "p"):
            _declared_huge(f"events/lr/{column}")(f)

    path = mutated(good_clip, tmp_path / "c.h5", change)
    for reader in ("read_clip", "event_counts", "read_events"):
        with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: events/lr is corrupt or truncated "
                                              r"\(/events/lr/t is declared \(1099511627776,\) \(8192.0 GiB\) but stores "
                                              r"\d+ bytes: the file was not written whole\)$"):
            _read(reader, path)

if __name__ == "__main__":
    {"sweep": _sweep}[sys.argv[1]](*sys.argv[2:])
