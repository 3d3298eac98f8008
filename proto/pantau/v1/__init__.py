"""Pantau wire contract, version 1.

The ``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py`` modules beside this file are
generated from the ``.proto`` sources by ``make proto``; never edit them by hand.
"""
