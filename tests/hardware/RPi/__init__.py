"""The RPi package of the RPi.GPIO stand-in (see GPIO.py)."""
