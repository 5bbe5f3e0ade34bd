"""USD host: write and read UsdGeom cameras and UsdLux lights with usd-core (pxr)."""
