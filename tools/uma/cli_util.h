// Shared CLI plumbing for the subcommands: flag parsing with uma's one-line error convention.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

namespace uma::cli {

// Parses argv into `app`. Returns an exit code when the command should stop now: 0 after --help,
// 2 after a bad flag (reported as one line on stderr); nullopt when parsing succeeded.
inline std::optional<int> parse_args(CLI::App& app, int argc, char** argv, const char* cmd) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "uma %s: %s (see 'uma %s --help')\n", cmd, what.c_str(), cmd);
    return 2;
  }
  return std::nullopt;
}

}  // namespace uma::cli
