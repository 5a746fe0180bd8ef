"""Geography of the demo city: its neighbourhood outlines (CC BY 4.0, Abaca Labs), the street gazetteer
imported from the city's centreline (models.py, streets_import.py, street_names.py, streets.py: addresses,
crossings and nearest blocks), geocoding, and areas on the map as geometry (areas.py: boxes, distances,
circles, drawn shapes)."""
