"""The networks the labs train."""
