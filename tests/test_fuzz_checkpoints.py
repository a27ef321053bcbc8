"""The checkpoints a user receives (``RUN/best.pt``, ``RUN/checkpoint.pt``), corrupted on purpose,
through every reader, in a child process.

Two small run folders are made here the cheapest way: a tiny spiking classifier's
(:class:`~evface.models.snn.SpikingCNN`) and a tiny reconstructor's (:class:`~evface.models.cvae.CVAE`),
each trained one epoch by :func:`~evface.tasks.engine.fit` on a loss of its weights alone, seeded,
so that the files are as evface writes them (``best.pt`` with the weights, ``checkpoint.pt`` with
Adam's state, the history and every random state too). Each file (:data:`SWEPT`) is then cut at
offsets; has bytes set to 0x00 and 0xFF in the zip's local headers, its central directory and its
end record, in ``data.pkl`` and in a storage record; has random bytes changed (:func:`damaged`); and
is edited as a received file can be, its checksums right (:func:`crafted`): ``data.pkl``'s bytes
changed, a storage's stated size (``numel`` in its persistent id), a tensor's size, stride or
offset made huge or negative, a storage record's stated sizes made huge, an entry renamed or
doubled, every entry compressed. Hypothesis draws more of both kinds (derandomized under CI, as in
:mod:`tests.test_fuzz_decoders`).

The property (:func:`_check`): every reader (:func:`~evface.tasks.checkpoints.load_checkpoint`;
:func:`~evface.tasks.checkpoints.load_model_state`, what ``evface eval`` and ``export-nir`` call first;
a resume, :func:`~evface.tasks.engine.fit` on the run folder) returns or raises one
:class:`~evface.errors.EvfaceError` naming the file, in one line; never another exception, a native
crash (the child dies: the test names the last example it began), a hang (the child's timeout) or a
huge allocation: the child's peak resident memory (``VmHWM``) stays under :data:`PEAK_MB`. Torch
itself held: a storage stated larger or smaller than its record is refused by torch's reader. What
the sweep found is :data:`DEFECTS` (the zip: a compressed checkpoint inflated whole, a damaged
directory raising zipfile's own exceptions) and :data:`OPTIMISER_MISFITS` (a resume whose optimiser
state, taken without a word, failed the first step); ``test_engine.py`` holds the loop's fields.
"""

from __future__ import annotations

import io
import pickletools
import re
import shutil
import struct
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from fuzz_children import cut_and_set, cuts_and_changes, limit_memory, peak_mb, run_child

from evface.cli import main
from evface.errors import EvfaceError, FormatError
from evface.models.cvae import CVAE
from evface.models.snn import NetConfig, SpikingCNN
from evface.tasks import checkpoints, engine, random_states, run_folder

PEAK_MB = 1024
"""The most resident memory a child may reach (its imports take about 230 MB)."""
NET = NetConfig(in_channels=2, n_classes=4, time_steps=5, input_size=16, depth=2, width=4)
"""The tiny classifier's network."""
FILES = ("best.pt", "checkpoint.pt")
SWEPT = {"classifier": FILES, "reconstructor": ("best.pt",)}
"""The checkpoints the sweeps corrupt, by the kind of run: the reconstructor's ``checkpoint.pt`` is
read as its ``best.pt`` is, up to the resume (the engine's, tried on the classifier's)."""


def _model(kind: str):
    """A fresh tiny network of ``kind``, seeded."""
    torch.manual_seed(0)
    if kind == "classifier":
        return SpikingCNN(NET)
    return CVAE(3, False, base=4, z_channels=2)


def _fit(kind: str, run: Path, epochs: int) -> dict:
    """:func:`~evface.tasks.engine.fit` a fresh ``kind`` network in ``run`` for ``epochs`` epochs
    (resuming from ``run/checkpoint.pt`` when there is one), one Adam step on a loss of its weights an epoch."""
    model = _model(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_epoch(epoch: int) -> dict[str, float]:
        opt.zero_grad()
        loss = sum((p.float() ** 2).sum() for p in model.parameters())
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    return engine.fit(model, opt, train_epoch, lambda epoch: {"val_loss": 1.0 / (epoch + 1)}, run, epochs=epochs)


def make_run(kind: str, run: Path) -> dict[str, bytes]:
    """A run folder of ``kind`` trained one epoch in ``run``, seeded; its files' bytes, by name (the
    same on every run: a checkpoint's zip entries are in torch's ``archive/``, not, as until
    2026-12-06, in a folder named after the random temporary name it was written under)."""
    random_states.seed_everything(0)
    _fit(kind, run, epochs=1)
    return {p.name: p.read_bytes() for p in run.iterdir()}


# --------------------------------------------------------------------------- the zip and its pickle


def members(data: bytes) -> list[tuple[str, bytes]]:
    """A checkpoint's zip entries ``(name, bytes)``, in their order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def rezip(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip of ``entries`` with right checksums (stored, as ``torch.save`` writes, unless ``compression``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name": an entry doubled on purpose
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def edited(data: bytes, suffix: str, edit: Callable[[bytes], bytes]) -> bytes:
    """``data`` with its entry ending in ``suffix`` (``/data.pkl``, ``/data/0``) edited, checksums right."""
    return rezip([(name, edit(body) if name.endswith(suffix) else body) for name, body in members(data)])


def _int_ops(pkl: bytes) -> dict[str, tuple[int, int]]:
    """Where the first tensor's numbers lie in ``data.pkl``, ``(start, end)`` by name: its storage's
    ``numel`` (the last number of its persistent id), its ``offset``, ``size0`` and ``stride0``."""
    ops = [(op, pos) for op, _, pos in pickletools.genops(pkl)] + [(None, len(pkl))]
    spans = [(pos, ops[k + 1][1]) for k, (op, pos) in enumerate(ops[:-1]) if op.name in ("BININT1", "BININT2", "BININT")]
    persid = next(pos for op, pos in ops if op is not None and op.name == "BINPERSID")
    before = [s for s in spans if s[0] < persid]
    after = [s for s in spans if s[0] > persid]
    tuples = [pos for op, pos in ops if op is not None and pos > persid and op.name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3")]
    ndim = sum(1 for s in after if s[0] < tuples[0]) - 1
    return {"numel": before[-1], "offset": after[0], "size0": after[1], "stride0": after[1 + ndim]}


def with_number(pkl: bytes, name: str, value: int) -> bytes:
    """``data.pkl`` with the first tensor's number ``name`` (:func:`_int_ops`) set to ``value`` (a LONG1 of 8 bytes)."""
    start, end = _int_ops(pkl)[name]
    return pkl[:start] + b"\x8a\x08" + value.to_bytes(8, "little", signed=True) + pkl[end:]


def _set(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def _offsets(data: bytes) -> dict[str, list[int]]:
    """Where each part of the zip lies: the local headers (30 bytes and the name), the central
    directory's entries (46 bytes and the name), the end record, ``data.pkl``'s bytes and the first
    storage record's (``data/0``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    central = data.index(b"PK\x01\x02", infos[-1].header_offset)
    parts = {"local header": [], "central directory": [], "end record": list(range(data.rindex(b"PK\x05\x06"), len(data)))}
    for info in infos:
        parts["local header"] += range(info.header_offset, info.header_offset + 30 + len(info.filename))
    entry = central
    while data.startswith(b"PK\x01\x02", entry):
        name_length, extra, comment = struct.unpack("<HHH", data[entry + 28:entry + 34])
        parts["central directory"] += range(entry, entry + 46 + name_length)
        entry += 46 + name_length + extra + comment
    for info, suffix in ((infos[0], "data.pkl"), (next(i for i in infos if i.filename.endswith("/data/0")), "data/0")):
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        parts[suffix] = list(range(start, start + info.file_size))
    return parts


# --------------------------------------------------------------------------- the corruptions


def damaged(data: bytes, seed: int) -> Iterator[tuple[str, bytes]]:
    """``(label, bytes)``: ``data`` damaged as a copy or a disk damages it: cut at 16 offsets,
    bytes set to 0x00 and 0xFF at 5 places of each part (:func:`_offsets`), 20 sets of 1-8 random
    bytes anywhere."""
    rng = np.random.default_rng(seed)
    for cut in sorted({*np.linspace(1, len(data) - 1, 16).astype(int).tolist()}):
        yield f"cut at {cut}", data[:cut]
    for part, where in _offsets(data).items():
        for at in sorted({where[k] for k in np.linspace(0, len(where) - 1, 5).astype(int)}):
            for value in (0x00, 0xFF):
                if data[at] != value:
                    yield f"{part}: byte {at} = {value:#04x}", _set(data, at, bytes([value]))
    for i in range(20):
        flipped = bytearray(data)
        for at, value in zip(rng.integers(0, len(data), rng.integers(1, 9)), rng.integers(0, 256, 8), strict=False):  # 1 to 8 positions, as many of the 8 values
            flipped[at] = value
        yield f"random bytes #{i}", bytes(flipped)


def _sizes_huge(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The first storage record's stated sizes (compressed and not) made huge, in its local header
    and in the central directory (the checksums of the entries right)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/data/0"))
    central = next(m.start() for m in re.finditer(re.escape(b"PK\x01\x02"), data)
                   if data[m.start() + 46:m.start() + 46 + len(info.filename)] == info.filename.encode())
    for value in (2**31, 2**32 - 2):
        for where, at in (("local header", info.header_offset + 18), ("central directory", central + 20)):
            yield f"data/0's sizes {value} in the {where}", _set(data, at, struct.pack("<II", value, value))


def deflated(data: bytes) -> bytes:
    """``data`` with every entry compressed (``torch.save`` stores them), checksums right."""
    return rezip(members(data), zipfile.ZIP_DEFLATED)


def crafted(data: bytes) -> Iterator[tuple[str, bytes]]:
    """``(label, bytes)``: ``data`` edited as a received file can be, its checksums right: 16
    bytes of ``data.pkl`` set to 0x00 and 0xFF, the first tensor's numbers out of range, the
    zip entries' stated sizes huge, entries renamed, doubled or compressed."""
    pkl = next(body for name, body in members(data) if name.endswith("/data.pkl"))
    for at in sorted({*np.linspace(0, len(pkl) - 1, 16).astype(int).tolist()}):
        for value in (0x00, 0xFF):
            yield f"data.pkl byte {at} = {value:#04x}, checksum right", edited(data, "/data.pkl",
                                                                              lambda b: _set(b, at, bytes([value])))
    for name, values in (("numel", (0, 2**31 - 1, 2**40, 2**62, -1)), ("offset", (2**40, -1)),
                         ("size0", (2**40, 0, -1)), ("stride0", (0, 2**40, -1))):
        for value in values:
            yield f"{name} {value}", edited(data, "/data.pkl", lambda b: with_number(b, name, value))
    yield "size0 2^40, stride0 0", edited(data, "/data.pkl",
                                          lambda b: with_number(with_number(b, "stride0", 0), "size0", 2**40))
    yield from _sizes_huge(data)
    entries = members(data)
    for old in ("/data.pkl", "/data/0", "/version", "/byteorder"):
        yield f"{old} renamed", rezip([(n + "x" if n.endswith(old) else n, b) for n, b in entries])
        yield f"{old} doubled", rezip(entries + [(n, b) for n, b in entries if n.endswith(old)])
    yield "every entry compressed", deflated(data)


def corruptions(data: bytes, seed: int) -> Iterator[tuple[str, bytes]]:
    """Every corruption the sweep tries of one checkpoint's bytes."""
    yield from damaged(data, seed)
    yield from crafted(data)


# --------------------------------------------------------------------------- the readers and the property


def readers(kind: str, run: Path, name: str) -> dict[str, Callable[[], object]]:
    """What reads ``run/name`` first: the file alone, the weights into the run's network (eval,
    export-nir), and a resume of the run (``checkpoint.pt``'s)."""
    found = {"load_checkpoint": lambda: checkpoints.load_checkpoint(run / name),
             "load_model_state": lambda: checkpoints.load_model_state(run, _model(kind), name)}
    if name == "checkpoint.pt":
        found["resume"] = lambda: _fit(kind, run, epochs=2)
    return found


def _check(kind: str, run: Path, name: str, label: str, valid: dict[str, bytes], corrupted: bytes) -> None:
    """Every reader of ``run/name`` holding ``corrupted`` (the run's other files ``valid``): a
    result or one EvfaceError naming the file, in one line; and the peak memory under :data:`PEAK_MB`."""
    for reader, read in readers(kind, run, name).items():
        _restore(run, {**valid, name: corrupted})
        print(f"{kind} {name} {reader}: {label}", flush=True)  # the last line the parent sees if the child dies
        try:
            read()
        except EvfaceError as exc:
            message = str(exc)
            assert name in message, f"{reader}, {label}: names no file: {message}"
            assert "\n" not in message, f"{reader}, {label}: not one line: {message!r}"
        except Exception as exc:  # the property: nothing but an EvfaceError
            raise AssertionError(f"{kind} {name} {reader}, {label}: {type(exc).__name__}: {str(exc)[:300]}") from exc
        peak = peak_mb()
        assert peak < PEAK_MB, f"{kind} {name} {reader}, {label}: peak memory {peak:.0f} MB"


def _restore(run: Path, files: dict[str, bytes]) -> None:
    """``run`` holding exactly ``files`` (a resume writes its own)."""
    for path in run.iterdir():
        if path.name not in files and path.is_dir():
            shutil.rmtree(path)
    for file, data in files.items():
        (run / file).write_bytes(data)


# --------------------------------------------------------------------------- the children


def _sweep(folder: str) -> None:
    """Child process: every seeded corruption of each file of each kind's run through its readers."""
    limit_memory()
    for seed, (kind, names) in enumerate(SWEPT.items()):
        run = Path(folder) / kind
        valid = make_run(kind, run)
        for name in names:
            _check(kind, run, name, "the valid file", valid, valid[name])
            for label, corrupted in corruptions(valid[name], seed=seed * 2 + FILES.index(name)):
                _check(kind, run, name, label, valid, corrupted)


def _property_fuzz(folder: str) -> None:
    """Child process: hypothesis draws new cuts and byte changes of each file, and new byte changes
    of its ``data.pkl`` with the checksums right, on every run."""
    limit_memory()
    for kind, names in SWEPT.items():
        run = Path(folder) / kind
        valid = make_run(kind, run)
        for name in names:
            _fuzz_one(kind, run, name, valid)


def _fuzz_one(kind: str, run: Path, name: str, valid: dict[str, bytes]) -> None:
    """Hypothesis's draws for ``run/name`` (the run's other files ``valid``)."""
    data = valid[name]
    pkl = next(body for n, body in members(data) if n.endswith("/data.pkl"))
    quick = settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))

    @quick
    @given(**cuts_and_changes(data, 8))
    def damaged_file_reads_or_is_named(cut: int, changes: list[tuple[int, int]]) -> None:
        _check(kind, run, name, f"cut at {cut}, bytes {changes}", valid, cut_and_set(data, cut, changes))

    @quick
    @given(changes=st.lists(st.tuples(st.integers(0, len(pkl) - 1), st.integers(0, 255)), min_size=1, max_size=4))
    def edited_pickle_reads_or_is_named(changes: list[tuple[int, int]]) -> None:
        def edit(body: bytes) -> bytes:
            for at, value in changes:
                body = _set(body, at, bytes([value]))
            return body

        _check(kind, run, name, f"data.pkl bytes {changes}, checksum right", valid, edited(data, "/data.pkl", edit))

    damaged_file_reads_or_is_named()
    edited_pickle_reads_or_is_named()


def bomb(nbytes: int) -> bytes:
    """A checkpoint of one float storage of ``nbytes`` zero bytes, its parts compressed (``torch.save``
    stores them): about a thousandth of ``nbytes`` on disk. Made streaming, within a few megabytes."""

    plain = io.BytesIO()
    torch.save({"model": {"w": torch.zeros(1)}}, plain)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, body in members(plain.getvalue()):
            if not name.endswith("/data/0"):
                archive.writestr(name, with_number(body, "numel", nbytes // 4) if name.endswith("/data.pkl") else body)
                continue
            with archive.open(name, "w", force_zip64=True) as part:
                for _ in range(nbytes >> 24):
                    part.write(bytes(1 << 24))
    return out.getvalue()


DEFECTS = {
    "a 256 MiB storage compressed into 1.2 MB": lambda: bomb(1 << 28),
    "a compression method zipfile does not know": lambda: _central(10, 99),
    "a part needing zip version 25.5": lambda: _central(6, 255),
    "a part flagged encrypted": lambda: _central(8, 1),
}
"""What the sweep found, each a file the loader took gigabytes for or refused with an exception
other than EvfaceError: a checkpoint whose parts are compressed (``torch.save`` stores them) was
loaded whole, its storage inflated into memory (4.5 MB on disk took 1.27 GB at its peak, a 1 GiB
storage; 1.2 MB, 256 MiB); one whose first part's entry in the central directory (a byte changed,
which no checksum covers) names a compression method zipfile does not know, a zip version past its
own or encryption raised ``NotImplementedError: That compression method is not supported``,
``NotImplementedError: zip file version 25.5`` or ``RuntimeError: File ... is encrypted, password
required for extraction``, each an internal error."""


def _central(field: int, value: int) -> bytes:
    """The tiny classifier's ``best.pt`` whose first part's entry in the central directory (where
    zipfile reads it) has its 2 bytes at ``field`` set to ``value``: 6 the zip version needed, 8
    the flags, 10 the compression method."""
    plain = io.BytesIO()
    torch.save({"model": _model("classifier").state_dict()}, plain)
    data = plain.getvalue()
    end = data.rindex(b"PK\x05\x06")
    central = struct.unpack("<I", data[end + 16:end + 20])[0]  # where the end record says the directory starts
    return _set(data, central + field, struct.pack("<H", value))


def _refused(folder: str) -> None:
    """Child process: every reader refuses the file of each of :data:`DEFECTS` in one line naming
    it, within :data:`PEAK_MB`."""
    limit_memory()
    run = Path(folder) / "run"
    valid = make_run("classifier", run)
    for defect, make in DEFECTS.items():
        _refuses(run, valid, defect, make())


def _refuses(run: Path, valid: dict[str, bytes], defect: str, corrupted: bytes) -> None:
    """Every reader of ``run``'s checkpoints, each holding ``corrupted`` in turn, refuses it."""
    for name in FILES:
        for reader, read in readers("classifier", run, name).items():
            _restore(run, {**valid, name: corrupted})
            print(f"{defect}: {name} {reader}", flush=True)
            try:
                read()
            except FormatError as exc:
                said = str(exc)
                assert said.startswith(f"{run / name}: ") and said.endswith(checkpoints.AGAIN) and "\n" not in said, said
            else:
                raise AssertionError(f"{defect}: {name} {reader}: loaded without error")
            assert peak_mb() < PEAK_MB, f"{defect}: {name} {reader}: peak memory {peak_mb():.0f} MB"


def _run_child(mode: str, *args: str | Path) -> None:
    run_child(__file__, mode, *args, timeout=300)


def test_corrupted_checkpoints_load_or_are_named(tmp_path: Path) -> None:
    _run_child("sweep", tmp_path)


def test_random_corruptions_load_or_are_named(tmp_path: Path) -> None:
    """Property-based: new random corruptions on every run, in a child process like the sweep."""
    _run_child("property", tmp_path)


def test_a_checkpoint_not_stored_as_torch_writes_is_refused_unread(tmp_path: Path) -> None:
    _run_child("refused", tmp_path)


CLI_DAMAGES = {
    "compressed": (lambda plain: deflated(plain), "not a checkpoint evface wrote: its part 'data.pkl' is compressed "
                                                   "(torch.save stores its parts as they are)"),
    "a zip version of 25.5": (lambda plain: _central(6, 255), "a damaged checkpoint (NotImplementedError: zip file "
                                                              "version 25.5)"),
    "flagged encrypted": (lambda plain: _central(8, 1), "a damaged checkpoint (RuntimeError: File "),
}
"""The ``best.pt`` given to the CLI: the tiny classifier's, compressed, or its directory damaged (:data:`DEFECTS`)."""


@pytest.mark.parametrize("damage", list(CLI_DAMAGES))
def test_the_cli_refuses_a_checkpoint_not_stored_as_torch_writes_in_one_line(damage: str, tmp_path: Path, capsys) -> None:
    """``export-nir RUN`` whose ``best.pt`` has its parts compressed, or names a zip version or an
    encryption zipfile does not read: one line naming it, exit 2, nothing written (was: exit 0, the
    checkpoint inflated whole into memory, gigabytes for a bomb; ``internal error: NotImplementedError:
    zip file version 25.5``, ``internal error: RuntimeError: File ... is encrypted``, exit 1)."""
    pytest.importorskip("nir")
    run = tmp_path / "run"
    run_folder.save_config(run, {"task": "classify", "model": "snn", "net": NET.to_dict()})
    plain = checkpoints.save_checkpoint(tmp_path / "plain.pt", {"model": _model("classifier").state_dict()})
    make, says = CLI_DAMAGES[damage]
    (run / "best.pt").write_bytes(make(plain.read_bytes()))
    assert main(["export-nir", str(run), str(tmp_path / "a.nir")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {run / 'best.pt'}: {says}") and err.endswith(f"; {checkpoints.AGAIN}\n"), err
    assert err.count("\n") == 1 and not (tmp_path / "a.nir").exists()


def _first_state(**change: object) -> Callable[[dict], dict]:
    """An edit of an optimiser's state dict: its first weight's state updated with ``change``."""
    return lambda opt: {**opt, "state": {**opt["state"], 0: {**opt["state"][0], **change}}}


def _swapped_key(opt: dict) -> dict:
    """An optimiser's state dict whose first weight's ``exp_avg`` is keyed by a tensor instead."""
    first = opt["state"][0]
    return {**opt, "state": {**opt["state"], 0: {**{k: v for k, v in first.items() if k != "exp_avg"},
                                                 torch.zeros(8): first["exp_avg"]}}}


OPTIMISER_MISFITS = {
    "exp_avg of another shape": (_first_state(exp_avg=torch.zeros(3)),
                                 r"its exp_avg is a tensor of shape \(3,\), for a weight of shape \(4, 2, 3, 3\)"),
    "exp_avg a str": (_first_state(exp_avg="x"), r"its exp_avg is a str, for a weight of shape \(4, 2, 3, 3\)"),
    "step of 4 numbers": (_first_state(step=torch.zeros(2, 2)), r"its step is a tensor of shape \(2, 2\), for a weight of shape \(4, 2, 3, 3\)"),
    "exp_avg of one number repeated": (_first_state(exp_avg=torch.zeros(1).expand(4, 2, 3, 3)),
                                       r"its exp_avg is a tensor whose elements share memory \(strides \(0, 0, 0, 0\)\)"),
    "exp_avg keyed by a tensor": (_swapped_key, r"its weights' states hold other keys \(a tensor of shape \(8,\), "
                                                r"exp_avg_sq, step and exp_avg, exp_avg_sq, step\)"),
    "betas a number": (lambda opt: {**opt, "param_groups": [{**opt["param_groups"][0], "betas": 5}]}, r"its betas is 5"),
}
"""A received ``checkpoint.pt`` with Adam's state of another network or kind (the last two as the
sweep made them, ``data.pkl``'s bytes changed with its checksum right), which ``load_state_dict``
took without a word: the first step raised ``RuntimeError: output with shape [3] doesn't match the
broadcast shape [4, 2, 3, 3]``, ``AttributeError: 'str' object has no attribute 'lerp_'``,
``RuntimeError: a Tensor with 4 elements cannot be converted to Scalar``, ``RuntimeError:
unsupported operation: more than one element of the written-to tensor refers to a single memory
location``, ``KeyError: 'exp_avg'``, ``TypeError: cannot unpack non-iterable int object``."""


@pytest.mark.parametrize("misfit", list(OPTIMISER_MISFITS))
def test_a_resume_from_another_optimisers_state_is_one_error_line(misfit: str, tmp_path: Path) -> None:
    run = tmp_path / "run"
    make_run("classifier", run)
    good = checkpoints.load_checkpoint(run / "checkpoint.pt")
    edit, says = OPTIMISER_MISFITS[misfit]
    checkpoints.save_checkpoint(run / "checkpoint.pt", {**good, "optimizer": edit(good["optimizer"])})
    before = (run / "checkpoint.pt").read_bytes()
    with pytest.raises(FormatError, match=rf"^{re.escape(str(run / 'checkpoint.pt'))}: holds another optimiser's state "
                                          rf"\({says}\); not a checkpoint of this run$"):
        _fit("classifier", run, epochs=2)
    assert (run / "checkpoint.pt").read_bytes() == before


if __name__ == "__main__":
    {"sweep": _sweep, "property": _property_fuzz, "refused": _refused}[sys.argv[1]](*sys.argv[2:])
