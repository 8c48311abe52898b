"""The system as a whole: health, status, and the workers' presence."""
