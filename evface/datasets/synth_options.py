"""The ``evface synth`` options a synthetic dataset's ``dataset.json`` records, told apart option by
option: what a refused resume or shard merge names, so that its line says which option to change
(was: the record's keys, ``other params``, ``other subjects``, which no option is called).

Examples
--------
>>> made = {"seed": 0, "preset": "tiny", "params": {"rig": {"cameras": {"noise": "typical"}}}}
>>> made_with(made, {**made, "params": {"rig": {"cameras": {"noise": "noisy"}}}}, ["params"])
('--noise typical', '--noise noisy')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from evface.errors import counted


def _listed(values: Any) -> str:
    """``values`` (a list, or a dict's keys) joined by commas, as the option takes them."""
    return ",".join(map(str, values)) if isinstance(values, (list, dict)) else str(values)


def _order(info: dict[str, Any], key: str) -> Any:
    """The classes or lightings of ``info`` in the order given (``plan_order``), else as recorded."""
    order = info.get("plan_order")
    return order.get(key) if isinstance(order, dict) and key in order else info.get(key)


def _rig(info: dict[str, Any]) -> dict[str, Any]:
    params = info.get("params")
    rig = params.get("rig") if isinstance(params, dict) else None
    return rig if isinstance(rig, dict) else {}


def _subjects(info: dict[str, Any], kind: str) -> list[Any]:
    subjects = info.get("subjects")
    return [s for s in subjects if isinstance(s, dict) and s.get("kind") == kind] if isinstance(subjects, list) else []


def _photos(info: dict[str, Any]) -> str:
    names = [str(s.get("name")) for s in _subjects(info, "photo")]
    return f"--faces of {counted(len(names), 'photo')} ({', '.join(names[:3])}{', ...' * (len(names) > 3)})" \
        if names else "no --faces"


def _shard(info: dict[str, Any]) -> str:
    shard = info.get("shard")
    return f"--shard {shard[0]}/{shard[1]}" if isinstance(shard, list) and len(shard) == 2 else "no --shard"


_OPTIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "--preset": lambda info: f"--preset {info.get('preset')}",
    "--seed": lambda info: f"--seed {info.get('seed')}",
    "--subjects": lambda info: f"--subjects {len(_subjects(info, 'procedural'))}",
    "--faces": _photos,
    "--classes": lambda info: f"--classes {_listed(_order(info, 'classes'))}",
    "--lighting": lambda info: f"--lighting {_listed(_order(info, 'lightings'))}",
    "--noise": lambda info: f"--noise {_rig(info).get('cameras', {}).get('noise')}",
    "--rgb-hd-cameras": lambda info: f"--rgb-hd-cameras {_listed(_rig(info).get('rgb_hd_presets'))}",
    "--shard": _shard,
}
"""Each option, as the record ``info`` says it was given (``--seed 3``)."""

_OPTIONS_OF_KEY = {
    "seed": ("--seed",), "preset": ("--preset",), "params": ("--preset", "--noise", "--rgb-hd-cameras"),
    "subjects": ("--seed", "--subjects", "--faces"), "classes": ("--classes",), "lightings": ("--lighting",),
    "plan_order": ("--classes", "--lighting"), "shard": ("--shard",),
}
"""The options that may make two records differ on a ``dataset.json`` key."""


def made_with(made: dict[str, Any], wanted: dict[str, Any], keys: Sequence[str]) -> tuple[str, str]:
    """The ``evface synth`` options that give the two ``dataset.json`` records ``made`` and
    ``wanted`` the differing ``keys``: as ``made`` was made, and as ``wanted`` gives them; a key
    that no differing option explains (a preset changed inside by another version, another
    generator) is said as ``other KEY`` in the first.

    Parameters
    ----------
    made, wanted : dict
        The two records (a dataset found and the one a run would write; two shards).
    keys : sequence of str
        The keys on which they differ (:func:`~evface.datasets.synth.differing_keys`).

    Returns
    -------
    tuple of str
        ``made``'s options and ``wanted``'s, each as given (``--lighting bright,dim``).

    Examples
    --------
    >>> made_with({"seed": 0}, {"seed": 3}, ["seed", "subjects"])
    ('--seed 0', '--seed 3')
    >>> a = {"plan_order": {"classes": ["AU4"], "lightings": ["bright", "dim"]}}
    >>> made_with(a, {"plan_order": {"classes": ["AU4"], "lightings": ["dim", "bright"]}}, ["plan_order"])
    ('--lighting bright,dim', '--lighting dim,bright')
    >>> made_with({"generator": "x"}, {"generator": "y"}, ["generator"])
    ('other generator', '')
    """
    options = [o for o in _OPTIONS if any(o in _OPTIONS_OF_KEY.get(k, ()) for k in keys)
               and _OPTIONS[o](made) != _OPTIONS[o](wanted)]
    unexplained = [f"other {k}" for k in keys if not any(o in options for o in _OPTIONS_OF_KEY.get(k, ()))]
    return (", ".join([_OPTIONS[o](made) for o in options] + unexplained),
            ", ".join(_OPTIONS[o](wanted) for o in options))
