"""The streaming alert core: thresholds and rules over committed readings, alert lifecycle, a thin store."""
