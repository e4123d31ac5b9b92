// Tests: solvers/roofline_test (to be written)
