"""The built-in demo LMS (a real LTI 1.3 platform mounted at /demo)."""
