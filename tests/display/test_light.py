"""The shared light model and the palette warnings `statusboard check` gives from it."""

from __future__ import annotations

from statusboard import cli
from statusboard.display import light


def test_every_lit_colour_stays_lit_and_brightness_zero_is_off():
    for brightness in (0.01, 0.05, 0.4, 1.0):
        assert light.wire((1, 1, 1), brightness) == (1, 1, 1)
        assert light.wire((0, 0, 0), brightness) == (0, 0, 0)
    assert light.wire((255, 255, 255), 0.0) == (0, 0, 0)
    assert light.level(255, 1.0) <= round(light.FULL), "never more than the library's own half-power cap"


def test_check_warns_of_a_dark_or_look_alike_palette(tmp_path, capsys):
    config = tmp_path / "board.yaml"
    config.write_text('display: {brightness: 0.4, night: {from: "22:00", to: "07:00", brightness: 0.01}}\n'
                      'palette: {down: "#000000", slow: "#ff0000", stopped: "#fa0000"}\n'
                      'targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n')
    assert cli.main(["check", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "warning: palette.down: #000000 is dark on the HAT" in out
    assert "warning: palette.slow (#ff0000) and stopped (#fa0000) look the same on the HAT at night brightness 0.01" \
        in out
    assert out.count("palette.down") == 1, "one warning per colour, not one per brightness"


def test_the_default_palette_draws_no_warning(tmp_path, capsys):
    config = tmp_path / "board.yaml"
    config.write_text('display: {brightness: 0.4, night: {from: "22:00", to: "07:00", brightness: 0.01}}\n'
                      'targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n')
    assert cli.main(["check", "-c", str(config)]) == 0
    assert "warning" not in capsys.readouterr().out
