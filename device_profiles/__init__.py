"""What a home-monitoring device is and what it measures: profiles, GATT decoders, codes, the wire model."""
