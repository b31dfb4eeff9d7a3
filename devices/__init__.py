"""Scanners in, barcodes out: the till's devices, built on the core (`pos_loyalty`)."""
