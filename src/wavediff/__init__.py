"""WaveDiff: diffusion models on complex wavelet images of financial time series."""

import wavediff.config.resolvers  # noqa: F401  (registers ${on_gpu:...} for every config)

__version__ = "0.4.0"
