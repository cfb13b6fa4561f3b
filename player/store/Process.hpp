#pragma once
// Runs a tool (mtools, rauc) to its end with its output captured: milepost-pack,
// milepost-sync and milepost-provision use the tools Debian ships rather than
// copies of them.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace milepost {

struct ToolResult {
    int status = -1;      // the exit status; 128 + the signal; -1 when it did not start
    std::string out, err; // what it wrote; err also says why it did not start
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null. `env` entries
// ("NAME=value") are added to this process's environment, replacing variables of
// the same name; variables whose names start with `drop_prefix` (when not empty)
// are left out. `tick`, when given, is called a few times a second while the tool
// runs (a long one, such as `rauc install`: the caller's watchdog).
ToolResult run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                    std::string_view drop_prefix = {}, const std::function<void()>& tick = {});

} // namespace milepost
