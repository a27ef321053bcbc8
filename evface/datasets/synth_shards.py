"""Joining the shard folders of one synthetic dataset (``synthesize(..., shard="I/N")``) into one
dataset folder, every shard checked before anything is written."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evface.datasets.synth import SAME_DATASET_KEYS, check_same_version, claim_dataset_folder, differing_keys
from evface.datasets.merge import all_skipped_faces
from evface.datasets.synth_options import made_with
from evface.errors import DatasetError, EvfaceError, ParameterError, counted, where
from evface.io.clip_reader import read_clip_meta
from evface.io.clip_schema import Clip
from evface.io.dataset import read_dataset_json, write_dataset_json
from evface.io.dataset_output import check_apart
from evface.io.manifest import aus_to_str, read_manifest, write_manifest


def merge_shards(out_dir: str | Path, shard_dirs: Sequence[str | Path]) -> Path:
    """Join shard folders made by ``synthesize(..., shard="I/N")`` into one dataset folder.

    Every shard must come from the same parameters (the order of the classes and lightings
    included) and the same evface version, be finished, every clip readable, and together they
    must hold every shard ``0..N-1``, no clip twice; all this is checked before anything is
    written (a refusal names the options that differ, as each shard was made). Clip files are hard-linked when possible, else copied. ``out_dir`` must be new,
    empty, or an earlier (possibly interrupted) merge of the same dataset.
    """
    out = Path(out_dir)
    if isinstance(shard_dirs, (str, os.PathLike)):  # its letters would be taken as folders
        raise ParameterError(f"shard_dirs must be a list of shard folders, got the one path {str(shard_dirs)!r}")
    if not shard_dirs:
        raise ParameterError("merge needs at least one shard folder")
    check_apart(out, shard_dirs)
    shards = _finished_shards([Path(d) for d in shard_dirs])
    merged = dict(shards[0][1])
    merged["shard"] = None
    merged["skipped_faces"] = all_skipped_faces([info for _, info, _ in shards])  # was: shard 0's alone
    merged["n_clips"] = sum(len(shard_rows) for _, _, shard_rows in shards)  # was shard 0's until the merge ended
    claim_dataset_folder(out, merged, SAME_DATASET_KEYS + ("shard",), "the shards",
                  "merging them into it would mix the clips of two versions; give OUT a new folder")
    write_dataset_json(out, merged)  # first: an interrupted merge can be run again into this folder
    rows = []
    (out / "clips").mkdir(exist_ok=True)
    for d, _, shard_rows in shards:
        for row in shard_rows:
            src, dst = d / row["file"], out / row["file"]
            if not dst.exists():
                tmp = dst.with_name(dst.name + ".tmp")
                # one a merge killed before its rename left (was: where a hard link of src, the copy after
                # os.link's EEXIST stopped on "... are the same file", exit 2, until the merge was run once more)
                tmp.unlink(missing_ok=True)
                try:
                    try:
                        os.link(src, tmp)
                    except OSError:
                        shutil.copyfile(src, tmp)
                    os.replace(tmp, dst)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
            rows.append(row)
    write_manifest(out, rows)
    return out


def _shard_folder(d: Path) -> Path:
    """``d``, or a :class:`DatasetError` saying that it does not exist or is a file (was: "no
    dataset.json: not an evface dataset folder", naming ``d/dataset.json``).

    >>> _shard_folder(Path("shard-7"))
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: shard-7: no such folder; give the folders that 'evface synth --shard I/N' made
    """
    if not d.exists():
        raise DatasetError(where(d, "no such folder; give the folders that 'evface synth --shard I/N' made"))
    if not d.is_dir():
        raise DatasetError(where(d, "is a file, not a shard folder; give the folders that 'evface synth --shard I/N' "
                                    "made"))
    return d


def _shard_pair(d: Path, info: dict[str, Any]) -> tuple[int, int]:
    """The shard ``(I, N)`` that the ``dataset.json`` record ``info`` of the folder ``d`` gives;
    a :class:`DatasetError` naming ``d`` where it gives none, or no ``[I, N]`` with ``0 <= I < N``
    (was: a TypeError or IndexError where it was a number, text, ``[0, null]`` or ``[0]``).

    Examples
    --------
    >>> _shard_pair(Path("s1"), {"shard": [1, 2]})
    (1, 2)
    >>> _shard_pair(Path("s1"), {"shard": [0, None]})
    Traceback (most recent call last):
    ...
    evface.errors.DatasetError: s1: dataset.json's shard [0, None] is no [I, N] with 0 <= I < N: not a shard evface made; make it again with evface synth --shard I/N
    """
    sh = info.get("shard")
    if not sh:
        raise DatasetError(where(d, "not a shard (dataset.json has no 'shard'): a whole dataset, made without --shard "
                                    "or with --shard 0/1; use it as it is"))
    if not (isinstance(sh, list) and len(sh) == 2 and all(type(v) is int for v in sh) and 0 <= sh[0] < sh[1]):
        raise DatasetError(where(d, f"dataset.json's shard {sh!r} is no [I, N] with 0 <= I < N: not a shard evface "
                                    "made; make it again with evface synth --shard I/N"))
    return sh[0], sh[1]


def _finished_shards(shard_dirs: list[Path]) -> list[tuple[Path, dict[str, Any], list[dict[str, Any]]]]:
    """The folder, ``dataset.json`` and manifest rows of each shard, in shard order; a
    :class:`DatasetError` naming the shard when one was made with other parameters or by another
    evface version (its clips need not be those one run makes), is given twice or missing, or is
    unfinished (no manifest yet, fewer clips than planned, a clip file gone)."""
    infos = [(d, read_dataset_json(_shard_folder(d))) for d in shard_dirs]
    first_dir, first = infos[0]
    shards: dict[int, tuple[Path, dict[str, Any]]] = {}
    n = _shard_pair(first_dir, first)[1]
    for d, info in infos:
        diff = differing_keys(info, first, SAME_DATASET_KEYS)
        if diff:
            this, other = made_with(info, first, diff)
            raise DatasetError(where(d, f"shard made with {this}, {first_dir} with {other or 'others'}; make every "
                                        "shard with the same evface synth options but --shard I/N (run the odd one "
                                        "again into a new folder)"))  # was: "made with other params than ..."
        check_same_version(d, "shard", info, str(first_dir), first, "make every shard with one version (run the synth "
                                                                 "--shard command of the odd ones again into new folders)")
        i, count = _shard_pair(d, info)
        if count != n:
            raise DatasetError(where(d, f"shard {i}/{count} is one of {count} shards, {first_dir} one of {n}; give the "
                                        f"shards of one split, all made with --shard I/{n}"))  # was: "N=2 of the others"
        if i in shards:
            raise DatasetError(where(d, f"shard {i}/{n} given twice (also {shards[i][0]})"))
        shards[i] = (d, info)
    missing = sorted(set(range(n)) - set(shards))
    if missing:  # the numbers as ranges: was each of them, 9999 numbers for one shard of 10000
        raise DatasetError(f"{'shard' if len(missing) == 1 else 'shards'} {_numbers_as_ranges(missing)} of {n} missing "
                           f"(given: {_numbers_as_ranges(sorted(shards))} of {n}); add its folder, or make it with the "
                           f"shards' evface synth command and --shard {missing[0]}/{n}")
    result = []
    for i in sorted(shards):
        d, info = shards[i]
        again = f"shard {i}/{n} unfinished: run its evface synth --shard {i}/{n} command again to finish it"
        if not (d / "manifest.csv").exists():
            raise DatasetError(where(d, f"{again} (it has no manifest.csv yet)"))
        rows = read_manifest(d)
        if len(rows) != info.get("n_clips", len(rows)):
            raise DatasetError(where(d, f"{again} (manifest has {counted(len(rows), 'clip')}, dataset.json promises "
                                        f"{info['n_clips']})"))
        gone = next((row["file"] for row in rows if not (d / row["file"]).is_file()), None)
        if gone is not None:
            raise DatasetError(where(d / gone, f"clip file missing; {again}"))
        for row in rows:
            try:
                meta = read_clip_meta(d / row["file"])  # was: a clip cut short (a copy interrupted) merged unread
            except EvfaceError as exc:
                raise DatasetError(f"{exc}; {again} (it films the clip anew)") from None
            _check_row_is_its_clip(d / row["file"], row, meta, f"then run its evface synth --shard {i}/{n} command "
                                                               "again to film the clip")
        result.append((d, info, rows))
    _check_apart_clips(result)
    return result


def _check_row_is_its_clip(path: Path, row: dict[str, Any], meta: Clip, then: str) -> None:
    """A :class:`DatasetError` naming the clip file ``path`` when what it holds (``meta``) is not the
    clip its shard's manifest ``row`` names (a clip copied over it by hand: was merged, and the merged
    dataset's manifest row contradicted its clip, which every reader refused); ``then`` ends the advice."""
    fields = ("clip_id", "subject", "label", "aus", "lighting", "onset_us", "apex_us", "offset_us", "duration_us")
    held = {key: aus_to_str(getattr(meta, key)) if key == "aus" else getattr(meta, key) for key in fields}
    named = {key: aus_to_str(row[key]) if key == "aus" else row[key] for key in fields}
    wrong = [key for key in fields if held[key] != named[key]]
    if wrong:
        raise DatasetError(where(path, f"holds another clip than its shard's manifest row names "
                                       f"({', '.join(f'{key} {held[key]!r}, not {named[key]!r}' for key in wrong)}); "
                                       f"move it out of the shard folder, {then}"))


def _check_apart_clips(shards: list[tuple[Path, dict[str, Any], list[dict[str, Any]]]]) -> None:
    """A :class:`DatasetError` naming a clip that two shards hold, and both shards (was: the clips
    before it linked into OUT, then "clip_id ... is already on line 2" naming OUT's manifest, not
    written)."""
    owner: dict[str, Path] = {}
    for d, info, rows in shards:
        for row in rows:
            first = owner.setdefault(row["clip_id"], d)
            if first != d:
                i, n = info["shard"]
                raise DatasetError(where(d, f"shard {i}/{n} holds clip {row['clip_id']}, which shard {first} holds too: "
                                            "not shards of one plan; make every shard with the same evface synth "
                                            "options but --shard I/N"))


def _numbers_as_ranges(numbers: Sequence[int], most: int = 8) -> str:
    """Sorted whole ``numbers`` said as ranges (``0-4, 6``), the first ``most`` ranges and how many
    numbers are left: what a line naming shards says, however many there are.

    Parameters
    ----------
    numbers : sequence of int
        Increasing whole numbers.
    most : int
        The ranges said at most.

    Returns
    -------
    str

    Examples
    --------
    >>> _numbers_as_ranges([0, 1, 2, 3, 4, 6, 9998])
    '0-4, 6, 9998'
    >>> _numbers_as_ranges(range(0, 40, 2), most=3)
    '0, 2, 4 and 17 more'
    """
    ranges: list[list[int]] = []
    for i in numbers:
        if ranges and i == ranges[-1][1] + 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    said = [f"{a}" if a == b else f"{a}-{b}" for a, b in ranges[:most]]
    left = sum(b - a + 1 for a, b in ranges[most:])
    return ", ".join(said) + f" and {left} more" * bool(left)
