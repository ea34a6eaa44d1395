"""backend.py — a PEP 517 build backend for this one pure-Python package, from the standard
library alone, so that `pip install ./python` needs no download (no setuptools, no network).

It builds the wheel (and an sdist) of the usage_report package as pyproject.toml names it.
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "usage_report"


def _project():
    text = open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    section = text.split("[project]", 1)[1]
    fields = dict(re.findall(r'^(\w[\w-]*) = "(.*)"$', section, re.M))
    return fields["name"], fields["version"], fields.get("description", ""), fields.get("requires-python", "")


def _metadata():
    name, version, summary, python = _project()
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nRequires-Python: %s\n"
            "Description-Content-Type: text/markdown\n\n%s" % (name, version, summary, python, readme))


def _dist_info():
    name, version = _project()[:2]
    return "%s-%s.dist-info" % (name.replace("-", "_"), version)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def _package_files():
    files = []
    for base, _, names in os.walk(os.path.join(ROOT, PACKAGE)):
        for n in sorted(names):
            if n.endswith((".py", ".pyi", ".typed")):
                path = os.path.join(base, n)
                files.append((os.path.relpath(path, ROOT), open(path, "rb").read(), 0o644))
    return files


def _write_wheel(wheel_directory, tags, files, purelib):
    """A wheel of files ((archive name, bytes, mode) each) tagged with every tag of tags."""
    name, version = _project()[:2]
    wheel_name = "%s-%s-%s.whl" % (name.replace("-", "_"), version, tags)
    info = _dist_info()
    python, abi, platforms = tags.split("-")
    wheel = "Wheel-Version: 1.0\nGenerator: usage-report backend\nRoot-Is-Purelib: %s\n" % ("true" if purelib else "false")
    wheel += "".join("Tag: %s-%s-%s\n" % (python, abi, p) for p in platforms.split("."))
    files = files + [(info + "/METADATA", _metadata().encode(), 0o644), (info + "/WHEEL", wheel.encode(), 0o644)]
    record = io.StringIO()
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as whl:
        for arcname, data, mode in files:
            entry = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = (0o100000 | mode) << 16  # pip keeps the executable bit
            entry.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(entry, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.write("%s,sha256=%s,%d\n" % (arcname, digest, len(data)))
        record.write("%s/RECORD,,\n" % info)
        whl.writestr(zipfile.ZipInfo(info + "/RECORD", date_time=(1980, 1, 1, 0, 0, 0)), record.getvalue())
    return wheel_name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    """The pure wheel (pip install ./python): the helper alone, using a usage-report on PATH."""
    return _write_wheel(wheel_directory, "py3-none-any", _package_files(), purelib=True)


def build_platform_wheel(wheel_directory, executables, platform_tags, suffix=""):
    """A platform wheel (make wheel): the helper and the static executables of one
    architecture (the folder executables; suffix ".exe" for Windows'), in usage_report/bin/
    where the helper looks."""
    files = _package_files()
    for program in ("usage-report" + suffix, "usage-report-sender" + suffix):
        files.append((PACKAGE + "/bin/" + program, open(os.path.join(executables, program), "rb").read(), 0o755))
    return _write_wheel(wheel_directory, "py3-none-" + platform_tags, files, purelib=False)


def build_sdist(sdist_directory, config_settings=None):
    name, version = _project()[:2]
    base = "%s-%s" % (name.replace("-", "_"), version)
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as tar:
        for entry in ("pyproject.toml", "README.md", "build_backend", PACKAGE):
            tar.add(os.path.join(ROOT, entry), arcname=base + "/" + entry,
                    filter=lambda t: None if "__pycache__" in t.name else t)
        info = tarfile.TarInfo(base + "/PKG-INFO")
        data = _metadata().encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return base + ".tar.gz"
