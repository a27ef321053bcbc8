"""Export a classification run's spiking network to NIR (``evface export-nir RUN OUT``).

The run folder gives the network (``config.json``'s ``net``) and its weights (``best.pt`` of one
of its ``models``: a cross-validated run holds one per fold and seed, the first by default);
:func:`evface.models.export_nir.export` writes the graph, with the run's input kind (``config.json``'s
``input``) and the values of it the network takes (:data:`~evface.inputs.classify.INPUT_VALUES`) in its metadata.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from evface.errors import ParameterError
from evface.inputs.classify import INPUT_VALUES
from evface.models.export_nir import export
from evface.models.snn import NetConfig, SpikingCNN
from evface.tasks import checkpoints, run_folder


def export_run(run_dir: str | Path, out: str | Path, model: str | None = None,
               replace: bool = True) -> tuple[Path, str, int]:
    """Export one model of a classification run (``--model snn``) to the NIR file ``out``.

    ``model`` names one of the run's models by its folder (``fold1-s0`` or ``models/fold1-s0``);
    default the first; ``replace`` False keeps a file with something in it that is at ``out`` when
    the graph is written (a :class:`FileExistsError`, :func:`~evface.models.export_nir.write`). Returns the file written, the folder of the model exported (relative to
    the run) and how many models the run holds.
    """
    config = run_folder.load_config(run_dir)
    if config.get("task") != "classify" or config.get("model", "snn") != "snn":
        raise ParameterError(f"{run_dir} is not a spiking classification run (task {config.get('task')!r}, "
                             f"model {config.get('model')!r}); NIR holds spiking networks: give a run of "
                             "evface train classify --model snn")
    with run_folder.reading(Path(run_dir) / run_folder.CONFIG):
        run_folder.check_fields(config, {"net": dict, **({"input": str} if "input" in config else {})})
        net = SpikingCNN(NetConfig(**config["net"]))
        models = config.get("models") or [{"dir": "."}]  # a run without a list of models holds one, in RUN/
        for entry in models:
            run_folder.check_fields(entry, {"dir": str})
            run_folder.check_folder(entry["dir"])
    dirs = [entry["dir"] for entry in models]
    chosen = dirs[0]
    if model is not None and not model.strip().strip("/"):  # was: '' matched the folder '.' by its name ''
        raise ParameterError(f"--model {model!r}: names no model; give one of the run's models by its folder "
                             "(e.g. fold1-s0), or leave --model out")
    if model is not None:
        matches = [d for d in dirs if model.strip("/") in (d, PurePosixPath(d).name)]
        if not matches and dirs == ["."]:
            raise ParameterError(f"--model {model}: {run_dir} holds one model (a run without --folds or --loso); "
                                 "leave --model out")
        if not matches:
            names = ", ".join(PurePosixPath(d).name for d in dirs)
            raise ParameterError(f"--model {model}: {run_dir} holds no such model; it holds {names}")
        chosen = matches[0]
    checkpoints.load_model_state(Path(run_dir) / chosen, net)
    kind = config.get("input")
    return export(net, out, replace=replace, input_kind=kind, input_values=INPUT_VALUES.get(kind or "")), chosen, len(dirs)
