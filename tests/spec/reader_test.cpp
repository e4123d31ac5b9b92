// Tests: spec/reader_test (to be written)
