"""Blended learning: workshops, masterclasses, inspiration visits and webinars with enrolment."""
