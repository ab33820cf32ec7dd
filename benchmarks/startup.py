"""Cold start to first painted window, and idle RSS (targets: <= 0.8 s, <= 250 MB).

Each run is a fresh process (cold for Python, warm for the OS file cache, like a second launch).
Baseline in the same run: a bare QApplication showing one QLabel, so the ratio is Assist's own cost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from _common import ROOT, median, private_dirs

PROBE = r"""
import os, sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([sys.argv[0]])
class Painted(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and not hasattr(app, "_first"):
            app._first = time.time() - t0
            if sys.argv[2] == "bare":
                QTimer.singleShot(2000, app.quit)  # idle a moment, then read RSS
        return False
watch = Painted()
if sys.argv[2] == "bare":
    w = QLabel("hello")
else:
    sys.path.insert(0, sys.argv[3])
    import asyncio, qasync
    from assist.paths import Paths
    from assist.secrets import SecretStore
    from assist.workspace import build_session
    from assist.settings import load_settings
    from ui.main_window import MainWindow
    loop = qasync.QEventLoop(app); asyncio.set_event_loop(loop)
    paths = Paths.default(); settings, _ = load_settings(paths.config_file)
    w = MainWindow(build_session(paths, settings, SecretStore()))
w.installEventFilter(watch)
w.show()
if sys.argv[2] != "bare":
    w.start()
    with loop:
        loop.run_until_complete(asyncio.sleep(2.6))
else:
    app.exec()
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
print(f"{app._first:.4f} {rss:.1f}")
"""


def run(kind: str) -> tuple[float, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(time.time()), kind, str(ROOT)], env=env,
                         capture_output=True, text=True, timeout=120)
    parts = out.stdout.split()
    if len(parts) < 2:
        raise SystemExit(f"probe failed ({kind}): {out.stderr[-1500:]}")
    first, rss = parts[-2:]
    return float(first), float(rss)


def entry_point() -> tuple[float, float]:
    """The real ``assist`` console script, timed from before the process starts to the first ticket
    painted with its offline draft (ui/app.py's ASSIST_PROBE_T0 probe); then idle RSS."""
    exe = ROOT / ".venv" / "bin" / "assist"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ASSIST_PROBE_T0": str(time.time())}
    out = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=120)
    line = next((x for x in out.stdout.splitlines() if x.startswith("probe ")), "")
    if not line:
        raise SystemExit(f"entry-point probe failed: {out.stderr[-1500:]}")
    _, first, rss = line.split()
    return float(first), float(rss)


def main() -> None:
    private_dirs()
    run("assist")  # first launch seeds the demo workspace; measure the launches after it
    bare = [run("bare") for _ in range(5)]
    assist = [run("assist") for _ in range(5)]
    entry = [entry_point() for _ in range(5)]
    b_first, e_first = median([b[0] for b in bare]), median([e[0] for e in entry])
    print(f"first ticket painted with its draft, real entry point: {e_first * 1000:.0f} ms (median of 5), "
          f"{e_first / b_first:.1f}x a bare Qt window ({b_first * 1000:.0f} ms)   target <= 500 ms and <= 4.5x: "
          f"{'met' if e_first <= 0.5 and e_first / b_first <= 4.5 else 'NOT met'}")
    b_first, a_first = median([b[0] for b in bare]), median([a[0] for a in assist])
    b_rss, a_rss = median([b[1] for b in bare]), median([a[1] for a in assist])
    print(f"first paint: Assist {a_first * 1000:.0f} ms (median of 5), bare Qt window {b_first * 1000:.0f} ms, "
          f"ratio {a_first / b_first:.1f}x   target <= 800 ms: {'met' if a_first <= 0.8 else 'NOT met'}")
    print(f"idle RSS: Assist {a_rss:.0f} MB, bare Qt window {b_rss:.0f} MB, ratio {a_rss / b_rss:.1f}x   "
          f"target <= 250 MB: {'met' if a_rss <= 250 else 'NOT met'}")


if __name__ == "__main__":
    main()
