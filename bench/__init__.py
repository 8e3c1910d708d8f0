"""``make bench``: route timings as ratios to a baseline measured in the same run."""
