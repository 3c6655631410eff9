"""Returned values that lie about themselves: the checks must read them by their stored value."""

import numpy as np

CANARY = 7.77777  # what LyingFloat64 claims to be; must never reach a verdict


class AlwaysEqual:
    """Claims to equal anything."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class LyingArray(np.ndarray):
    """An ndarray subclass that claims to equal anything."""

    def __eq__(self, other):
        return True

    __hash__ = None


class LyingFloat64(np.float64):
    def __eq__(self, other):
        return True

    def __float__(self):
        return CANARY

    __hash__ = np.float64.__hash__


class LyingInt(int):
    def __eq__(self, other):
        return True

    def __index__(self):
        return 54

    __hash__ = int.__hash__


class LyingStr(str):
    def __eq__(self, other):
        return True

    def __str__(self):
        return "many-to-one"

    __hash__ = str.__hash__


class LyingDict(dict):
    def __getitem__(self, key):
        return "many-to-one"

    def get(self, key, default=None):
        return "many-to-one"


class LyingTuple(tuple):
    """A tuple subclass whose iteration claims other entries."""

    def __iter__(self):
        return iter((54, 54, 96))


class LyingList(list):
    """A list subclass whose iteration claims other items."""

    def __iter__(self):
        return iter([np.ones(2)])
