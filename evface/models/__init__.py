"""The networks and baselines that tasks train and score (no dataset folder, no run folder).

- :mod:`evface.models.snn` -- spiking CNN AU classifier and its ANN twin: their architecture and
  :func:`~evface.models.snn.build`; the code by job in :mod:`evface.models.net_config`,
  :mod:`evface.models.neurons`, :mod:`evface.models.net_blocks`, :mod:`evface.models.net_input`,
  :mod:`evface.models.spiking_cnn`, :mod:`evface.models.ann_cnn` and :mod:`evface.models.net_costs`;
- :mod:`evface.models.export_nir` -- a spiking CNN as a NIR graph;
- :mod:`evface.models.cvae` -- conditional VAE frame reconstruction;
- :mod:`evface.models.e2vid` -- E2VID-style recurrent reconstruction baseline;
- :mod:`evface.models.recon_blocks` -- the building blocks and input checks of those two networks;
- :mod:`evface.models.recon_losses` -- their training losses (L1 + SSIM, the CVAE's loss) and the
  CVAE's KL warm-up;
- :mod:`evface.models.recon_baselines` -- keyframe copy, RGB hold, blend and DIS-flow
  warping, and leaky event integration.
"""
