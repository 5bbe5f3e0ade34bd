"""Embedding: the host-independent parts of the Maya and Blender recipes, lazy imports."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from moks_graph.editor import embed
from moks_graph.editor.qtcompat import QtWidgets


def test_attach_editor_into_a_plain_container(qtbot, demo_path):
    container = QtWidgets.QWidget()  # what shiboken6.wrapInstance gives for a Maya control
    qtbot.addWidget(container)
    editor = embed.attach_editor(container, demo_path)
    assert editor.parent() is container
    assert container.layout().indexOf(editor) == 0
    assert set(editor.canvas.node_ids()) == set(editor.doc.graph.nodes)
    # a container that already has a layout keeps it
    other = QtWidgets.QWidget()
    qtbot.addWidget(other)
    layout = QtWidgets.QHBoxLayout(other)
    second = embed.attach_editor(other)
    assert other.layout() is layout and layout.indexOf(second) == 0
    with pytest.raises(TypeError, match="container"):
        embed.attach_editor("not a widget")


def test_maya_workspace_control_to_the_boundary(qtbot, monkeypatch, demo_path):
    """Maya is not installable here: ``maya.cmds`` and ``MQtUtil.findControl`` are recorded
    stand-ins, but the pointer they hand over is a real QWidget's C++ address, turned back
    into a widget by the real ``shiboken6.wrapInstance``, and the editor is laid out in it."""
    import types

    import shiboken6

    control = QtWidgets.QWidget()  # the workspaceControl's Qt widget
    qtbot.addWidget(control)
    calls: list[tuple] = []
    existing = {"MOKSGraphEditor"}

    def workspace_control(name, query=False, exists=False, **options):
        calls.append(("workspaceControl", name, query, options))
        return name in existing if query else name

    cmds = types.SimpleNamespace(workspaceControl=workspace_control,
                                 deleteUI=lambda name: calls.append(("deleteUI", name)))
    ui = types.SimpleNamespace(MQtUtil=types.SimpleNamespace(
        findControl=lambda name: shiboken6.getCppPointer(control)[0]))
    maya = types.ModuleType("maya")
    maya.cmds, maya.OpenMayaUI = cmds, ui
    monkeypatch.setitem(sys.modules, "maya", maya)
    monkeypatch.setitem(sys.modules, "maya.cmds", cmds)
    monkeypatch.setitem(sys.modules, "maya.OpenMayaUI", ui)
    editor = embed.maya_workspace_control(path=demo_path, width=1200, height=800)
    assert editor.parent() is control and control.layout().indexOf(editor) == 0
    assert set(editor.canvas.node_ids()) == set(editor.doc.graph.nodes)
    assert calls[1] == ("deleteUI", "MOKSGraphEditor")  # an old panel of that name is replaced
    assert calls[2][3] == {"label": "MOKS Graph", "floating": True, "retain": False,
                           "initialWidth": 1200, "initialHeight": 800}
    ui.MQtUtil.findControl = lambda name: None
    existing.clear()
    with pytest.raises(RuntimeError, match="no Qt control named 'MOKSGraphEditor'"):
        embed.maya_workspace_control()


class FakeTimers:
    """bpy.app.timers' interface, recording registrations."""

    def __init__(self) -> None:
        self.registered: dict[object, dict] = {}

    def is_registered(self, fn) -> bool:
        return fn in self.registered

    def register(self, fn, **options) -> None:
        self.registered[fn] = options


def test_blender_pump_runs_while_a_window_is_open(qtbot, monkeypatch):
    monkeypatch.setattr(embed, "_WINDOWS", [])
    timers = FakeTimers()
    editor = embed.open_in_blender(timers=timers, size=(900, 600))
    qtbot.addWidget(editor)
    assert timers.registered == {embed.pump_qt_events: {"first_interval": 0.0,
                                                        "persistent": True}}
    assert not embed.register_pump(timers)  # registered once only
    assert embed.pump_qt_events() == embed.PUMP_INTERVAL
    editor.hide()
    assert embed.pump_qt_events() is None  # no window: the timer unregisters itself


def test_register_pump_with_real_bpy_timers():
    code = textwrap.dedent("""
        import bpy
        from moks_graph.editor import embed
        assert embed.register_pump()
        assert bpy.app.timers.is_registered(embed.pump_qt_events)
        assert not embed.register_pump()
        bpy.app.timers.unregister(embed.pump_qt_events)
        assert not bpy.app.timers.is_registered(embed.pump_qt_events)
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    if "No module named 'bpy'" in proc.stderr:
        pytest.skip("bpy is not installed")
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr


def test_open_in_blender_in_real_bpy_with_a_starter():
    """bpy (Blender 5 as a module) and PySide6 in one process: the editor opens a starter as a
    window, the pump is registered with the real ``bpy.app.timers`` and keeps it alive while
    the window is open, then stops. bpy as a module runs no event loop, so the test calls the
    registered function itself (inside Blender, the timer does)."""
    starter = Path(__file__).resolve().parents[2] / "graphs" / "wirecam_stadium.mgraph"
    code = textwrap.dedent(f"""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        import bpy
        from moks_graph.editor import embed
        editor = embed.open_in_blender({str(starter)!r}, size=(900, 600))
        assert bpy.app.timers.is_registered(embed.pump_qt_events)
        assert editor.isVisible() and editor.doc.path.endswith("wirecam_stadium.mgraph")
        assert set(editor.canvas.node_ids()) == set(editor.doc.graph.nodes)
        assert editor.doc.problems() == []
        assert embed.pump_qt_events() == embed.PUMP_INTERVAL
        editor.close()
        assert embed.pump_qt_events() is None  # Blender drops a timer that returns None
        bpy.app.timers.unregister(embed.pump_qt_events)
        print("ok", bpy.app.version_string)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=180, check=False)
    if "No module named 'bpy'" in proc.stderr:
        pytest.skip("bpy is not installed")
    assert proc.returncode == 0 and "ok 5." in proc.stdout, proc.stderr


def test_importing_the_package_does_not_import_qt():
    code = ("import sys, moks_graph.editor as e; "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'NodeGraphQt'))]; "
            "assert 'EditorWidget' in dir(e); print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    import moks_graph.editor as editor_pkg

    assert editor_pkg.EditorWidget.__name__ == "EditorWidget"
    with pytest.raises(AttributeError):
        _ = editor_pkg.NoSuchThing


def test_singleton_refcount_guard_holds():
    """PySide6 6.12 on CPython 3.11 drops a reference to None per void call and to True per
    signal emission; the guard pins them (else CPython aborts: none_dealloc / bool_dealloc)."""
    from moks_graph.editor import qtcompat

    probe = QtWidgets.QWidget()
    for _ in range(20000):  # more than the usual counts: would abort without the guard
        probe.setObjectName("x")
        probe.objectNameChanged.emit("y")
    leaks = {None: qtcompat.none_refcount_leaks(), True: qtcompat.bool_refcount_leaks()}
    for obj, leaking in leaks.items():
        if leaking:
            assert obj in qtcompat.GUARDED
            assert sys.getrefcount(obj) > qtcompat.IMMORTAL_REFS // 2
        elif sys.version_info < (3, 12):
            assert obj not in qtcompat.GUARDED
