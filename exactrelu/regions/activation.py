"""The activation state of the ReLU units: one vocabulary for the whole product.

During a walk the state of all ReLU units is a ``bytearray`` with one byte per unit (in
:meth:`~exactrelu.model.network.Network.relu_offset` order); a finished region's pattern is
the same bytes decoded as a ``str`` (``Region.pattern``), and the certificates write that
string. The byte values are the ASCII digits, so the encoding in certificates is
``'1'`` active, ``'0'`` inactive (and ``'*'`` undecided, in the verification prune hooks).
The independent checker (:mod:`exactrelu.checker`) has its own copy of this encoding.

Examples
--------
>>> bits = inactive_bits(3)
>>> bits[1] = ACTIVE
>>> pattern_of(bits), bits[1] == ACTIVE, bits[0] == INACTIVE
('010', True, True)
>>> chr(UNDECIDED)
'*'
"""

from __future__ import annotations

__all__ = ["ACTIVE", "INACTIVE", "UNDECIDED", "ACTIVE_CHAR", "INACTIVE_CHAR", "UNDECIDED_CHAR", "inactive_bits",
           "pattern_of"]

#: the byte of an active unit (pre-activation > 0 on the cell, or >= 0 and decided ``+``)
ACTIVE = ord("1")
#: the byte of an inactive unit (and of a unit not decided yet during a walk)
INACTIVE = ord("0")
#: the byte of a unit left undecided on purpose (the relaxations of :mod:`exactrelu.verify.prune`)
UNDECIDED = ord("*")
#: the same three states as characters of a pattern string
ACTIVE_CHAR, INACTIVE_CHAR, UNDECIDED_CHAR = chr(ACTIVE), chr(INACTIVE), chr(UNDECIDED)


def inactive_bits(n_relu: int) -> bytearray:
    """The activation state with every unit :data:`INACTIVE` (a walk's start).

    Parameters
    ----------
    n_relu : the number of ReLU units

    Returns
    -------
    bytearray

    Examples
    --------
    >>> inactive_bits(2)
    bytearray(b'00')
    """
    return bytearray(bytes((INACTIVE,)) * n_relu)


def pattern_of(bits: "bytes | bytearray") -> str:
    """The pattern string of an activation state (``Region.pattern``, the certificates' form).

    Parameters
    ----------
    bits : the state, one byte per ReLU unit

    Returns
    -------
    str

    Examples
    --------
    >>> pattern_of(bytearray(b"10"))
    '10'
    """
    return bits.decode("ascii")
