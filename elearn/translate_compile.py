"""`python -m elearn.translate_compile`: compile stale .mo files without building an app."""
from elearn.translate import compile_if_needed

if __name__ == "__main__":
    compile_if_needed()
