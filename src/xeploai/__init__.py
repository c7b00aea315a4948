"""xeploai: Vietnamese annual review and quality classification rules as versioned, explainable frameworks."""

__version__ = "0.1.0"
