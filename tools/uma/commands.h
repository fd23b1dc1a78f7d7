// The uma subcommands. Each parses its own flags (CLI11) and returns the process exit code.
#pragma once

namespace uma::cli {

int cmd_run(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_synth(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_fit(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_convert(int argc, char** argv);
int cmd_template(int argc, char** argv);
int cmd_serve(int argc, char** argv);

}  // namespace uma::cli
