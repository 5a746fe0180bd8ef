"""Geography of the demo city: its neighbourhood outlines (CC BY 4.0, Abaca Labs)."""
