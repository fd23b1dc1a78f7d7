# uma convert: llama.cpp-identical output, golden text from the converted model, vocab-only
# tokenizers, convert-then-quantize, errors (see convert_test.sh).
uma_cli_test(NAME cli_convert LABEL cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/convert_test.sh)
