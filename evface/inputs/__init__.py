"""Read a dataset folder for the models: subject splits and clip -> model input.

- :mod:`evface.inputs.splits` -- subject-independent splits and folds;
- :mod:`evface.inputs.clip_view` -- what both inputs share: sensors, face box, time window, grey;
- :mod:`evface.inputs.classify` -- clip -> classifier input tensor;
- :mod:`evface.inputs.classify_augment` and :mod:`evface.inputs.classify_dataset` -- the cached
  inputs augmented, and served to training as a torch dataset;
- :mod:`evface.inputs.flow` -- onset -> apex optical flow and strain, the apex found from frames or events;
- :mod:`evface.inputs.reconstruct` -- clip -> reconstruction samples of the three protocols;
- :mod:`evface.inputs.recon_dataset` -- a dataset's reconstruction samples, in memory or in a folder;
- :mod:`evface.inputs.au_regions` -- AU-region masks on the reconstruction grid.
"""
