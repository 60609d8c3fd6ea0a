"""How colours look to people with each common colour vision deficiency, and how far apart two look.

The simulation is colorspacious' (Machado, Oliveira and Fernandes 2009, at severity 100: the full
deficiency); the difference is CIEDE2000 (Sharma, Wu and Dalal 2005), where about 2 is just noticeable and
20 is a different colour at a glance.
"""

from __future__ import annotations

from math import atan2, cos, degrees, exp, hypot, radians, sin, sqrt
from typing import Dict, Optional, Sequence, Tuple

Lab = Tuple[float, float, float]
VISIONS: Tuple[Optional[str], ...] = (None, "deuteranomaly", "protanomaly", "tritanomaly")
NAMES: Dict[Optional[str], str] = {None: "normal vision", "deuteranomaly": "deuteranopia",
                                   "protanomaly": "protanopia", "tritanomaly": "tritanopia"}


def lab_seen(srgb: Sequence[int], vision: Optional[str]) -> Lab:
    """CIELab (D65) of an sRGB colour (0-255) as a person with this deficiency (None: none) sees it."""
    from colorspacious import cspace_convert
    import numpy

    rgb = numpy.asarray(srgb, dtype=float) / 255
    if vision is not None:   # the simulation can leave the gamut a little: a screen shows it clipped
        cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
        rgb = numpy.clip(cspace_convert(rgb, cvd, "sRGB1"), 0, 1)
    lab = cspace_convert(rgb, "sRGB1", "CIELab")
    return (float(lab[0]), float(lab[1]), float(lab[2]))


def ciede2000(lab1: Lab, lab2: Lab) -> float:
    """The CIEDE2000 colour difference of two CIELab colours (kL = kC = kH = 1)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    cbar = (hypot(a1, b1) + hypot(a2, b2)) / 2
    g = 0.5 * (1 - sqrt(cbar ** 7 / (cbar ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = hypot(a1p, b1), hypot(a2p, b2)
    h1p = degrees(atan2(b1, a1p)) % 360 if (a1p or b1) else 0.0
    h2p = degrees(atan2(b2, a2p)) % 360 if (a2p or b2) else 0.0
    dlp, dcp = L2 - L1, c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    else:
        dhp = h2p - h1p
        if dhp > 180:
            dhp -= 360
        elif dhp < -180:
            dhp += 360
    dHp = 2 * sqrt(c1p * c2p) * sin(radians(dhp / 2))
    lbar, cbarp = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbar = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        hbar = (h1p + h2p + 360) / 2
    else:
        hbar = (h1p + h2p - 360) / 2
    t = (1 - 0.17 * cos(radians(hbar - 30)) + 0.24 * cos(radians(2 * hbar)) + 0.32 * cos(radians(3 * hbar + 6))
         - 0.20 * cos(radians(4 * hbar - 63)))
    dtheta = 30 * exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * sqrt(cbarp ** 7 / (cbarp ** 7 + 25.0 ** 7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / sqrt(20 + (lbar - 50) ** 2)
    sc, sh = 1 + 0.045 * cbarp, 1 + 0.015 * cbarp * t
    rt = -sin(radians(2 * dtheta)) * rc
    return sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dHp / sh) ** 2 + rt * (dcp / sc) * (dHp / sh))


def difference(srgb1: Sequence[int], srgb2: Sequence[int], vision: Optional[str]) -> float:
    """CIEDE2000 between two sRGB colours as a person with this deficiency (None: none) sees them."""
    return ciede2000(lab_seen(srgb1, vision), lab_seen(srgb2, vision))
