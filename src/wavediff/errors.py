"""User-facing errors: entry points print their message as one line and exit non-zero."""


class WaveDiffError(Exception):
    """Base class for errors caused by input (config, data, files), not by a bug.

    ``exit_code`` is the status an entry point exits with (1; 2 for command-line usage errors).
    """

    exit_code = 1


class ConfigError(WaveDiffError):
    """A config value is invalid or inconsistent."""


class UsageError(ConfigError):
    """The command line names a config option, key or environment variable that does not exist."""

    exit_code = 2


class DataError(WaveDiffError):
    """Input data is missing, malformed or too short."""


class CheckpointError(WaveDiffError):
    """A checkpoint or registry run cannot be found or loaded."""


def require_int(value: object, key: str, minimum: int = 1) -> int:
    """``value`` if it is an integer >= ``minimum``, else a one-line :class:`ConfigError` naming ``key``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{key}={value!r}: must be an integer >= {minimum}")
    return value


def check_file_stem(flag: str, stem: str) -> str:
    """A table's file stem (letters, digits, ``-`` and ``_``), or one-line :class:`ConfigError`."""
    if not stem or not all(ch.isalnum() or ch in "-_" for ch in stem):
        raise ConfigError(f"{flag} {stem!r}: a file stem of letters, digits, - and _")
    return stem
