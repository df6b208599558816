"""Exact numbers: the one entry for user values (:mod:`.rationals`: floats convert exactly,
decimal strings parse exactly, long integers beyond Python's int/str limit) and the exact LP
adapter, the only module that talks to cddlib (:mod:`.lp`)."""
