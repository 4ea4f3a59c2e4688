"""The LTI entry into elearn: a validated launch becomes a learner, a context and a session."""
