"""Sequential ids that skip ids already taken (explicit node_id / node_type_id / edge_type_id)."""

import numpy as np


class IDGenerator:
    def __init__(self, init_val=0):
        self._counter = init_val
        self._taken = set()

    def remove_id(self, gid):
        if not isinstance(gid, (int, np.integer)) or isinstance(gid, bool):
            raise TypeError("ids must be integers, got {!r}".format(gid))
        self._taken.add(int(gid))

    def next(self):
        while self._counter in self._taken:
            self._counter += 1
        gid = self._counter
        self._taken.add(gid)
        self._counter += 1
        return gid

    def get_ids(self, size):
        return [self.next() for _ in range(size)]

    def __contains__(self, gid):
        return gid in self._taken

    def __call__(self, *args, **kwargs):
        if not args and not kwargs:
            return self.next()
        if len(args) == 1:
            return self.get_ids(size=args[0])
        if "N" in kwargs:
            return self.get_ids(size=kwargs["N"])
        raise ValueError("Unknown input to id_generator(): {}".format(kwargs))
