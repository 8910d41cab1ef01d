"""learnloop: team training as a measured loop."""

__version__ = "0.1.0"
