# uma tokenize: ids of known texts, BOS/special flags, stdin, errors (see tokenize_test.sh).
uma_cli_test(NAME cli_tokenize LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tokenize_test.sh)
