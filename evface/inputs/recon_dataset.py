"""The reconstruction samples of a dataset's clips, one clip decoded at a time: in memory
(:func:`build_samples`) or written to a folder as they are decoded (:func:`write_samples`, which
:meth:`~evface.inputs.reconstruct.ReconSamples.load` memory-maps back), and the memory they take
(:func:`check_memory`, :func:`sample_bytes`). What a sample holds, and how one clip's are cut, is
:mod:`evface.inputs.reconstruct`'s.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from evface.checks import as_path
from evface.errors import ParameterError
from evface.inputs.reconstruct import (
    ARRAYS, ReconSamples, ReconSpec, clip_samples, later_truth, no_samples, read_samples_clip,
)


def check_memory(need: int, what: str, spec: ReconSpec) -> None:
    """A :class:`ParameterError` when ``need`` bytes of samples (``what``: "the samples of ...
    take about X GiB" completes it) would take more than half of this machine's memory, naming the
    options that size them (the operating system would kill the process part way through).

    Parameters
    ----------
    need : int
        Bytes the samples would take.
    what : str
        The message's start, with ``{gib}`` where the GiB go.
    spec : ReconSpec
        The spec of the samples (its protocol picks the option named).

    Examples
    --------
    >>> check_memory(10_000, "the samples take about {gib} GiB", ReconSpec())  # nothing to say
    >>> check_memory(2**60, "the samples take about {gib} GiB", ReconSpec())
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: the samples take about 1073741824.0 GiB, more than half of this machine's ... GiB; lower --size or raise --step-us
    """
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > memory / 2:
        spacing = "--stride" if spec.protocol == "interpolation" else "--step-us"
        raise ParameterError(f"{what.format(gib=f'{need / 2**30:.1f}')}, more than half of this machine's "
                             f"{memory / 2**30:.0f} GiB; lower --size or raise {spacing}")


def sample_bytes(s: ReconSamples) -> int:
    """Bytes of one sample's arrays.

    Parameters
    ----------
    s : ReconSamples
        Samples; the first one is measured.

    Returns
    -------
    int
        The bytes of its arrays (not its metadata).

    Examples
    --------
    >>> s = ReconSamples(**{name: np.zeros((3, 2, 2), np.float32) for name in ARRAYS})
    >>> sample_bytes(s)  # 11 arrays of 2 x 2 float32
    176
    """
    return sum(getattr(s, name)[:1].nbytes for name in ARRAYS)


def checked_args(root: object, rows: object, spec: object) -> tuple[Path, Sequence[Mapping[str, Any]], ReconSpec]:
    """``root`` as a path, once ``rows`` is a list of manifest rows (each with its clip's ``file``)
    and ``spec`` a :class:`ReconSpec`; otherwise a ParameterError naming the argument (a number was
    an AttributeError or a TypeError naming nothing, an array of rows an IndexError).

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    rows : sequence of dict
        Its manifest rows, each with a ``file``.
    spec : ReconSpec
        How the samples are cut.

    Returns
    -------
    tuple of (Path, sequence of dict, ReconSpec)
        ``root`` as a path, ``rows`` and ``spec`` as given.

    Examples
    --------
    >>> checked_args("ds", [{"file": "clips/c0.h5"}], 16)
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: spec must be a ReconSpec, got int
    """
    root = as_path("root", root)
    if (isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence)
            or not all(isinstance(row, Mapping) and "file" in row for row in rows)):
        raise ParameterError(f"rows must be a list of manifest rows (dicts with a 'file'), got {rows!r:.80}")
    if not isinstance(spec, ReconSpec):
        raise ParameterError(f"spec must be a ReconSpec, got {type(spec).__name__}")
    return root, rows, spec


def _each_clip(root: Path, rows: Sequence[Mapping[str, Any]], spec: ReconSpec,
               unsampled: list[bool]) -> Iterator[ReconSamples]:
    """The samples of each clip of ``rows`` that has any, one clip at a time; for each clip that has
    none, whether a finer step could give it one (:func:`~evface.inputs.reconstruct.later_truth`) is
    appended to ``unsampled``."""
    for row in rows:
        path = root / row["file"]
        clip = read_samples_clip(path, spec.sensor)
        s = clip_samples(clip, spec, source=path)
        if s is not None:
            yield s
        else:
            unsampled.append(later_truth(clip, path))


NPY_HEADER_BYTES = 4096
"""Bytes kept for each ``.npy`` header by :func:`write_samples` (a multiple of 64, as the format asks)."""


def _npy_header(array: np.ndarray, dtype: np.dtype, n: int) -> bytes:
    """A version 1.0 ``.npy`` header of exactly :data:`NPY_HEADER_BYTES` for ``n`` rows of ``dtype`` shaped like ``array``'s."""
    shape = (int(n), *(int(d) for d in array.shape[1:]))
    text = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape})
    body = NPY_HEADER_BYTES - 10
    return b"\x93NUMPY\x01\x00" + body.to_bytes(2, "little") + (text.ljust(body - 1) + "\n").encode("latin1")


def _check_writable(folder: Path, tmp: Path) -> None:
    """A ParameterError unless ``folder`` is new or an empty folder, and ``tmp`` is new or holds only
    the samples files a killed writer left there (which are removed then): nothing of a user's is
    replaced or removed (was: a folder that held files refused by the final rename's OSError, after
    every clip was decoded; a ``folder.tmp`` of the user's removed without a word).

    Examples
    --------
    >>> _ = Path("kept.tmp").mkdir(), Path("kept.tmp/notes.txt").write_text("mine")
    >>> _check_writable(Path("kept"), Path("kept.tmp"))
    Traceback (most recent call last):
    ...
    evface.errors.ParameterError: kept.tmp: holds notes.txt, which write_samples did not write; the samples are built there: move it, or give folder another name
    """
    if folder.is_symlink() or folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ParameterError(f"{folder}: exists and is not an empty folder; give folder a new name (the samples are "
                             "written as a folder of their own)")
    if not (tmp.exists() or tmp.is_symlink()):
        return
    if tmp.is_symlink() or not tmp.is_dir():
        raise ParameterError(f"{tmp}: is not a folder write_samples left, and the samples are built there under that "
                             "name: move it, or give folder another name")
    stray = sorted(p.name for p in tmp.iterdir() if not _samples_file(p.name))
    if stray:
        raise ParameterError(f"{tmp}: holds {', '.join(stray[:3])}, which write_samples did not write; the samples are "
                             "built there: move it, or give folder another name")


def _samples_file(name: str) -> bool:
    """Whether ``name`` is a file :func:`write_samples` writes (an array's or a metadata key's ``.npy``)."""
    return name in {f"{array}.npy" for array in ARRAYS} or (name.startswith("meta.") and name.endswith(".npy"))


def _widen(path: Path, f: BinaryIO, dtype: np.dtype, wider: np.dtype) -> BinaryIO:
    """The rows written so far to the ``.npy`` at ``path`` (open as ``f``, its header not yet
    written) rewritten as ``wider``; the file open at its end to write on."""
    f.close()
    wide = path.with_name(path.name + ".wide")
    with open(path, "rb") as src, open(wide, "wb") as dst:
        src.seek(NPY_HEADER_BYTES)
        dst.seek(NPY_HEADER_BYTES)
        while chunk := src.read(dtype.itemsize << 20):
            np.frombuffer(chunk, dtype).astype(wider).tofile(dst)
    wide.replace(path)
    f = open(path, "r+b")  # noqa: SIM115 - the caller writes on and closes it (write_samples)
    f.seek(0, os.SEEK_END)
    return f


def write_samples(
    root: str | Path,
    rows: Sequence[Mapping[str, Any]],
    spec: ReconSpec,
    folder: str | Path,
) -> Path:
    """:func:`build_samples` written to ``folder`` as they are decoded, one clip's samples in memory at a time.

    One ``.npy`` file per array (its header written last, in the room :data:`NPY_HEADER_BYTES`
    keeps for it) and per metadata key (``meta.<key>.npy``, text as unicode), so that
    :meth:`ReconSamples.load` needs no pickle (the files cannot run code) and memory-maps them.
    A clip whose ``voxel`` or ``hist`` is float32 (:func:`compact`) after float16 ones rewrites
    that array's rows so far as float32, as :meth:`ReconSamples.concatenate` would. Written into
    ``folder.tmp``, removed on any error, and renamed when complete. Arguments of the wrong kind
    are a ParameterError naming them (:func:`checked_args`), before anything is written, and so is
    a ``folder`` that holds files or a ``folder.tmp`` holding anything but a killed writer's samples
    (:func:`_check_writable`).

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    rows : sequence of dict
        Manifest rows of its clips, each with a ``file`` relative to ``root``.
    spec : ReconSpec
        How the samples are cut.
    folder : str or Path
        The folder the samples are written to.

    Returns
    -------
    Path
        ``folder``.

    Examples
    --------
    A dataset of one recording (see :func:`clip_samples`), listed twice:

    >>> import tempfile
    >>> from evface.io.clip_writer import write_clip
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
    >>> frames = FrameSeries(np.stack([np.full((20, 20, 3), 40 * i, np.uint8) for i in range(5)]),
    ...                      np.arange(5) * 100_000, np.full(5, 10_000))  # mid-exposures 5, 105, ... 405 ms
    >>> events = make_events(np.arange(0, 500_000, 25_000), np.arange(20) % 10, np.arange(20) % 8, np.ones(20))
    >>> clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 250_000, 450_000, 500_000, events={"lr": events},
    ...             sensors={"lr": SensorInfo("lr", 10, 8)}, frames={"rgb": frames},
    ...             calibration={"face_box": {"rgb": [0, 0, 20, 20], "lr": [0, 0, 10, 8]}})
    >>> spec = ReconSpec(sensor="lr", size=16, n_bins=2, step_us=100_000)
    >>> with tempfile.TemporaryDirectory() as root:
    ...     _ = write_clip(Path(root) / "clips" / "c0.h5", clip)
    ...     out = write_samples(root, [{"file": "clips/c0.h5"}] * 2, spec, Path(root) / "samples")
    ...     names = sorted(p.name for p in out.iterdir())
    ...     samples = ReconSamples.load(out)
    ...     len(samples), samples.target.shape, samples.meta["clip_id"][0]
    (8, (8, 16, 16), 'c0')
    >>> names[:4], len(names)
    (['hist.npy', 'key.npy', 'meta.apex_us.npy', 'meta.aus.npy'], 20)
    """
    root, rows, spec = checked_args(root, rows, spec)
    folder = as_path("folder", folder)
    tmp = folder.with_name(folder.name + ".tmp")
    _check_writable(folder, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    files: dict[str, Any] = {}
    try:
        first, metas, n = None, [], 0
        dtypes: dict[str, np.dtype] = {}
        unsampled: list[bool] = []
        for s in _each_clip(root, rows, spec, unsampled):
            if first is None:
                first, dtypes = s, {name: getattr(s, name).dtype for name in ARRAYS}
                for name in ARRAYS:
                    files[name] = open(tmp / f"{name}.npy", "wb")  # noqa: SIM115 - closed below, or on error
                    files[name].seek(NPY_HEADER_BYTES)
            for name in ARRAYS:
                value = getattr(s, name)
                if (wider := np.promote_types(dtypes[name], value.dtype)) != dtypes[name]:  # float32 counts (compact)
                    files[name] = _widen(tmp / f"{name}.npy", files[name], dtypes[name], wider)
                    dtypes[name] = wider
                np.ascontiguousarray(value, dtype=dtypes[name]).tofile(files[name])
            metas.append(s.meta)
            n += len(s)
        if first is None:
            raise no_samples(root, rows, spec, finer_helps=any(unsampled))
        for name, f in files.items():
            f.seek(0)
            f.write(_npy_header(getattr(first, name), dtypes[name], n))
            f.close()
        for key in metas[0]:
            value = np.concatenate([m[key] for m in metas])
            np.save(tmp / f"meta.{key}.npy", value.astype(str) if value.dtype == object else value)
        tmp.rename(folder)
    except BaseException:
        for f in files.values():
            f.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def build_samples(
    root: str | Path,
    rows: Sequence[Mapping[str, Any]],
    spec: ReconSpec,
    remedy: str | None = None,
) -> ReconSamples:
    """Samples of every clip in ``rows`` (manifest rows of the dataset folder ``root``); none is a
    :class:`DatasetError` naming the folder and its clips' lengths, ending in ``remedy``
    (default: a training's options; :func:`~evface.inputs.reconstruct.no_samples`).

    When the first clip's samples, times the number of clips, would take more than half of this
    machine's memory, a :class:`ParameterError` names the options that size them (the operating
    system would kill the process part way through). Arguments of the wrong kind are a
    ParameterError naming them (:func:`checked_args`).

    Parameters
    ----------
    root : str or Path
        The dataset folder.
    rows : sequence of dict
        Manifest rows of its clips, each with a ``file`` relative to ``root``.
    spec : ReconSpec
        How the samples are cut.
    remedy : str, optional
        The end of the refusal when no clip has a sample (default: a training's options).

    Returns
    -------
    ReconSamples
        The samples of every clip, clip after clip, each in time order.

    Examples
    --------
    A dataset of one recording (see :func:`clip_samples`), listed twice:

    >>> import tempfile
    >>> from evface.io.clip_writer import write_clip
    >>> from evface.events.core import make_events
    >>> from evface.io.clip_schema import Clip, FrameSeries, SensorInfo
    >>> frames = FrameSeries(np.stack([np.full((20, 20, 3), 40 * i, np.uint8) for i in range(5)]),
    ...                      np.arange(5) * 100_000, np.full(5, 10_000))  # mid-exposures 5, 105, ... 405 ms
    >>> events = make_events(np.arange(0, 500_000, 25_000), np.arange(20) % 10, np.arange(20) % 8, np.ones(20))
    >>> clip = Clip("c0", "s01", "AU12", [12], "dim", 0, 250_000, 450_000, 500_000, events={"lr": events},
    ...             sensors={"lr": SensorInfo("lr", 10, 8)}, frames={"rgb": frames},
    ...             calibration={"face_box": {"rgb": [0, 0, 20, 20], "lr": [0, 0, 10, 8]}})
    >>> spec = ReconSpec(sensor="lr", size=16, n_bins=2, step_us=100_000)
    >>> with tempfile.TemporaryDirectory() as root:
    ...     _ = write_clip(Path(root) / "clips" / "c0.h5", clip)
    ...     samples = build_samples(root, [{"file": "clips/c0.h5"}] * 2, spec)
    >>> len(samples), samples.seq.tolist(), samples.voxel.dtype
    (8, [0, 1, 2, 3, 0, 1, 2, 3], dtype('float16'))
    """
    root, rows, spec = checked_args(root, rows, spec)
    parts: list[ReconSamples] = []
    unsampled: list[bool] = []
    for s in _each_clip(root, rows, spec, unsampled):
        if not parts:
            check_memory(sample_bytes(s) * len(s) * len(rows), f"the samples of {len(rows)} clips at --size "
                         f"{spec.size} take about {{gib}} GiB ({len(s)} per clip)", spec)
        parts.append(s)
    if not parts:
        raise no_samples(root, rows, spec, remedy, finer_helps=any(unsampled))
    return ReconSamples.concatenate(parts)
