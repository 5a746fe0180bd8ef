"""Geography of the demo city: its neighbourhood outlines (CC BY 4.0, Abaca Labs), geocoding, and areas on the
map as geometry (areas.py: boxes, distances, circles, drawn shapes)."""
