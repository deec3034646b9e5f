"""The seed's ``WAVEDIFF_*`` environment variables, mapped onto Hydra overrides in one place.

``WAVEDIFF_EPOCHS=5 wavediff train`` is ``wavediff train trainer.max_epochs=5``. A key given on
the command line wins over its variable. A ``WAVEDIFF_*`` name not in :data:`VARIABLES`, or a
value of the wrong type, is a :class:`~wavediff.errors.UsageError`. Variables that do not apply
to a command (``WAVEDIFF_OUTPUT_PATH`` for ``train``) are ignored by it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wavediff.errors import UsageError

PREFIX = "WAVEDIFF_"
# Variables WaveDiff itself reads that are not seed overrides.
OTHER_VARIABLES = ("WAVEDIFF_CONFIG_DIR",)


def _text(name: str, key: str, text: str) -> list[str]:
    return [f"{key}={text}"]


def _integer(name: str, key: str, text: str) -> list[str]:
    try:
        return [f"{key}={int(text)}"]
    except ValueError:
        raise UsageError(f"{name}={text}: must be an integer") from None


def _number(name: str, key: str, text: str) -> list[str]:
    try:
        return [f"{key}={float(text)!r}"]
    except ValueError:
        raise UsageError(f"{name}={text}: must be a number") from None


def _wavelet(name: str, key: str, text: str) -> list[str]:
    """An analytic family (``morlet``, ``paul4``, ``dog2``) keeps the complex CWT; a pywt real
    wavelet name (``morl``, ``mexh``) selects the seed's magnitude baseline with that wavelet."""
    from wavediff.transforms.magnitude_scalogram import REAL_WAVELETS  # torch: only for this variable
    from wavediff.transforms.wavelets import AnalyticWavelet

    if text in REAL_WAVELETS:
        return ["transform=magnitude_scalogram", f"{key}={text}"]
    try:
        AnalyticWavelet.parse(text)
    except ValueError as exc:
        raise UsageError(f"{name}={text}: {exc}; or a real wavelet for the seed's magnitude scalogram: "
                         f"{', '.join(REAL_WAVELETS)}") from None
    return [f"{key}={text}"]


@dataclass(frozen=True)
class Variable:
    """One seed variable: the config key it sets, the commands it applies to, and how its text
    becomes overrides (checked on the way)."""

    key: str
    commands: tuple[str, ...]
    parse: Callable[[str, str, str], list[str]] = _text
    doc: str = ""

    def overrides(self, name: str, text: str) -> list[str]:
        return self.parse(name, self.key, text)


VARIABLES: dict[str, Variable] = {
    "WAVEDIFF_WAVELET": Variable("data.transform.wavelet", ("train",), _wavelet,
                                 "morlet, paul[m] or dog[m] (the complex CWT); morl or mexh (the seed's magnitude "
                                 "scalogram)"),
    "WAVEDIFF_IMAGE_SIZE": Variable("data.transform.image_size", ("train",), _integer,
                                    "side of the seed's resized image (magnitude scalogram only)"),
    "WAVEDIFF_BATCH_SIZE": Variable("data.batch_size", ("train",), _integer),
    "WAVEDIFF_EPOCHS": Variable("trainer.max_epochs", ("train",), _integer),
    "WAVEDIFF_LR": Variable("model.optimizer.lr", ("train",), _number),
    "WAVEDIFF_NUM_TIMESTEPS": Variable("model.noise_scheduler.num_train_timesteps", ("train",), _integer),
    "WAVEDIFF_WINDOW_SIZE": Variable("data.window_size", ("train",), _integer),
    "WAVEDIFF_STRIDE": Variable("data.stride", ("train",), _integer),
    "WAVEDIFF_SAVE_DIR": Variable("callbacks.model_checkpoint.dirpath", ("train",), _text,
                                  "folder of the checkpoints (the registry records where they are)"),
    "WAVEDIFF_OUTPUT_PATH": Variable("output_path", ("generate",), _text, "the scalogram PNG to write"),
}


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def env_overrides(command: str, argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Hydra overrides from the ``WAVEDIFF_*`` variables that apply to ``command``, minus the keys
    ``argv`` sets itself; to be placed before ``argv``."""
    environ = os.environ if environ is None else environ
    given = {_key(a) for a in argv if "=" in a and not a.startswith("-")}
    for name in sorted(n for n in environ if n.startswith(PREFIX)):
        if name not in VARIABLES and name not in OTHER_VARIABLES:
            raise UsageError(f"{name}: unknown variable; WaveDiff reads {', '.join(VARIABLES)} "
                             "(or use key=value overrides)")
    out: list[str] = []
    for name, variable in VARIABLES.items():  # in the table's order: group choices first
        if name not in environ or command not in variable.commands or variable.key in given:
            continue
        out += [o for o in variable.overrides(name, environ[name].strip()) if _key(o) not in given]
    if "data.transform.image_size" in {_key(o) for o in out}:
        transforms = [o for o in [*out, *argv] if _key(o) == "transform"]
        if not transforms or transforms[-1].split("=", 1)[1] != "magnitude_scalogram":
            raise UsageError("WAVEDIFF_IMAGE_SIZE: only the seed's magnitude scalogram resizes; set "
                             "WAVEDIFF_WAVELET=morl (or transform=magnitude_scalogram) too, or leave it unset: "
                             "the complex CWT image is (2, scales, window) with no resize")
    return out


def variables_table() -> str:
    """The mapping as a markdown table (docs/reference/environment.md is made from it)."""
    rows = ["| variable | override | commands | notes |", "|---|---|---|---|"]
    for name, v in VARIABLES.items():
        rows.append(f"| `{name}` | `{v.key}` | {', '.join(v.commands)} | {v.doc} |")
    return "\n".join(rows)
