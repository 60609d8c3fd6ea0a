"""What a person sees: the level each LED channel gets on the wire, and the screen colour that looks like it.

One model, shared by the HAT driver (which puts exactly these levels on the wire), the window and the terminal
(which show the screen colour of the same levels), so a board designed on a laptop looks the same on the Pi.

Pimoroni's own pipeline (unicornhat 2.2.3 over rpi_ws281x) scales each channel by `int(b * 128) + 1` (its
half-power cap) and then looks it up in a gamma table that maps every level below 22 to 0: dim colours, and
every colour at a low brightness, go dark. Here the brightness runs from FLOOR (the dimmest a lit channel gets,
any brightness above 0) to the library's own level at brightness 1 (so the power drawn is never more than the
library's), and a channel's level follows its value with a gentle curve that keeps low values apart.
"""

from __future__ import annotations

import itertools
from typing import Dict, Iterable, List, Mapping, Tuple

from statusboard.vocabulary import RGB

LIBRARY_SCALE = 128          # unicornhat: brightness(b) hands int(b * 128) to the C library (half power)
FULL = 255 * ((LIBRARY_SCALE + 1) / 256) ** 2.2   # ~56: the library's level for a full channel at brightness 1
FLOOR = 8.0                  # a full channel's level at the lowest brightness above 0
GAMMA = 1.4                  # level ~ value ** GAMMA: gentler than the library's 2.2, so dim states stay apart
SCREEN_GAMMA = 2.2           # a screen's sRGB encoding: light ~ (value / 255) ** 2.2


def full_level(brightness: float) -> float:
    """The wire level of a channel at 255 for a brightness (0 is off; anything above 0 is at least FLOOR)."""
    if brightness <= 0:
        return 0.0
    return FLOOR + (FULL - FLOOR) * min(1.0, brightness) ** 2.2


def level(value: int, brightness: float, scale: float = 1.0) -> int:
    """The wire level (0-255, at most about FULL * scale) of one channel: a lit channel is never 0.

    scale stretches the HAT's levels to a board whose library puts out 255 at its brightness 1 (the HAT HD:
    255 / FULL), so both show the same share of full light."""
    if value <= 0 or brightness <= 0:
        return 0
    return max(1, round(full_level(brightness) * scale * (min(value, 255) / 255) ** GAMMA))


def wire(rgb: RGB, brightness: float, scale: float = 1.0) -> RGB:
    """The levels a colour gets on the wire at a brightness (scaled for a board with more levels)."""
    return (level(rgb[0], brightness, scale), level(rgb[1], brightness, scale), level(rgb[2], brightness, scale))


def split(rgb: RGB, brightness: float, steps: int = 63) -> Tuple[int, RGB]:
    """For a board with a global brightness and per-LED levels, both of `steps` (the HAT Mini's driver chip:
    64 each): (global level, the colour's levels). Their product is the same share of full light as the HAT's
    level, so at any brightness above 0 the global level is at least 1 and the colour keeps every step."""
    if brightness <= 0:
        return 0, (0, 0, 0)
    overall = max(1, round(steps * full_level(brightness) / FULL))

    def one(value: int) -> int:
        return 0 if value <= 0 else max(1, round(steps * (min(value, 255) / 255) ** GAMMA))
    return overall, (one(rgb[0]), one(rgb[1]), one(rgb[2]))


def screen(levels: RGB) -> RGB:
    """The sRGB colour that looks on a screen like an LED at these wire levels (FULL shows as 255)."""
    def one(w: int) -> int:
        return 0 if w <= 0 else min(255, round(255 * (w / FULL) ** (1 / SCREEN_GAMMA)))
    return (one(levels[0]), one(levels[1]), one(levels[2]))


def seen(rgb: RGB, brightness: float) -> RGB:
    """The screen colour of what the HAT shows for a colour at a brightness."""
    return screen(wire(rgb, brightness))


def library_gamma() -> List[int]:
    """The table handed to unicornhat.set_gamma: index k goes out as level k, so our levels reach the wire."""
    return list(range(256))


def library_value(lvl: int) -> int:
    """The value to hand unicornhat.set_pixel so that, at brightness 1 (scale 129), the table index is lvl."""
    return min(255, 2 * lvl)   # (2 * lvl * 129) >> 8 == lvl for every lvl below 128


def palette_warnings(colours: Mapping[str, RGB], brightnesses: Iterable[Tuple[str, float]]) -> List[str]:
    """Colours that would be dark on the HAT, or look the same as a different colour, at each brightness; each
    warning once."""
    warnings: List[str] = []
    for label, brightness in brightnesses:
        if brightness <= 0:
            continue
        shown: Dict[RGB, List[str]] = {}
        for state, rgb in colours.items():
            levels = wire(rgb, brightness)
            if levels == (0, 0, 0):
                dark = f"palette.{state}: {_hex(rgb)} is dark on the HAT (the same as an unused pixel)"
                if dark not in warnings:
                    warnings.append(dark)
                continue
            shown.setdefault(levels, []).append(state)
        for levels, states in shown.items():
            distinct = {colours[s] for s in states}
            if len(distinct) > 1:
                for a, b in itertools.combinations(states, 2):
                    if colours[a] != colours[b]:
                        warnings.append(f"palette.{a} ({_hex(colours[a])}) and {b} ({_hex(colours[b])}) look the "
                                        f"same on the HAT at {label}brightness {brightness:g}")
    return warnings


def _hex(rgb: RGB) -> str:
    return "#%02x%02x%02x" % tuple(rgb)


def luminance(rgb: RGB) -> float:
    """The relative luminance of an sRGB colour (WCAG 2: 0 for black, 1 for white)."""
    return 0.2126 * _lin(rgb[0]) + 0.7152 * _lin(rgb[1]) + 0.0722 * _lin(rgb[2])


def contrast(a: RGB, b: RGB) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)))
    return (lb + 0.05) / (la + 0.05)



def _lin(c: int) -> float:
    v = c / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _enc(v: float) -> int:
    v = min(max(v, 0.0), 1.0)
    return round(255 * (v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055))


def lifted(rgb: RGB, floor: float, knee: float) -> RGB:
    """A lit LED's screen colour with its relative luminance L mapped from [0, knee] onto [floor, knee] (above
    the knee unchanged), hue kept where it can be: a screen cannot show how a dim LED glows in a room, and
    below `floor` a lit LED would read as an unlit one. Black (unlit) stays black; dimmer stays dimmer."""
    now = luminance(rgb)
    if rgb == (0, 0, 0) or now >= knee:
        return rgb
    want = floor + (knee - floor) * now / knee
    channels = [min(1.0, _lin(c) * want / now) if now > 0 else 0.0 for c in rgb]
    got = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    if got < want:   # a channel is full: the rest of the way toward white
        s = (want - got) / (1 - got)
        channels = [c + s * (1 - c) for c in channels]
    return (_enc(channels[0]), _enc(channels[1]), _enc(channels[2]))
