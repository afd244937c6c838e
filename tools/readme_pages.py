"""Make the README's picture of two report pages: render an example's QBR, take two pages as
PNG (poppler's `pdftoppm`, Debian package poppler-utils) and put them side by side.

Run:  python tools/readme_pages.py [--example support_copilot] [--pages 2 4]
Writes docs/report-pages.png.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", default="support_copilot")
    parser.add_argument("--pages", type=int, nargs=2, default=(2, 4))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report-pages.png")
    args = parser.parse_args()
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "qbr.pdf"
        subprocess.run([sys.executable, "-m", "valueproof", "report",
                        str(ROOT / "examples" / args.example / "experiment.yaml"), "-o", str(pdf)],
                       check=True, stdout=subprocess.DEVNULL)
        images = []
        for page in args.pages:
            stem = Path(folder) / f"page{page}"
            subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", str(page), "-l", str(page),
                            "-singlefile", str(pdf), str(stem)], check=True)
            images.append(Image.open(f"{stem}.png").convert("RGB"))
        gap = 16
        width = sum(i.width for i in images) + gap * (len(images) + 1)
        height = max(i.height for i in images) + 2 * gap
        sheet = Image.new("RGB", (width, height), (228, 231, 235))
        x = gap
        for image in images:
            sheet.paste(image, (x, gap))
            x += image.width + gap
        args.out.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
