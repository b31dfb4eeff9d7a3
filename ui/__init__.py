"""The counter app (PySide6): screens for cashiers and store managers, built on the core's services.

Nothing here computes points: widgets show what `pos_loyalty.services` answer and emit
what the person asked for. Slow work runs off the UI thread (`background.py`); screens
refresh from one "something changed" signal (`changes.py`); every error reaches the
person through one bridge (`messages.py`).
"""
