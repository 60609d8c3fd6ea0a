"""`statusboard demo`: the board against a small world it starts itself on 127.0.0.1, through the real checks."""
