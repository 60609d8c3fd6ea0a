"""MQTT: a board's target states out to a broker (with Home Assistant discovery), and pixels fed from it."""
