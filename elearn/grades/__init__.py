"""Grades to the LMS: the outbox of scores (AGS), its worker, retries and their status."""
