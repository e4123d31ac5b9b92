// Tests: core/units_test (to be written)
