#pragma once
// One command-line parser for the four programs (milepost-player, milepost-sync,
// milepost-pack, milepost-provision): --name VALUE and --name=VALUE, flags that
// take no value, positional arguments where a program has them, and --help (-h)
// and --version wherever they stand. The programs give the options their meaning;
// an error names the argument.
#include "core/Result.hpp"

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace milepost {

struct CommandLineSpec {
    std::set<std::string> valued; // options that take a value, without "--": "config"
    std::set<std::string> flags;  // options that take none: "once"
    bool positional = false;      // arguments that are not options are allowed
};

struct CommandLine {
    // In the order given, names without "--"; a flag's value is "".
    std::vector<std::pair<std::string, std::string>> options;
    std::vector<std::string> positional;
    bool help = false;
    bool version = false;

    bool has(std::string_view name) const;
    // The last value given for `name`, nullptr when it was not given.
    const std::string* value(std::string_view name) const;
};

Result<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                       const CommandLineSpec& spec);

// --help prints `usage`, --version "PROGRAM VERSION", to standard output; returns
// whether either was asked for (the program then exits 0).
bool answer_help_or_version(const CommandLine& line, const char* usage, std::string_view program,
                            std::string_view version);

} // namespace milepost
