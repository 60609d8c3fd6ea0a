"""Displays: one small interface (shape, show, close) with a real HAT, a terminal and a fake behind it."""
