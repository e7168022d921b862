"""Alert rules: each a pure function over plain data with a table of cases in its tests."""
