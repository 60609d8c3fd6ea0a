"""statusboard: a Unicorn HAT as a physical status board for EC2 instances, HTTP endpoints and hosts."""

__version__ = "0.1.0"
