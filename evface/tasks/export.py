"""Export a classification run's spiking network to NIR (``evface export-nir RUN OUT``).

The run folder gives the network (``config.json``'s ``net``) and its weights (``best.pt``; for a
leave-one-subject-out run, those of the first fold); :func:`evface.models.export_nir.export`
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
    model = SpikingCNN(NetConfig(**config["net"]))
    ckpt_dir = Path(run_dir) if not config.get("loso") else Path(run_dir) / "folds" / str(config["subjects"]["folds"][0])
    engine.load_model_state(ckpt_dir, model)
    return export(model, out)
