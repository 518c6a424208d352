"""The AS2 peer's own virtualenv: created once, reused while its requirements stay the same.

pyas2lib and django-pyas2 are GPL: they are installed here, never in the project's venv, and run
only as separate processes. The venv lives in `<repo>/.cache/as2peer-venv`, stamped with a hash of
the pinned requirements, the oscrypto patch and the Python version; a changed hash rebuilds it.

    python = peer_python()   # Path of the venv's python; raises PeerUnavailable without PyPI
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEER_FILES = Path(__file__).resolve().parent / "as2peer"
REQUIREMENTS = PEER_FILES / "requirements.txt"
VENV = ROOT / ".cache" / "as2peer-venv"
SMOKE = "import django, gunicorn, pyas2, pyas2lib; print(pyas2lib.__version__)"


class PeerUnavailable(RuntimeError):
    """The peer cannot run here (its requirements could not be installed, or no openssl)."""


def peer_python(venv_dir: Path = VENV) -> Path:
    """The python of the peer's venv, created or rebuilt first when its stamp is stale."""
    python = venv_dir / "bin" / "python"
    stamp = venv_dir / ".installed"
    digest = _digest()
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(venv_dir.parent / f"{venv_dir.name}.lock"):
        if not (python.exists() and stamp.is_file() and stamp.read_text() == digest):
            _build(venv_dir)
            stamp.write_text(digest)
    return python


def _digest() -> str:
    digest = hashlib.sha256()
    for part in (
        REQUIREMENTS.read_bytes(),
        (PEER_FILES / "patch_oscrypto.py").read_bytes(),
        sys.version.encode(),
        sys.base_prefix.encode(),
    ):
        digest.update(part + b"\0")
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so that two sessions never build the same venv at once."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(venv_dir: Path) -> None:
    shutil.rmtree(venv_dir, ignore_errors=True)
    # Our own pip installs into the new venv (--python): no ensurepip run, seconds saved.
    own_pip = importlib.util.find_spec("pip") is not None
    venv.EnvBuilder(with_pip=not own_pip, symlinks=True).create(venv_dir)
    python = venv_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python] if own_pip else [python, "-m", "pip"]
    options = ["--disable-pip-version-check", "-q", "install", "--no-deps", "-r", REQUIREMENTS]
    installed = subprocess.run(
        [str(arg) for arg in (*pip, *options)], capture_output=True, text=True, check=False
    )
    if installed.returncode != 0:
        shutil.rmtree(venv_dir, ignore_errors=True)
        raise PeerUnavailable(
            f"pip could not install the AS2 peer's requirements ({REQUIREMENTS}) into "
            f"{venv_dir}; is PyPI reachable?\n{installed.stderr[-2000:]}"
        )
    _check([python, PEER_FILES / "patch_oscrypto.py"], "patching oscrypto")
    _check([python, "-c", SMOKE], "importing pyas2lib after the oscrypto patch")


def _check(cmd: list[str | Path], what: str) -> None:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"AS2 peer venv: {what} failed:\n{done.stdout}{done.stderr}")
