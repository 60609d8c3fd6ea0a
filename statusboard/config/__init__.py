"""config.yaml, read and checked: the bottom of the house, importing nothing above it."""

from statusboard.config.aws import AwsSettings
from statusboard.config.board import Board, Kinds, KindRules, default_config_path, load, parse, read
from statusboard.config.states import states_of

__all__ = ["AwsSettings", "Board", "KindRules", "Kinds", "default_config_path", "load", "parse", "read",
           "states_of"]
