"""Read a dataset folder for the models: subject splits and clip -> model input.

- :mod:`evface.inputs.splits` -- subject-independent splits and folds;
- :mod:`evface.inputs.classify` -- clip -> classifier input tensor;
- :mod:`evface.inputs.reconstruct` -- clip -> reconstruction samples.
"""
