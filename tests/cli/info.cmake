# uma info: output on real files, the memory estimate, and errors (see info_test.sh).
uma_cli_test(NAME cli_info LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/info_test.sh)
