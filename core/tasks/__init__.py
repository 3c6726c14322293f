"""Data: synthetic task generators and the small real data sets the labs use."""
