// Tests: solvers/solvers_test (to be written)
