"""The central loyalty service: seed 002's Card Service for every pharmacy of a chain.

`create_app(database)` is the FastAPI application; `pos-loyalty central serve` runs it
under uvicorn. It computes with the till's own rules (`pos_loyalty.rules`), never a copy.
"""
