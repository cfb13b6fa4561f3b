// milepost-pack: builds, signs, verifies and previews published channels on a
// publisher's PC (contract "milepost-pack"). Exit status: 0 success, 1 a refused
// or failed build or a failed verification, 2 bad usage or a bad channel source.
// The commands live one a file: Keygen.cpp, Build.cpp, Verify.cpp, Preview.cpp.
#include "Commands.hpp"
#include "Preview.hpp"
#include "core/CommandLine.hpp"
#include "milepost/Version.hpp"
#include "milepost/usage/milepost-pack.hpp"

#include <cstdio>

using namespace milepost;
using namespace milepost::pack;

namespace {

const char* kUsage = usage::milepost_pack;

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    CommandLineSpec spec;
    spec.valued = {"secret-key", "public-key", "out",  "sequence", "channel",      "size",
                   "region",     "plan-day",   "lang", "timezone", "system-bundle"};
    spec.flags = {"force", "allow-downgrade"};
    spec.positional = true;
    auto line = parse_command_line(args, spec);
    if (line && answer_help_or_version(*line, kUsage, "milepost-pack", kVersion))
        return 0;
    if (args.empty())
        return usage_error("a command is required: keygen, build, verify or preview");
    if (!line)
        return usage_error(line.error().message);
    // The command comes first; what follows it is its arguments.
    if (line->positional.empty() || line->positional.front() != args.front())
        return usage_error("unknown command \"" + args.front() + "\"");
    Args a;
    a.command = args.front();
    a.positional.assign(line->positional.begin() + 1, line->positional.end());
    for (const auto& [name, value] : line->options)
        a.options[name] = value;
    if (a.command == "keygen")
        return keygen(a);
    if (a.command == "build")
        return build(a);
    if (a.command == "verify")
        return verify(a);
    if (a.command == "preview")
        return preview(a.positional, a.options);
    return usage_error("unknown command \"" + a.command + "\"");
}
