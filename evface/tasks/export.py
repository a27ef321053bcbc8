"""Export a classification run's spiking network to NIR (``evface export-nir RUN OUT``).

The run folder gives the network (``config.json``'s ``net``) and its weights (``best.pt`` of the
first of its ``models``: for a cross-validated run, the first fold's); :func:`evface.models.export_nir.export`
writes the graph.
"""

from __future__ import annotations

from pathlib import Path

from evface.errors import ParameterError
from evface.models.export_nir import export
from evface.models.snn import NetConfig, SpikingCNN
from evface.tasks import engine


def export_run(run_dir: str | Path, out: str | Path) -> Path:
    """Export the best checkpoint of a classification run (``--model snn``) to the NIR file ``out``."""
    config = engine.load_config(run_dir)
    if config.get("task") != "classify" or config.get("model", "snn") != "snn":
        raise ParameterError(f"{run_dir} is not a spiking classification run (task {config.get('task')!r}, "
                             f"model {config.get('model')!r})")
    with engine.reading(Path(run_dir) / engine.CONFIG):
        engine.check_fields(config, {"net": dict})
        model = SpikingCNN(NetConfig(**config["net"]))
        first = (config.get("models") or [{"dir": "."}])[0]  # a run without a list of models holds one, in RUN/
        engine.check_fields(first, {"dir": str})
        engine.check_folder(first["dir"])
    engine.load_model_state(Path(run_dir) / first["dir"], model)
    return export(model, out)
