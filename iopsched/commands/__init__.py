"""The command layer: the only code that prints. `cli.py` parses arguments; these run a command end to end."""
