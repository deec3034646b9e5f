"""Name -> simulated source, for the command line (Hydra configs name their ``_target_`` directly)."""

from __future__ import annotations

from wavediff.data.basket import BasketSource
from wavediff.data.bates import BatesSource
from wavediff.data.garch import GARCHSource
from wavediff.data.gbm import GBMSource
from wavediff.data.heston import HestonSource
from wavediff.data.mjd import MJDSource
from wavediff.data.simulated import SimulatedSource

SIMULATORS: dict[str, type[SimulatedSource]] = {
    cls.name: cls for cls in (MJDSource, GBMSource, HestonSource, BatesSource, GARCHSource, BasketSource)
}

STYLIZED_FACTS = {
    "gbm": "none: iid Gaussian returns",
    "mjd": "jumps, fat tails (iid returns: no clustering)",
    "heston": "volatility clustering, leverage (rho < 0), mildly fat tails",
    "bates": "clustering, leverage, jumps and fat tails",
    "garch": "clustering, fat tails (Student-t), no leverage",
    "basket": "several assets: correlated diffusions, common (systemic) and own jumps",
}
