#pragma once
// Log lines go to stderr. Under systemd (JOURNAL_STREAM set) each line carries a
// "<N>" priority prefix that journald turns into the entry's priority; elsewhere
// lines read "program: level: text".
#include <string_view>

namespace milepost::log {

enum class Level { Error = 3, Warning = 4, Info = 6, Debug = 7 };

void write(Level level, std::string_view text);
inline void error(std::string_view text) {
    write(Level::Error, text);
}
inline void warn(std::string_view text) {
    write(Level::Warning, text);
}
inline void info(std::string_view text) {
    write(Level::Info, text);
}

} // namespace milepost::log
