// Minimal leveled logging to stderr. The level is set once by the CLI (no getenv in the library).
#pragma once

#include <cstdarg>

namespace uma {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kQuiet = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
void log_msg(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace uma

#define UMA_LOG_DEBUG(...) ::uma::log_msg(::uma::LogLevel::kDebug, __VA_ARGS__)
#define UMA_LOG_INFO(...) ::uma::log_msg(::uma::LogLevel::kInfo, __VA_ARGS__)
#define UMA_LOG_WARN(...) ::uma::log_msg(::uma::LogLevel::kWarn, __VA_ARGS__)
#define UMA_LOG_ERROR(...) ::uma::log_msg(::uma::LogLevel::kError, __VA_ARGS__)
