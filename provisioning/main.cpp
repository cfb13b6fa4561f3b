// milepost-provision: site configs for SD cards, one per site, made and checked
// with the player's own parser, written onto card images and cards.
// Exit status: 0 success; 1 a bad batch row, a refused or failed flash, a
// read-back that differs; 2 bad usage or bad input.
#include "Provision.hpp"
#include "core/Channel.hpp"
#include "core/CommandLine.hpp"
#include "core/Files.hpp"
#include "core/Log.hpp"
#include "milepost/Version.hpp"
#include "milepost/usage/milepost-provision.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace milepost;
namespace fs = std::filesystem;

extern char** environ;

namespace {

const char* kUsage = usage::milepost_provision;

int usage_error(const std::string& message) {
    log::error(message + " (see milepost-provision --help)");
    return 2;
}

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
    std::set<std::string> flags;
};

std::string opt(const Args& a, const char* name) {
    auto it = a.options.find(name);
    return it == a.options.end() ? std::string() : it->second;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at <= s.size()) {
        const size_t end = std::min(s.find(sep, at), s.size());
        if (end > at)
            out.push_back(s.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

Result<std::string> read_small(const std::string& path, const char* what) {
    auto text = read_file(path, 64 * 1024);
    if (!text)
        return Error{std::string(what) + ": " + text.error().message};
    return *text;
}

Result<CardExtras> extras_from(const Args& a) {
    CardExtras x;
    x.hostname = opt(a, "hostname");
    x.wifi_ssid = opt(a, "wifi-ssid");
    if (a.options.count("wifi-ssid") != a.options.count("wifi-psk-file"))
        return Error{"--wifi-ssid and --wifi-psk-file go together"};
    if (a.options.count("wifi-psk-file")) {
        auto psk = read_small(opt(a, "wifi-psk-file"), "--wifi-psk-file");
        if (!psk)
            return psk.error();
        x.wifi_psk = *psk;
        while (!x.wifi_psk.empty() && (x.wifi_psk.back() == '\n' || x.wifi_psk.back() == '\r'))
            x.wifi_psk.pop_back();
    }
    if (a.options.count("ssh-key")) {
        auto key = read_small(opt(a, "ssh-key"), "--ssh-key");
        if (!key)
            return key.error();
        x.ssh_key = *key;
    }
    return x;
}

int config_command(const Args& a) {
    SiteFields f;
    f.id = opt(a, "id");
    f.site = opt(a, "site");
    f.region = opt(a, "region");
    f.timezone = opt(a, "timezone");
    f.channel = opt(a, "channel");
    f.languages = split(opt(a, "languages"), ',');
    f.server = opt(a, "server");
    f.upload_url = opt(a, "upload-url");
    if (f.id.empty() || f.site.empty() || f.region.empty())
        return usage_error("config: --id, --site and --region are required");
    if (!f.server.empty() != a.options.count("public-key-file"))
        return usage_error("config: --server and --public-key-file go together");
    if (a.options.count("public-key-file")) {
        auto key = read_small(opt(a, "public-key-file"), "--public-key-file");
        if (!key) {
            log::error(key.error().message);
            return 2;
        }
        auto lines = split(*key, '\n');
        if (lines.size() < 2) {
            log::error("--public-key-file: " + opt(a, "public-key-file") +
                       ": expected a minisign public key (a comment line, then the key)");
            return 2;
        }
        f.public_key = lines[1];
        while (!f.public_key.empty() && f.public_key.back() == '\r')
            f.public_key.pop_back();
    }
    // With no content server the screen plays the built-in channel its name picks:
    // a name that is none of them plays truckstop (a bus terminal should say "bus").
    if (f.server.empty() && !f.channel.empty() && !is_builtin_channel(f.channel))
        log::warn("--channel " + f.channel +
                  ": not a built-in channel (truckstop, bus, weigh-station, licensing), and "
                  "with no --server the screen plays \"truckstop\"");
    auto text = make_site_config("", f, "milepost-provision config");
    if (!text) {
        log::error(text.error().message);
        return 2;
    }
    std::fputs(text->c_str(), stdout);
    return 0;
}

int batch_command(const Args& a) {
    if (a.positional.size() != 1 || opt(a, "out").empty())
        return usage_error("batch: SITES.csv and --out DIR are required");
    BatchReport r = run_batch(a.positional[0], opt(a, "template"), opt(a, "out"));
    for (const auto& e : r.errors)
        log::error(e);
    std::fprintf(stderr, "milepost-provision: %d site configs written to %s, %zu bad rows\n",
                 r.written, opt(a, "out").c_str(), r.errors.size());
    return r.errors.empty() ? 0 : 1;
}

Result<std::map<std::string, std::string>> site_files(const Args& a) {
    if (opt(a, "config").empty())
        return Error{"--config milepost.toml is required"};
    auto config = read_small(opt(a, "config"), "--config");
    if (!config)
        return config.error();
    if (auto ok = check_site_config(*config, opt(a, "config")); !ok)
        return ok.error();
    auto extras = extras_from(a);
    if (!extras)
        return extras.error();
    return boot_files(*config, *extras);
}

int write_command(const Args& a) {
    if (a.positional.size() != 1)
        return usage_error("write: one IMAGE is required");
    auto files = site_files(a);
    if (!files) {
        log::error(files.error().message);
        return 2;
    }
    if (auto ok = write_boot_files(a.positional[0], *files); !ok) {
        log::error(ok.error().message);
        return 1;
    }
    for (const auto& [name, content] : *files)
        std::fprintf(stderr, "milepost-provision: %s: wrote %s on the boot partition\n",
                     a.positional[0].c_str(), name.c_str());
    return 0;
}

int read_command(const Args& a) {
    if (a.positional.size() != 1)
        return usage_error("read: one IMAGE or DEVICE is required");
    const fs::path image = a.positional[0];
    auto config = read_boot_file(image, "milepost.toml");
    if (!config) {
        log::error(config.error().message);
        return 1;
    }
    if (!*config) {
        log::error(image.string() + ": no milepost.toml on its boot partition: the card plays "
                                    "the built-in channel with every default");
        return 1;
    }
    std::fputs((*config)->c_str(), stdout);
    if (auto ok = check_site_config(**config, image.string() + ": milepost.toml"); !ok)
        log::error(ok.error().message);
    if (auto h = read_boot_file(image, "milepost-hostname"); h && *h)
        std::fprintf(stderr, "milepost-provision: hostname %s", (*h)->c_str());
    if (auto w = read_boot_file(image, kWifiFile); w && *w) {
        // The network's name only: the passphrase is never printed.
        std::string ssid;
        bool psk = false, imported = false;
        for (std::string line : split(**w, '\n')) {
            if (line.ends_with('\r'))
                line.pop_back();
            if (line.starts_with("ssid="))
                ssid = line.substr(5);
            psk = psk || line.starts_with("psk=");
            imported = imported || line == "imported=yes";
        }
        std::fprintf(stderr, "milepost-provision: Wi-Fi network \"%s\" (%s)\n", ssid.c_str(),
                     psk        ? "passphrase set: first boot imports it"
                     : imported ? "imported by first boot; its passphrase is no longer on the card"
                                : "no passphrase");
    }
    if (auto k = read_boot_file(image, "milepost-ssh.pub"); k && *k)
        std::fprintf(stderr, "milepost-provision: SSH on, for the key %s",
                     (*k)->substr(0, 40).append("...\n").c_str());
    return 0;
}

int run_passthrough(const std::vector<std::string>& argv) {
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& s : copy)
        args.push_back(s.data());
    args.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0)
        return 127;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int flash_command(const Args& a) {
    if (a.positional.size() != 2)
        return usage_error("flash: IMAGE and DEVICE are required");
    const fs::path image = a.positional[0], device = a.positional[1];
    auto files = site_files(a);
    if (!files) {
        log::error(files.error().message);
        return 2;
    }
    // The target first: a wrong disk is refused whatever else is wrong.
    const auto refusals = flash_refusals(device, a.flags.count("force") > 0);
    if (!refusals.empty()) {
        for (const auto& why : refusals)
            log::error("refused: " + why);
        return 1;
    }
    std::error_code ec;
    if (!fs::is_regular_file(image, ec)) {
        log::error(image.string() + ": no such image file");
        return 2;
    }
    std::vector<std::string> copy{"bmaptool", "copy"};
    fs::path bmap = image;
    bmap += ".bmap";
    if (!fs::exists(bmap, ec))
        copy.push_back("--nobmap");
    copy.push_back(image.string());
    copy.push_back(device.string());
    std::fprintf(stderr, "milepost-provision: writing %s to %s\n", image.c_str(), device.c_str());
    if (int rc = run_passthrough(copy); rc != 0) {
        log::error("bmaptool copy failed (status " + std::to_string(rc) +
                   "); the card is not "
                   "usable");
        return 1;
    }
    if (auto ok = write_boot_files(device, *files); !ok) {
        log::error(ok.error().message);
        return 1;
    }
    ::sync();
    for (const auto& [name, content] : *files) {
        auto back = read_boot_file(device, name);
        if (!back || !*back || **back != content) {
            log::error(device.string() + ": " + name + " read back differs from what was written");
            return 1;
        }
    }
    std::fprintf(stderr, "milepost-provision: %s: flashed, site files written and read back\n",
                 device.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    CommandLineSpec spec;
    spec.valued = {"id",         "site",      "region",        "timezone",
                   "channel",    "languages", "server",        "public-key-file",
                   "upload-url", "template",  "out",           "config",
                   "hostname",   "wifi-ssid", "wifi-psk-file", "ssh-key"};
    spec.flags = {"force"};
    spec.positional = true;
    auto line = parse_command_line(args, spec);
    if (line && answer_help_or_version(*line, kUsage, "milepost-provision", kVersion))
        return 0;
    if (args.empty())
        return usage_error("a command is required: config, batch, write, read or flash");
    if (!line)
        return usage_error(line.error().message);
    // The command comes first; what follows it is its arguments.
    if (line->positional.empty() || line->positional.front() != args.front())
        return usage_error("unknown command \"" + args.front() + "\"");
    Args a;
    a.command = args.front();
    a.positional.assign(line->positional.begin() + 1, line->positional.end());
    for (const auto& [name, value] : line->options) {
        if (spec.flags.count(name))
            a.flags.insert(name);
        else
            a.options[name] = value;
    }
    if (a.command == "config")
        return config_command(a);
    if (a.command == "batch")
        return batch_command(a);
    if (a.command == "write")
        return write_command(a);
    if (a.command == "read")
        return read_command(a);
    if (a.command == "flash")
        return flash_command(a);
    return usage_error("unknown command \"" + a.command + "\"");
}
