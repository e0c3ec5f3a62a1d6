"""The Troubleshoot tab's work: the diagnostics report, the support bundle and the store verification.

Everything slow runs off the GUI thread through :meth:`gui.tasks.BackendTasks.run`:
``backend.diagnostics.gather_report`` (reads both stores from disk, asks the engine, checks the
known issues), ``write_bundle`` (a zip, written atomically) and ``backend.verify.verify_engine``
(stores and removes a tiny image). The report is gathered when the page is first shown and again
when the engine changed (a switch, a restart, another target) and the page is shown; it is passed
through :class:`backend.redact.Redactor` before it is shown, copied or bundled, as the CLI does.

Where the bundle goes is asked through ``gui.confirm.choose_save_path`` (looked up at call time,
so tests and QA replace it and no file dialog ever blocks them).
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWidgets import QApplication, QWidget

from backend.errors import StoreswitchError
from gui import confirm
from gui.pages.troubleshoot import TroubleshootPage
from gui.tasks import BackendTasks, describe_error, throttled
from gui.widgets import link


def default_bundle_path(now: float | None = None) -> Path:
    """``~/Downloads/storeswitch-diagnostics-YYYYmmdd-HHMMSS.zip`` (the home folder without Downloads)."""
    folder = Path.home() / "Downloads"
    if not folder.is_dir():
        folder = Path.home()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return folder / f"storeswitch-diagnostics-{stamp}.zip"


def _gather(target: Any, profile: Any, progress) -> dict[str, Any]:
    from backend.diagnostics import gather_report
    from backend.redact import Redactor

    return Redactor().redact_json(gather_report(target, profile, None, throttled(progress)))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


class DiagnosticsPanel(QObject):
    reportGathered = Signal(object)
    """The diagnostics report was gathered (the redacted report dict)."""
    bundleWritten = Signal(object)
    """A support bundle was written (``write_bundle``'s answer: path, files, missing)."""
    storeVerified = Signal(object)
    """The store verification finished (a ``backend.verify.VerifyReport``)."""

    def __init__(self, page: TroubleshootPage, tasks: BackendTasks, parent: QWidget) -> None:
        super().__init__(parent)
        self.page, self.tasks, self.window = page, tasks, parent
        self.report: dict[str, Any] | None = None
        self.stale = True
        self.gathering = False
        self.exporting = False
        self.verifying = False
        page.reportRequested.connect(self.gather)
        page.copyRequested.connect(self.copy)
        page.exportRequested.connect(self.export)
        page.verifyRequested.connect(self.verify)

    # --- the report ---------------------------------------------------------------------
    def want_report(self) -> None:
        """The page is shown: gather the report if there is none or the engine changed since."""
        if self.stale and not self.gathering:
            self.gather()

    def mark_stale(self) -> None:
        self.stale = True
        self.page.report_stale()

    def forget(self) -> None:
        """Another target: the report was about the old one."""
        self.report, self.stale, self.gathering = None, True, False
        self.page.clear_report()

    def gather(self) -> None:
        if self.gathering:
            return
        self.gathering = True
        self.stale = False
        target, profile = self.tasks.target, self.tasks.profile
        self.page.report_gathering("Gathering the report…")
        self.tasks.run(lambda progress: _gather(target, profile, progress), self.tasks.current(self._gathered),
                       self._gather_failed, on_progress=lambda _stage, sentence: self.gathering and self.page.report_gathering(sentence))

    def _gathered(self, report: dict[str, Any]) -> None:
        from backend.diagnostics import describe_report

        self.gathering = False
        self.report = report
        self.page.report_gathered("\n".join(describe_report(report)), time.strftime("%H:%M:%S"))
        self.reportGathered.emit(report)

    def _gather_failed(self, exc: BaseException) -> None:
        self.gathering = False
        self.stale = True
        self.page.report_failed(_capital(describe_error(exc)))

    def copy(self) -> None:
        text = self.page.report.toPlainText()
        if not text:
            return
        QApplication.clipboard().setText(text)
        self.page.report_copied(text.count("\n") + 1)

    # --- the bundle ---------------------------------------------------------------------
    def export(self) -> None:
        if self.exporting:
            return
        row = self.page.export
        path = confirm.choose_save_path(self.window, "Export a support bundle", default_bundle_path())
        if path is None:
            row.show_result("info", "Nothing was exported: you cancelled.")
            return
        self.exporting = True
        row.set_running(f"Writing {path.name}…", "Exporting…")
        target, profile, report = self.tasks.target, self.tasks.profile, None if self.stale else self.report

        def job(progress) -> dict[str, Any]:
            from backend.diagnostics import write_bundle

            data = report if report is not None else _gather(target, profile, progress)
            try:
                return write_bundle(path, data, target, profile)
            except OSError as exc:
                raise StoreswitchError(
                    f"could not write {path} ({exc.strerror or exc}); choose a folder you can write to"
                ) from exc

        self.tasks.run(job, self._written, self._export_failed,
                       on_progress=lambda _stage, sentence: self.exporting and row.show_result("busy", sentence))

    def _written(self, bundle: dict[str, Any]) -> None:
        self.exporting = False
        path = Path(bundle["path"])
        missing = bundle.get("missing") or {}
        detail = f"{len(bundle['files'])} files, secrets removed, in {path.parent}."
        if missing:
            detail += f" Not included: {', '.join(sorted(missing))} (see MANIFEST.json)."
        folder = link(QUrl.fromLocalFile(str(path.parent)).toString(), "Open folder")
        self.page.export.finish("ok", f"Saved {path.name}", detail, "Export bundle…", extra_html=f"<br>{folder}")
        self.page.export.result.setToolTip(str(path))
        self.bundleWritten.emit(bundle)

    def _export_failed(self, exc: BaseException) -> None:
        self.exporting = False
        self.page.export.finish("error", "The bundle was not written.", _capital(describe_error(exc)), "Export bundle…")

    # --- verify by use --------------------------------------------------------------------
    def verify(self) -> None:
        if self.verifying:
            return
        self.verifying = True
        row = self.page.verify
        row.set_running("Storing and removing a test image…", "Verifying…")
        target = self.tasks.target

        def job(_progress):
            from backend.verify import verify_engine

            return verify_engine(target)

        self.tasks.run(job, self._verified, self._verify_failed)

    def _verified(self, report: Any) -> None:
        self.verifying = False
        row = self.page.verify
        if report.ok:
            took = f"{report.seconds * 1000:.0f} ms" if report.seconds < 1 else f"{report.seconds:.1f} s"
            row.finish("ok", f"The {report.store_phrase} works.", f"A test image was stored and removed in {took}.", "Verify")
        elif report.stage == "engine":
            row.finish("error", "The engine could not be checked.", _capital(report.message), "Verify")
        else:
            quote = ""
            if report.engine_message:
                quote = ("<br><span style='font-family: monospace'>"
                         f"The engine said: {html.escape(report.engine_message, quote=False)}</span>")
            row.finish("error", f"The {report.store_phrase} does not work.", _capital(report.message), "Verify", extra_html=quote)
        self.storeVerified.emit(report)

    def _verify_failed(self, exc: BaseException) -> None:
        self.verifying = False
        self.page.verify.finish("error", "The store could not be verified.", _capital(describe_error(exc)), "Verify")
