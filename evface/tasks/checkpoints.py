"""Checkpoint files: written whole, and read back as tensors and plain data only.

:func:`save_checkpoint` writes a checkpoint under a temporary name and renames it;
:func:`load_checkpoint` refuses, in one line naming the file, one that is missing, empty, not a
whole zip archive as ``torch.save`` writes, one with a compressed member (which torch would inflate
whole into memory: gigabytes from a few megabytes) or one whose member fails its CRC (:func:`_check_archive`),
before ``torch.load(weights_only=True)`` reads it (a received file cannot run code);
:func:`load_model_state` loads ``RUN/best.pt`` (or another) into a model and refuses weights that
do not fit it: another network, other neuron settings, numbers that are not finite, or a checkpoint
whose record of its run (:data:`TRAINED_WITH`: the settings that define the run, :data:`RUN_SETTINGS`)
differs from the run's ``config.json`` (another stage's ``best.pt`` copied in). The state dicts
are always those of the unwrapped model, so a checkpoint written by a DDP run loads into a plain
model and vice versa.

:func:`evface.tasks.engine.fit` writes ``RUN/checkpoint.pt`` (the last epoch) and ``RUN/best.pt``
(the best validation score) with them; the run folder's other files are
:mod:`evface.tasks.run_folder`'s.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from evface.errors import FormatError, counted, printable, train_again, where
from evface.io.atomic_files import atomic_write
from evface.tasks import run_folder
from evface.tasks.configs import ClassifyConfig, ReconstructConfig
from evface.tasks.parallel import unwrap

BEST = "best.pt"

TRAINED_WITH = "trained_with"
"""The key of a checkpoint that records the run it was trained in: its :data:`RUN_SETTINGS` as its
``config.json`` gave them (:func:`run_settings`), written by :func:`evface.tasks.engine.fit` and checked by
:func:`load_model_state`. A checkpoint written before it was recorded has none."""

RUN_SETTINGS = ("task", "input", "sensor", "rgb_camera", "oracle_apex", "flow", "model", "protocol")
"""The settings of a run's ``config.json`` that define the stage of ``evface run`` it is (its task,
its input or modality, its sensor and RGB camera, its network, its reconstruction protocol):
a checkpoint trained with others is another stage's, whatever its weights' shapes."""


def save_checkpoint(path: str | Path, state: Mapping[str, Any]) -> Path:
    """``torch.save`` to a temporary name, then rename (never a half-written checkpoint; on an
    error, a full disk included, the temporary file is removed). torch is handed the open file, not
    its name: given a name, it calls the archive's one folder after it, and the temporary name
    (``best.pt.HOST-PID-RANDOM``) made two trainings' identical weights different bytes, with the
    host and the process in them; the folder is ``archive`` now, as in a save to memory.

    Parameters
    ----------
    path : str or Path
        The checkpoint file (``RUN/checkpoint.pt``, ``RUN/best.pt``).
    state : mapping
        Tensors and plain data (what :func:`load_checkpoint` reads back).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> model = nn.Linear(2, 1)
    >>> save_checkpoint("best.pt", {"model": model.state_dict(), "epoch": 3})
    PosixPath('best.pt')
    >>> ckpt = load_checkpoint("best.pt")
    >>> ckpt["epoch"], torch.equal(ckpt["model"]["weight"], model.weight)
    (3, True)
    """
    return atomic_write(Path(path), lambda tmp: _save(dict(state), tmp))


def _save(state: dict[str, Any], tmp: Path) -> None:
    """``torch.save`` ``state`` into the file ``tmp``, through the open file (:func:`save_checkpoint`)."""
    with tmp.open("wb") as file:
        torch.save(state, file)


NEW_OUT = train_again("(a model trained before is not trained again)")
"""How to get a run's checkpoint back by training: a run trained again in its own folder skips every
model it finished (a classification model with its ``held_out.pt``, a reconstruction part with its
``part.json``), so a missing or damaged file of one stays so (was: "train the run again", which left it so)."""
AGAIN = f"copy it again, or {NEW_OUT}"
"""What to do about a checkpoint that is cut short or damaged, the end of :func:`load_checkpoint`'s line."""


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint`: tensors and plain data only, so a
    received file cannot run code (``weights_only=True``); anything else (a folder, an empty file, one
    cut short or damaged, :func:`_check_archive`) is one :class:`FormatError` naming it. A missing
    file is one too, saying that the run's checkpoints are missing (a run folder copied without its
    ``.pt`` files) and what to do.

    Parameters
    ----------
    path : str or Path
        The checkpoint file.
    map_location : str or torch.device, optional
        Where its tensors are loaded (``torch.load``'s).

    Returns
    -------
    dict
        What :func:`save_checkpoint` was given.

    Examples
    --------
    >>> _ = Path("cut.pt").write_bytes(b"PK" + bytes(30))
    >>> load_checkpoint("cut.pt")
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: cut.pt: not a checkpoint evface wrote: not a whole zip archive, as torch.save writes (32 bytes: cut short, e.g. by an interrupted copy, or another kind of file); copy it again, or train the run again in a new --out folder (a model trained before is not trained again)
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(where(path, f"no such checkpoint: the run's checkpoints (.pt files) are missing (copied "
                                      f"without them?); copy them into {path.parent} from where the run was "
                                      f"trained, or {NEW_OUT}"))
    if not path.is_file():
        raise FormatError(where(path, "a folder, not a checkpoint file"))
    if path.stat().st_size == 0:
        raise FormatError(where(path, "an empty file (0 bytes), not a checkpoint evface wrote"))
    _check_archive(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # torch's weights-only unpickler met an object it will not build
        raise FormatError(where(path, "holds objects other than tensors and plain data (a pickle that could run "
                                      "code): refused, nothing in it ran; not a checkpoint evface wrote")) from exc
    except Exception as exc:  # torch raises many kinds on a damaged archive
        raise FormatError(where(path, f"a damaged checkpoint ({_first_sentence(exc)}); {AGAIN}")) from exc


def _check_archive(path: Path) -> None:
    """Refuse, in one line naming ``path``, a file that is not a whole zip archive as ``torch.save``
    writes (one cut short has lost the archive's directory at its end; another kind of file has
    none; one with a compressed member, :func:`_check_stored`; one whose directory names a zip
    version or an encryption zipfile does not read, a byte of it damaged) or one whose member fails
    its CRC (damaged in a copy), before torch reads it."""
    if not zipfile.is_zipfile(path):
        raise FormatError(where(path, f"not a checkpoint evface wrote: not a whole zip archive, as torch.save writes "
                                      f"({counted(path.stat().st_size, 'byte')}: cut short, e.g. by an interrupted "
                                      f"copy, or another kind of file); {AGAIN}"))
    try:
        with zipfile.ZipFile(path) as archive:
            _check_stored(path, archive.infolist())
            damaged = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError) as exc:  # zipfile's for a zip version it does not know, encryption
        raise FormatError(where(path, f"a damaged checkpoint ({_first_sentence(exc)}); {AGAIN}")) from exc
    if damaged is not None:
        part = damaged.split("/", 1)[-1]  # torch's archive holds one folder (`archive`, or the name a file was saved under)
        raise FormatError(where(path, f"a damaged checkpoint (its part {part!r} fails its checksum); {AGAIN}"))


def _check_stored(path: Path, parts: list[zipfile.ZipInfo]) -> None:
    """Refuse, in one line naming ``path``, an archive with a part that is not stored as it is, as
    ``torch.save`` writes every part: a compressed part is one torch would inflate whole into memory
    (a few megabytes to gigabytes), or one of a compression zipfile cannot read."""
    compressed = [part.filename for part in parts if part.compress_type != zipfile.ZIP_STORED]
    if compressed:
        part = compressed[0].split("/", 1)[-1]
        raise FormatError(where(path, f"not a checkpoint evface wrote: its part {part!r} is compressed (torch.save "
                                      f"stores its parts as they are); {AGAIN}"))


def _first_sentence(exc: BaseException) -> str:
    """An exception's kind and the first sentence of its message, on one line (torch adds a paragraph of advice).

    >>> _first_sentence(RuntimeError("PytorchStreamReader failed reading file data/0: invalid header. This is an "
    ...                              "internal miniz error." + chr(10) + "More"))
    'RuntimeError: PytorchStreamReader failed reading file data/0: invalid header'
    >>> _first_sentence(EOFError())
    'EOFError'
    """
    text = str(exc).splitlines()[0].split(". ")[0].rstrip(".") if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_model_state(run_dir: str | Path, model: nn.Module, which: str = BEST) -> dict[str, Any]:
    """Load ``RUN/best.pt`` (or ``which``) into ``model``; return the checkpoint dict. A checkpoint
    whose weights do not fit ``model`` (another network, not a model's checkpoint, or a spiking
    network trained with other neuron settings) is a :class:`FormatError` naming it, as is one whose
    record of its run (:data:`TRAINED_WITH`) differs from the run's ``config.json`` on a setting of
    :data:`RUN_SETTINGS`, naming both files and the setting (was: another stage's ``best.pt`` of
    the same network, events-lr's copied over events-hd's, loaded without a word). A checkpoint
    written before runs were recorded, or in a folder without a run's ``config.json``, is checked
    by its weights alone, as before.

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    model : torch.nn.Module
        The run's network (or a DDP wrapper of it), built from its ``config.json``.
    which : str, optional
        The checkpoint's file name in ``run_dir``.

    Returns
    -------
    dict
        The checkpoint (its ``model`` now loaded into ``model``).

    Examples
    --------
    >>> _ = Path("run").mkdir()
    >>> _ = save_checkpoint("run/best.pt", {"model": nn.Linear(2, 1).state_dict()})
    >>> sorted(load_model_state("run", nn.Linear(2, 1)))
    ['model']
    >>> load_model_state("run", nn.Linear(3, 1))
    Traceback (most recent call last):
    ...
    evface.errors.FormatError: run/best.pt: does not fit the run's network: 1 weight of another shape or type (e.g. weight); not a checkpoint of this run
    """
    path = Path(run_dir) / which
    ckpt = load_checkpoint(path)
    state = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise FormatError(where(path, "holds no model weights ('model'): not a checkpoint evface wrote"))
    _check_trained_with(path, ckpt, run_settings(Path(run_dir)))
    ours = unwrap(model).state_dict()
    missing, unexpected = sorted(set(ours) - set(state)), sorted(set(state) - set(ours), key=str)  # a received key may be no str
    misshapen = sorted(k for k in set(ours) & set(state)  # complex weights were cast to real without a word
                       if not isinstance(state[k], torch.Tensor) or state[k].shape != ours[k].shape
                       or state[k].dtype != ours[k].dtype)
    if missing or unexpected or misshapen:
        what = [f"{counted(len(keys), noun)}{after} (e.g. {printable(str(keys[0]))})" for keys, noun, after in
                ((missing, "weight", " missing"), (unexpected, "unknown weight", ""),
                 (misshapen, "weight", " of another shape or type")) if keys]
        raise FormatError(where(path, f"does not fit the run's network: {', '.join(what)}; not a checkpoint of this run"))
    _check_settings(path, model, state)
    broken = non_finite_tensors(state)
    if broken:  # a network with NaN weights predicts one class (or no spike) everywhere, silently
        raise FormatError(where(path, f"holds weights that are not finite numbers ({counted(len(broken), 'tensor')}, e.g. "
                                      f"{broken[0]}): not a usable checkpoint; {NEW_OUT}"))
    unwrap(model).load_state_dict(state)
    return ckpt


def run_settings(model_dir: Path) -> tuple[Path, dict[str, Any]] | None:
    """The ``config.json`` of the training run a model in ``model_dir`` belongs to (the folder's
    own, or that of the run folder above it: ``RUN/models/fold0-s0``, ``RUN/fold0/e2vid``) and its
    :data:`RUN_SETTINGS`; None where neither the folder nor the two above it (within the path as
    given) holds one.

    Parameters
    ----------
    model_dir : Path
        The folder of a model's checkpoints.

    Returns
    -------
    tuple of (Path, dict) or None
        The run's ``config.json`` and the settings it gives of :data:`RUN_SETTINGS`.

    Raises
    ------
    FormatError
        The ``config.json`` is not a JSON object, naming it.

    Examples
    --------
    >>> Path("cv/models/fold0-s0").mkdir(parents=True)
    >>> _ = Path("cv/config.json").write_text('{"task": "classify", "sensor": "lr", "epochs": 3}')
    >>> run_settings(Path("cv/models/fold0-s0"))
    (PosixPath('cv/config.json'), {'task': 'classify', 'sensor': 'lr'})
    >>> run_settings(Path("cv/models")), run_settings(Path("elsewhere")) is None
    ((PosixPath('cv/config.json'), {'task': 'classify', 'sensor': 'lr'}), True)
    """
    parts = model_dir.parts
    for up in range(min(3, len(parts))):
        config = Path(*parts[:len(parts) - up]) / run_folder.CONFIG
        if config.is_file():
            with run_folder.reading(config):
                written = run_folder.read_json(config)
                run_folder.check_fields(written, {})  # a JSON object
            return config, {key: written[key] for key in RUN_SETTINGS if key in written}
    return None


def _check_trained_with(path: Path, ckpt: Mapping[str, Any], run: tuple[Path, dict[str, Any]] | None) -> None:
    """A :class:`FormatError` naming the checkpoint ``path``, its run's ``config.json`` and the
    setting where the checkpoint's record of its run (:data:`TRAINED_WITH`) differs from what that
    file gives (``run``: :func:`run_settings`), or where the record is not as evface writes it. A
    setting that only one of them holds (a record of another evface version) is not compared."""
    if TRAINED_WITH not in ckpt or run is None:
        return  # written before runs were recorded, or not in a run's folder: its weights are checked alone
    config, settings = run
    record = ckpt[TRAINED_WITH]
    with run_folder.reading(path):
        run_folder.check_fields(record, {})  # a JSON object
        run_folder.check_fields(record, {key: (str, bool, type(None)) for key in RUN_SETTINGS if key in record})
    differ = [key for key in RUN_SETTINGS if key in record and key in settings and record[key] != settings[key]]
    if differ:
        typed = (ReconstructConfig if settings.get("task") == "reconstruct" else ClassifyConfig).as_typed
        key = differ[0]
        raise FormatError(where(path, f"was trained with {typed(key, record[key])}, and the run's {config} gives "
                                      f"{typed(key, settings[key])}: not a checkpoint of this run (another run's, "
                                      f"copied here?); put this run's own back, or {NEW_OUT}"))


def _check_settings(path: Path, model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """A :class:`FormatError` unless the checkpoint ``state`` holds the values that ``model``'s
    configuration fixes (a spiking network's ``settings_state``: its neurons' reset, threshold, ...).

    Weights of the same shapes trained with other neuron settings (a ``--reset zero`` run's
    ``best.pt`` in a run of the default reset, or a ``config.json`` edited afterwards) loaded
    without a word: the network then applied the checkpoint's reset with the run's readout, and
    ``export-nir`` wrote the config's neurons around the checkpoint's weights.
    """
    fixed: dict[str, torch.Tensor] = getattr(unwrap(model), "settings_state", dict)()
    differ = sorted(k for k, v in fixed.items() if not torch.equal(state[k].to(v.dtype), v))
    if differ:
        name = differ[0]
        raise FormatError(where(path, f"was trained with other neuron settings than the run's config.json gives "
                                      f"({len(differ)} differ, e.g. {name} is {state[name].tolist()} in the checkpoint "
                                      f"and {fixed[name].tolist()} by config.json); not a checkpoint of this run"))



def non_finite_tensors(state: Mapping[str, torch.Tensor]) -> list[str]:
    """The names of a state dict's floating-point tensors that hold a NaN or an infinity, sorted.

    Examples
    --------
    >>> non_finite_tensors({"w": torch.tensor([1.0, float("nan")]), "b": torch.zeros(1), "n": torch.tensor([2])})
    ['w']
    """
    return sorted(k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all()))
