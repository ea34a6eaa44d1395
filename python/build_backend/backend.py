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


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version = _project()[:2]
    wheel_name = "%s-%s-py3-none-any.whl" % (name.replace("-", "_"), version)
    info = _dist_info()
    files = []
    for base, _, names in os.walk(os.path.join(ROOT, PACKAGE)):
        for n in sorted(names):
            if n.endswith((".py", ".pyi", ".typed")):
                path = os.path.join(base, n)
                files.append((os.path.relpath(path, ROOT), open(path, "rb").read()))
    files.append((info + "/METADATA", _metadata().encode()))
    files.append((info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: usage-report backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
    record = io.StringIO()
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as whl:
        for arcname, data in files:
            whl.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.write("%s,sha256=%s,%d\n" % (arcname, digest, len(data)))
        record.write("%s/RECORD,,\n" % info)
        whl.writestr(info + "/RECORD", record.getvalue())
    return wheel_name


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
