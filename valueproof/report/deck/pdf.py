"""The deck as PDF: LibreOffice (Impress) converts the .pptx headless, in a private profile and
a temporary folder, with the report's own fonts available (the Arabic ones among them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from valueproof.errors import ReportError

TIMEOUT_SECONDS = 180
NOT_FOUND = ("a PDF of the slides needs LibreOffice (soffice), which was not found; install it "
             "(Debian/Ubuntu: apt-get install libreoffice-impress; macOS: brew install --cask "
             "libreoffice) or write the deck as .pptx")


def soffice() -> str | None:
    """The LibreOffice program: VALUEPROOF_SOFFICE, else soffice or libreoffice on the PATH."""
    named = os.environ.get("VALUEPROOF_SOFFICE")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def _font_config(folder: Path) -> Path:
    """A fontconfig file that adds the report's fonts to the system's."""
    from valueproof.report.context import templates_dir

    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{templates_dir() / 'fonts'}</dir>\n"
        f"  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    return config


def convert(pptx: bytes) -> bytes:
    """The PDF of `pptx` (bytes); ReportError saying what to do when LibreOffice is missing or
    fails."""
    program = soffice()
    if program is None:
        raise ReportError(NOT_FOUND)
    with tempfile.TemporaryDirectory(prefix="valueproof-deck-") as temporary:
        folder = Path(temporary)
        source = folder / "deck.pptx"
        source.write_bytes(pptx)
        environment = dict(os.environ, HOME=str(folder),
                           FONTCONFIG_FILE=str(_font_config(folder)))
        command = [program, "--headless", "--norestore", "--nolockcheck",
                   f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                   "--convert-to", "pdf", "--outdir", str(folder / "out"), str(source)]
        try:
            finished = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS,
                                      env=environment, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ReportError(f"LibreOffice did not convert the deck to PDF within "
                              f"{TIMEOUT_SECONDS} s; try again, or write the deck as "
                              ".pptx") from None
        except OSError as exc:
            raise ReportError(f"LibreOffice ({program}) could not be started: {exc.strerror}; "
                              "check the installation, or write the deck as .pptx") from None
        result = folder / "out" / "deck.pdf"
        if finished.returncode != 0 or not result.is_file():
            detail = (finished.stderr or finished.stdout).decode("utf-8", "replace").strip()
            raise ReportError("LibreOffice could not convert the deck to PDF"
                              + (f" ({detail[-300:]})" if detail else "")
                              + "; write the deck as .pptx instead")
        return result.read_bytes()
