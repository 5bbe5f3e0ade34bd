"""Parameter panels show what applies to the chosen kind; image nodes show their overlay
(issue 18)."""

from __future__ import annotations

import numpy as np

import moks_graph as mg
from moks_graph.editor.properties import applicability
from moks_graph.nodes.imaging.imaging_nodes import LotusPoint


def shown(panel, name: str) -> bool:
    return panel.editors[name].isVisibleTo(panel) and panel.labels[name].isVisibleTo(panel)


def test_spot_cone_rows_only_on_spot_lights(editor) -> None:
    doc = editor.doc
    assert doc.add_node("moks.light.key", (0, 0), node_id="key")
    doc.set_param("key", "kind", "light.area")
    editor.canvas.select(["key"])
    panel = editor.properties
    assert panel.node_id == "key"
    assert not shown(panel, "spot_angle_deg") and not shown(panel, "spot_blend")
    assert shown(panel, "size_m") and shown(panel, "intensity_cd")
    doc.set_param("key", "kind", "light.spot")  # the rows follow the kind at once
    assert shown(panel, "spot_angle_deg") and shown(panel, "spot_blend")
    assert not shown(panel, "size_m")
    doc.set_param("key", "kind", "light.point")
    assert not any(shown(panel, n) for n in ("spot_angle_deg", "spot_blend", "size_m"))
    assert shown(panel, "azimuth_deg")


def test_rules_come_from_the_node_class() -> None:
    from moks_graph.nodes.lights.light_nodes import FillLight, KeyLight

    rules = applicability(KeyLight)
    assert rules["spot_angle_deg"] == {"kind": ("light.spot",)}
    assert rules["size_m"] == {"kind": ("light.area",)}
    assert "intensity_cd" not in rules and "size_m" in applicability(FillLight)


class Spot(mg.Node):
    """A synthetic still: grey with one bright spot at pixel (x 60, y 12)."""

    type_id = "test.spot_still"
    category = "Imaging"
    outputs = {"image": mg.Output(mg.IMAGE)}

    def compute(self, ctx, params):
        img = np.full((48, 96, 3), 0.1, np.float32)
        yy, xx = np.mgrid[0:48, 0:96]
        img += (2.0 * np.exp(-((xx - 60) ** 2 + (yy - 12) ** 2) / 18.0))[..., None]
        return {"image": img.astype(np.float32)}


def test_the_lotus_point_node_shows_its_image_with_the_point(qtbot) -> None:
    from moks_graph.editor.widget import EditorWidget

    reg = mg.Registry()
    reg.register(Spot)
    reg.register(LotusPoint)
    editor = EditorWidget(registry=reg)
    qtbot.addWidget(editor)
    doc = editor.doc
    assert doc.add_node("test.spot_still", (0, 0), node_id="still")
    assert doc.add_node("moks.image.lotus_point", (300, 0), node_id="lotus")
    assert doc.connect("still.image", "lotus.image")
    qtbot.waitUntil(lambda: editor.live.latest is not None and not editor.live.busy
                    and "lotus.point" in editor.live.latest.result.values, timeout=20000)
    editor.canvas.select(["lotus"])
    assert [ref for ref, _ in editor.images.images] == ["still.image"]  # not "no image"
    assert editor.images.title.text().startswith("still.image")
    ((x, y, label),) = editor.images.points
    point = editor.live.latest.result.values["lotus.point"]
    assert label == "point" and (x, y) == (float(point[0]), float(point[1]))
    assert abs(x - 60) <= 2 and abs(y - 12) <= 2  # on the bright spot
    texts = [i.text() for i in editor.images.scene.items() if hasattr(i, "text")]
    assert "point" in texts  # the overlay is drawn on the image
    editor.resize(1280, 760)
    editor.show()
    editor.viewer_tabs.setCurrentWidget(editor.images)  # set while hidden, fitted on show
    qtbot.waitExposed(editor)
    view = editor.images.view
    drawn = view.mapFromScene(editor.images.scene.sceneRect()).boundingRect()
    port = view.viewport().rect()
    assert drawn.width() <= port.width() + 4 and drawn.height() <= port.height() + 4, drawn
    assert drawn.width() > 0.9 * port.width() or drawn.height() > 0.9 * port.height(), drawn


class Glints(mg.Node):
    """A synthetic still: grey with two 2x2 specular glints (top-left at x 60/20, y 11)."""

    type_id = "test.glints"
    category = "Imaging"
    outputs = {"image": mg.Output(mg.IMAGE)}

    def compute(self, ctx, params):
        img = np.full((48, 96, 3), 0.1, np.float32)
        img[11:13, 60:62] = 50.0
        img[11:13, 20:22] = 50.0
        return {"image": img}


def test_the_metrics_node_shows_its_image_with_the_specular_mask(qtbot) -> None:
    from moks_graph.editor.widget import EditorWidget
    from moks_graph.nodes.imaging.imaging_nodes import ImageMetrics
    from moks_graph.nodes.imaging.metrics import specular_mask_of

    reg = mg.Registry()
    reg.register(Glints)
    reg.register(ImageMetrics)
    editor = EditorWidget(registry=reg)
    qtbot.addWidget(editor)
    doc = editor.doc
    assert doc.add_node("test.glints", (0, 0), node_id="still")
    assert doc.add_node("moks.image.metrics", (300, 0), node_id="metrics")
    assert doc.connect("still.image", "metrics.image")
    qtbot.waitUntil(lambda: editor.live.latest is not None and not editor.live.busy
                    and "metrics.metrics" in editor.live.latest.result.values, timeout=20000)
    editor.canvas.select(["metrics"])
    assert [ref for ref, _ in editor.images.images] == ["still.image"]
    mask = editor.images.mask
    image = editor.live.latest.result.values["still.image"]
    assert mask is not None and mask.shape == image.shape[:2]
    assert mask[12, 60] and mask[11, 21] and not mask[40, 10]  # the glints, not the ground
    np.testing.assert_array_equal(mask, specular_mask_of(image) > 0.5)  # same grid here
    shown = editor.images.pixmap_item.pixmap().toImage().pixelColor(60, 12)
    assert shown.red() > shown.green()  # tinted over the white glint
