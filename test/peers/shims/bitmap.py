# Stand-in for PyPI's `bitmap` (BitMap.fromstring / nonzero), the one module
# tini's run_inner_tests.py needs that Debian does not package. It only reads
# the SigBlk/SigIgn/SigCgt masks of /proc/<pid>/status.
class BitMap:
    def __init__(self, bits):
        self._bits = bits  # string of '0'/'1', most significant first

    @classmethod
    def fromstring(cls, s):
        return cls(s)

    def nonzero(self):
        n = len(self._bits)
        return [n - 1 - i for i, c in enumerate(self._bits) if c == '1']
