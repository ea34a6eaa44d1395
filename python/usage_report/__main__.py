"""python -m usage_report ARGS — run usage-report(1) with ARGS: the executable this package
carries (a platform wheel), else the one on PATH. With neither, say so and exit 127, as a
shell does for a command it cannot find."""
import os
import subprocess
import sys

from . import _binary


def main() -> int:
    binary = _binary()
    if binary is None:
        sys.stderr.write("usage-report: this package carries no executable for this platform, and none is on PATH\n")
        return 127
    if os.name == "nt":
        # Windows' execv starts a new process and ends this one at once: the caller would
        # see this one's status, not usage-report's
        return subprocess.call([binary] + sys.argv[1:])
    os.execv(binary, [binary] + sys.argv[1:])
    return 127  # not reached: execv returns only by raising


if __name__ == "__main__":
    sys.exit(main())
