"""``evface run``: from nothing to a report, in stages that are skipped once done.

The stages are: build the synthetic dataset (unless a dataset folder is given), train and
evaluate the classifier for every arm of :data:`~evface.pipeline.stage_plan.CLASSIFY_ARMS` with subject-grouped
cross-validation (every subject tested once; the report pairs the arms on the same clips), train
and evaluate the reconstructor for each event sensor and reconstruction protocol of the preset
(with its baselines), then write the report. Each stage runs in its
own folder ``OUT/stages/<name>-<key>`` where ``key`` hashes the stage's configuration but its
``seeds`` (its dataset folder relative to ``OUT`` when inside it, so the key does not depend on
how ``--out`` is spelled or where ``OUT`` has moved), and leaves ``stage.json`` there when it has
finished; a second run skips every stage whose ``stage.json`` exists for as many seeds or more,
so an interrupted run resumes where it stopped (training itself resumes from its last
checkpoint), and a run given more seeds trains only the new ones. ``OUT/pipeline.json`` lists the
stages for the report.

The dataset is built first (with one worker process per job); the training stages, which do not
depend on each other, then run as jobs (:func:`~evface.pipeline.stage_steps.run_step`), ``jobs`` at a time in separate
processes with one torch thread each: on a small CPU two single-threaded trainings finish sooner
than two two-threaded ones in turn. Every training stage is one job that prepares it, one job per
part of its protocol (a classification model: a fold and seed, :mod:`evface.tasks.classify`; a
reconstruction fold: its CVAE and recurrent UNet, :mod:`evface.tasks.reconstruct`) and one that
pools the parts into its metrics, so its folds train side by side. With ``ray`` the clips and
these jobs are tasks on a Ray cluster instead (:class:`evface.ray_cluster.RayCluster`;
docs/scale-out.md); the run folder and report are the same.

- :mod:`evface.pipeline.stage_plan` -- the presets, the arms, ``Stage`` and its key, ``plan``;
- :mod:`evface.pipeline.given_data` -- what a dataset given by ``--data`` allows;
- :mod:`evface.pipeline.earlier_run` -- what an earlier run left in ``OUT`` (its dataset, its stages);
- :mod:`evface.pipeline.stage_steps` -- ``run_step``, one job of a training stage;
- :mod:`evface.pipeline.run` -- ``run_pipeline``, the whole run.
"""
