"""The parts of scripts/layout_diagrams.py: placement of shapes, routing of flows, labels."""
