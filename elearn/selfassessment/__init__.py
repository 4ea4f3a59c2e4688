"""Team self-assessment: the 7 domains of source 001, scored, charted and linked to modules."""
