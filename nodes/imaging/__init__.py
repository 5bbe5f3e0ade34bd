"""Image measurement: input validation, colorimetry and the 15-metric extractor."""
