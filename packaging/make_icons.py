"""Render packaging/icons/assist.svg to the PNG sizes desktops ask for (run once when the SVG changes)."""

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).parent / "icons"

app = QGuiApplication(sys.argv[:1] + ["-platform", "offscreen"])
renderer = QSvgRenderer(str(HERE / "assist.svg"))
for size in (16, 32, 48, 64, 128, 256):
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    image.save(str(HERE / f"assist-{size}.png"))
print("icons written to", HERE)
