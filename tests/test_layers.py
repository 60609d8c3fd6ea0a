"""The house's shape: no import circle, and no arrow back up (tests/layers.py reads the imports)."""

from __future__ import annotations

from tests import layers


def test_every_room_is_placed():
    rooms = {layers.room(m) for m in layers.modules() if m != "statusboard"}
    assert rooms == set(layers.ROOMS), f"place these in layers.ROOMS: {rooms ^ set(layers.ROOMS)}"


def test_no_room_imports_a_room_above_it():
    order = layers.ROOMS.index
    upward = sorted((a, b) for a, targets in layers.room_graph().items() for b in targets if order(b) > order(a))
    assert upward == []


def test_no_import_circle_between_modules():
    assert layers.circles(layers.imports()) == []


def test_config_sits_at_the_bottom_and_knows_no_kind():
    graph = layers.room_graph()
    # display/ sits below config: each display module declares its boards, and config reads the registry of
    # them (display/registry.py); a display knows nothing of config, kinds or the board's state.
    assert graph["config"] <= {"text", "errors", "readfile", "vocabulary", "model", "display"}
    assert graph["display"] <= {"text", "errors", "vocabulary"}


def test_a_kind_imports_no_other_kind():
    # What kinds share lives beside them in kinds/shared/; a kind imports that and kinds/kind.py (the contract),
    # never another kind, so each kind can be read, changed or removed alone.
    from statusboard.kinds import MODULES
    kinds = {f"statusboard.kinds.{name}" for name in MODULES}
    leaning = sorted((a, b) for a, targets in layers.imports().items() if a in kinds for b in targets if b in kinds)
    assert leaning == []


def test_beside_the_kinds_only_the_contract_and_what_they_share():
    # A module in kinds/ is a registered kind, the contract (kind.py) or the registry; anything several kinds
    # use is named as shared by living in kinds/shared/.
    from statusboard.kinds import MODULES
    allowed = {f"statusboard.kinds.{name}" for name in (*MODULES, "kind")} | {"statusboard.kinds"}
    loose = sorted(m for m in layers.modules() if m.startswith("statusboard.kinds") and m not in allowed
                   and not m.startswith("statusboard.kinds.shared"))
    assert loose == []
