#include "CommandLine.hpp"

#include <cstdio>

namespace milepost {

bool CommandLine::has(std::string_view name) const {
    return value(name) != nullptr;
}

const std::string* CommandLine::value(std::string_view name) const {
    const std::string* found = nullptr;
    for (const auto& [n, v] : options)
        if (n == name)
            found = &v;
    return found;
}

Result<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                       const CommandLineSpec& spec) {
    CommandLine line;
    for (const auto& a : args) {
        line.help = line.help || a == "--help" || a == "-h";
        line.version = line.version || a == "--version";
    }
    if (line.help || line.version)
        return line;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (!arg.starts_with("--")) {
            if (!spec.positional)
                return Error{"unknown option \"" + arg + "\""};
            line.positional.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        const auto eq = name.find('=');
        std::string value = eq == std::string::npos ? std::string() : name.substr(eq + 1);
        name.resize(std::min(eq, name.size()));
        const std::string flag = "--" + name;
        if (spec.flags.count(name)) {
            if (eq != std::string::npos)
                return Error{flag + ": takes no value"};
        } else if (!spec.valued.count(name)) {
            return Error{"unknown option \"" + arg + "\""};
        } else if (eq == std::string::npos) {
            if (i + 1 >= args.size() || args[i + 1].empty())
                return Error{flag + ": expected a value"};
            value = args[++i];
        }
        line.options.emplace_back(std::move(name), std::move(value));
    }
    return line;
}

bool answer_help_or_version(const CommandLine& line, const char* usage, std::string_view program,
                            std::string_view version) {
    if (line.help)
        std::fputs(usage, stdout);
    else if (line.version)
        std::printf("%.*s %.*s\n", static_cast<int>(program.size()), program.data(),
                    static_cast<int>(version.size()), version.data());
    return line.help || line.version;
}

} // namespace milepost
