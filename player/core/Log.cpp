#include "Log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace milepost::log {

void write(Level level, std::string_view text) {
    // Decided per call, not cached: no mutable global state.
    const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
    std::string line;
    if (journal) {
        line = "<" + std::to_string(static_cast<int>(level)) + ">";
    } else {
        line = std::string(program_invocation_short_name) + ": ";
        switch (level) {
        case Level::Error:
            line += "error: ";
            break;
        case Level::Warning:
            line += "warning: ";
            break;
        case Level::Info:
            break;
        case Level::Debug:
            line += "debug: ";
            break;
        }
    }
    line.append(text);
    line += '\n';
    // One fwrite per line so lines from two threads never interleave.
    std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace milepost::log
