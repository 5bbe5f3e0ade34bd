"""The editor's dark theme: a style sheet scoped to the editor widget, and an app palette.

The style sheet is set on :class:`~moks_graph.editor.widget.EditorWidget` only,
so embedding the editor in Maya or Blender never restyles the host. The
standalone app also installs the Fusion style and :func:`dark_palette`.
"""

from __future__ import annotations

from moks_graph.editor.qtcompat import QtGui, QtWidgets

BG = "#1d1f23"
PANEL = "#23262b"
RAISED = "#2b2f35"
BORDER = "#363b42"
TEXT = "#d7dae0"
DIM = "#8b929c"
ACCENT = "#e0a43a"
ERROR = "#ff6b6b"

STYLE_SHEET = f"""
QWidget {{ color: {TEXT}; font-size: 9pt; }}
QWidget#editorRoot, QSplitter, QScrollArea, QWidget#propertiesBody {{ background: {PANEL}; }}
QSplitter::handle {{ background: {BG}; }}
QSplitter::handle:horizontal {{ width: 3px; }}
QSplitter::handle:vertical {{ height: 3px; }}
QLabel#panelTitle, QLabel#viewerTitle {{ color: {DIM}; font-weight: bold; letter-spacing: 1px;
  padding: 2px 2px; }}
QLabel#propertiesTitle {{ font-size: 12pt; font-weight: bold; color: #ffffff; }}
QLabel#dim {{ color: {DIM}; }}
QLabel#docText {{ color: #b4b9c2; }}
QLabel#problemText {{ color: {ERROR}; }}
QLabel#statusLine {{ color: {DIM}; padding: 2px 8px; background: {BG}; }}
QFrame#separator {{ color: {BORDER}; }}
QLineEdit, QAbstractSpinBox, QComboBox, QPlainTextEdit, QTextBrowser {{
  background: {BG}; border: 1px solid {BORDER}; border-radius: 3px; padding: 2px 4px;
  selection-background-color: {ACCENT}; selection-color: #000; }}
QLineEdit:focus, QAbstractSpinBox:focus, QComboBox:focus {{ border-color: {ACCENT}; }}
QComboBox QAbstractItemView {{ background: {RAISED}; border: 1px solid {BORDER}; }}
QTreeWidget, QListWidget, QTreeView {{ background: {BG}; border: 1px solid {BORDER};
  border-radius: 3px; alternate-background-color: #202328; }}
QTreeWidget::item, QListWidget::item {{ padding: 2px 2px; }}
QTreeWidget::item:selected, QListWidget::item:selected {{ background: #3a3f47; color: #fff; }}
QHeaderView::section {{ background: {RAISED}; color: {DIM}; border: none;
  border-right: 1px solid {BORDER}; padding: 3px 6px; }}
QPushButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 3px;
  padding: 3px 10px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #5c626b; }}
QCheckBox::indicator {{ width: 13px; height: 13px; border: 1px solid {BORDER};
  border-radius: 2px; background: {BG}; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: #8a6a2c; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {ACCENT}; width: 10px; margin: -5px 0;
  border-radius: 5px; }}
QTabWidget::pane {{ border: none; background: {PANEL}; }}
QTabBar::tab {{ background: {BG}; color: {DIM}; padding: 4px 14px; border: none; }}
QTabBar::tab:selected {{ background: {PANEL}; color: {TEXT};
  border-bottom: 2px solid {ACCENT}; }}
QScrollBar:vertical {{ background: {BG}; width: 10px; }}
QScrollBar::handle:vertical {{ background: {BORDER}; border-radius: 4px; min-height: 20px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; width: 0; }}
QToolTip {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; }}
QFrame#nodeSearchPopup {{ background: {RAISED}; border: 1px solid {ACCENT};
  border-radius: 4px; }}
QProgressBar {{ background: {BG}; border: 1px solid {BORDER}; border-radius: 3px;
  text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
"""


def dark_palette() -> QtGui.QPalette:
    """A dark application palette matching :data:`STYLE_SHEET` (menus, dialogs, title bar)."""
    pal = QtGui.QPalette()
    roles = QtGui.QPalette.ColorRole
    for role, color in (
        (roles.Window, PANEL), (roles.WindowText, TEXT), (roles.Base, BG),
        (roles.AlternateBase, RAISED), (roles.ToolTipBase, RAISED), (roles.ToolTipText, TEXT),
        (roles.Text, TEXT), (roles.Button, RAISED), (roles.ButtonText, TEXT),
        (roles.BrightText, "#ffffff"), (roles.Highlight, ACCENT), (roles.HighlightedText, "#000"),
        (roles.PlaceholderText, DIM), (roles.Link, ACCENT),
    ):
        pal.setColor(role, QtGui.QColor(color))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, roles.Text, QtGui.QColor("#5c626b"))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, roles.ButtonText, QtGui.QColor("#5c626b"))
    return pal


def apply_app_theme(app: QtWidgets.QApplication) -> None:
    """Fusion + dark palette + a readable default font for the standalone app."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    font = app.font()
    font.setFamily("DejaVu Sans")
    font.setPointSizeF(9.0)
    app.setFont(font)
    app.setStyleSheet(f"QMenuBar {{ background: {BG}; color: {TEXT}; }} "
                      f"QMenuBar::item:selected {{ background: {RAISED}; }} "
                      f"QMenu {{ background: {RAISED}; color: {TEXT}; "
                      f"border: 1px solid {BORDER}; }} "
                      f"QMenu::item:selected {{ background: {ACCENT}; color: #000; }} "
                      f"QStatusBar {{ background: {BG}; color: {DIM}; }} "
                      f"QDockWidget::title {{ background: {BG}; color: {DIM}; padding: 4px; }}")
