"""Reading pre-flight artifacts from files and uploads: JSON, `.eml`, or `.html` with a
YAML or JSON sidecar. The campaign's fields are checked in the domain
(`learnloop.domain.preflight.reading`); this package only turns bytes into plain values."""
