"""User-facing errors: entry points print their message as one line and exit non-zero."""


class WaveDiffError(Exception):
    """Base class for errors caused by input (config, data, files), not by a bug."""


class ConfigError(WaveDiffError):
    """A config value is invalid or inconsistent."""


class DataError(WaveDiffError):
    """Input data is missing, malformed or too short."""


class CheckpointError(WaveDiffError):
    """A checkpoint or registry run cannot be found or loaded."""
