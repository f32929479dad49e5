"""The ``leap-storage`` command line."""
