"""cairn from Python.

`cairn.checkpoint_reader` reads checkpoints with the standard library and NumPy only, without
the compiled module.
"""
