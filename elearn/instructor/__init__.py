"""Instructor pages: results of a placement, grade deliveries, quiz settings, item statistics."""
