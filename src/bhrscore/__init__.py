"""bhrscore: corporate accountability scoring on labour rights."""

__version__ = "0.1.0"
