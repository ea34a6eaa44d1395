"""npm.py — the npm packages (make npm-packages, design.md §9), the pattern of esbuild and
biome: usage-report (the Node helper) lists one package per platform as optional
dependencies; each (@usage-report/linux-x64, @usage-report/linux-arm64, and
@usage-report/win32-x64 from make dist-windows) carries the executables of its platform and says which with its os and cpu fields, so that npm installs
only the one that runs there. Writes BUILDDIR/dist/npm/*.tgz, as npm pack names them.

    python3 pack/npm.py SRCDIR BUILDDIR
"""
import io
import json
import os
import sys
import tarfile

# folder under dist/ -> (os, cpu, executable suffix, folder of the Node helper's native starter)
PLATFORMS = {"static/x86_64": ("linux", "x64", "", "node/x86_64"), "static/aarch64": ("linux", "arm64", "", "node/aarch64"),
             "windows": ("win32", "x64", ".exe", None)}
ADDON = "usage-report.node"  # node/addon.c, by make dist-addons
MTIME = 499162500  # npm pack's fixed time (1985-10-26): the same files make the same tarball


def add(tar, name, data, mode=0o644):
    entry = tarfile.TarInfo("package/" + name)
    entry.size, entry.mode, entry.mtime = len(data), mode, MTIME
    tar.addfile(entry, io.BytesIO(data))


def write(out, tarball, files):
    with tarfile.open(os.path.join(out, tarball), "w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in files:
            add(tar, name, data, mode)
    print("npm-packages: dist/npm/" + tarball)


def main():
    srcdir, builddir = sys.argv[1:3]
    node = os.path.join(srcdir, "node")
    manifest = json.load(open(os.path.join(node, "package.json")))
    version = manifest["version"]
    out = os.path.join(builddir, "dist", "npm")
    os.makedirs(out, exist_ok=True)
    optional = {}
    for where, (system, cpu, suffix, addon_folder) in PLATFORMS.items():
        folder = os.path.join(builddir, "dist", where)
        if not os.path.isfile(os.path.join(folder, "usage-report-sender" + suffix)):
            continue
        name = "@usage-report/%s-%s" % (system, cpu)
        optional[name] = version
        package = {"name": name, "version": version,
                   "description": "The usage-report executables for %s %s (used by the usage-report package)" % (system, cpu),
                   "os": [system], "cpu": [cpu], "files": ["bin/"] + (["lib/"] if addon_folder else []), "license": manifest["license"],
                   "preferUnplugged": True}
        files = [("package.json", (json.dumps(package, indent=2) + "\n").encode(), 0o644)]
        for program in ("usage-report" + suffix, "usage-report-sender" + suffix):
            files.append(("bin/" + program, open(os.path.join(folder, program), "rb").read(), 0o755))
        if addon_folder:
            addon = os.path.join(builddir, "dist", addon_folder, ADDON)
            if not os.path.isfile(addon):
                sys.exit("npm-packages: no %s for %s-%s (make dist-addons)" % (ADDON, system, cpu))
            files.append(("lib/" + ADDON, open(addon, "rb").read(), 0o755))
        write(out, "usage-report-%s-%s-%s.tgz" % (system, cpu, version), files)
    if not optional:
        sys.exit("npm-packages: no static executables in dist/static (make dist-static)")
    manifest["optionalDependencies"] = optional
    for key in ("devDependencies", "scripts"):
        manifest.pop(key, None)
    files = [("package.json", (json.dumps(manifest, indent=2) + "\n").encode(), 0o644)]
    files += [(f, open(os.path.join(node, f), "rb").read(), 0o644) for f in manifest["files"]]
    write(out, "usage-report-%s.tgz" % version, files)


if __name__ == "__main__":
    main()
