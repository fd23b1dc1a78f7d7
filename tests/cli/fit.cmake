# uma fit: seed examples, table/JSON/SVG output, GGUF input and error handling (see fit_test.sh).
uma_cli_test(NAME cli_fit LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fit_test.sh)
