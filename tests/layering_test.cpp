// Tests: layering_test (to be written)
