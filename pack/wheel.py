"""wheel.py — the platform wheels (make wheel, design.md §9): for each architecture built by
make dist-static, a wheel of the Python helper carrying that architecture's static
executables, tagged for every Linux of it (glibc from 2.17 and musl from 1.1: the
executables need neither); and win_amd64, carrying make dist-windows' executables.

    python3 pack/wheel.py SRCDIR BUILDDIR
"""
import os
import sys

TAGS = {"x86_64": "manylinux_2_17_x86_64.musllinux_1_1_x86_64",
        "aarch64": "manylinux_2_17_aarch64.musllinux_1_1_aarch64"}


def main():
    srcdir, builddir = sys.argv[1:3]
    sys.path.insert(0, os.path.join(srcdir, "python", "build_backend"))
    import backend
    static = os.path.join(builddir, "dist", "static")
    out = os.path.join(builddir, "dist")
    built = 0
    for arch, tags in TAGS.items():
        if os.path.isfile(os.path.join(static, arch, "usage-report-sender")):
            print("wheel: dist/" + backend.build_platform_wheel(out, os.path.join(static, arch), tags))
            built += 1
    windows = os.path.join(builddir, "dist", "windows")
    if os.path.isfile(os.path.join(windows, "usage-report-sender.exe")):
        print("wheel: dist/" + backend.build_platform_wheel(out, windows, "win_amd64", ".exe"))
    if not built:
        sys.exit("wheel: no static executables in dist/static (make dist-static)")


if __name__ == "__main__":
    main()
