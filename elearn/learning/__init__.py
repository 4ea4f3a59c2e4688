"""Module pages and the learner's progress through lessons."""
