#pragma once
// milepost-pack's commands, one file each: keygen, build, verify (and preview, in
// Preview.cpp). Each returns the exit status: 0 success, 1 refused or failed, 2 bad
// usage or a bad channel source.
#include "core/Channel.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace milepost::pack {

// The command line after the command: positional arguments and --options.
struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
};

// Logs `message` with a pointer to --help; returns 2.
int usage_error(const std::string& message);
// A key file's text; "" with `error` set when it cannot be read.
std::string read_key_file(const std::string& path, std::string& error);

// --system-bundle FILE: a RAUC bundle's compatible and version as `rauc info`
// reads them, its size and SHA-256; nullopt when it cannot be published (logged).
std::optional<SystemBundle> read_system_bundle(const std::string& path, bool downgrade);

int keygen(const Args& a);
int build(const Args& a);
int verify(const Args& a);

} // namespace milepost::pack
