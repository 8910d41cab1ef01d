"""Content as code: skills, lessons, item families and their variants."""
