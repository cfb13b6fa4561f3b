// milepost-pack: builds, signs, verifies and previews published channels on a
// publisher's PC (contract "milepost-pack"). Exit status: 0 success, 1 a refused
// or failed build or a failed verification, 2 bad usage or a bad channel source.
#include "Preview.hpp"
#include "core/Channel.hpp"
#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/Minisign.hpp"
#include "media/Probe.hpp"
#include "milepost/Version.hpp"
#include "store/Files.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

using namespace milepost;
namespace fs = std::filesystem;

namespace {

const char* kUsage = R"(Usage:
  milepost-pack keygen --secret-key FILE --public-key FILE
  milepost-pack build SOURCE.toml --secret-key FILE --out SITE [--sequence N [--force]]
  milepost-pack verify SITE --public-key FILE [--channel NAME]
  milepost-pack preview (SOURCE.toml | SITE --channel NAME) --out SHEET.png
                        [--size WxH] [--region R] [--lang L]
                        [--plan-day DATE [--timezone ZONE]]

Builds, signs and checks Milepost channels for screens to download.

  keygen    makes a signing key pair in minisign's format, without a password.
            Keep the secret key on the publishing PC; put the public key's second
            line in each screen's device.toml ([content] public_key). Keys made
            by `minisign -G -W` work too.
  build     reads a channel source (TOML) and its media, checks that the player
            can decode every file, copies new media into SITE/objects/<sha256>,
            then writes SITE/channels/<channel>/manifest.json and its signature,
            manifest last. A refused build leaves SITE as it was. The sequence
            is one more than the SITE's current one unless --sequence is given;
            a lower one is refused, and so is a jump of more than 1,000,000 over
            the SITE's current one (0 for a new SITE) unless --force is given:
            screens refuse every sequence below the highest they have taken, so
            a mistyped one would hold them until the channel got past it.
            Sequences go up to 9007199254740991 (2^53 - 1).
  verify    checks the signature of each channel in SITE (or only NAME) with the
            public key, and the size and SHA-256 of every object it names.
  preview   draws a contact sheet: every item as the screen shows it, labelled
            with its id, language, duration and schedule. With --plan-day it
            draws that day's timeline instead, as a screen in --region with
            --lang (a list: en,es) in --timezone would play it: one strip per
            hour, coloured by item, alerts in red, a legend below.

Options:
  --secret-key FILE   the signing key (build) or where to write it (keygen)
  --public-key FILE   the public key (verify) or where to write it (keygen)
  --out PATH          the SITE folder (build) or the PNG (preview)
  --sequence N        the new manifest's sequence number (build)
  --force             accept a --sequence more than 1,000,000 above the current one
  --channel NAME      which channel of a SITE (verify, preview)
  --size WxH          the screen the preview draws for (default 1920x1080)
  --region R          the device region whose hotline the preview shows (default US)
  --lang L            only items in language L, and the banner in L (preview);
                      with --plan-day, the device's languages (default en)
  --plan-day DATE     the day (2026-12-01) whose timeline preview draws
  --timezone ZONE     the device's IANA time zone for --plan-day (default UTC)
  --help, --version

Exit status: 0 success; 1 a build refused (media that cannot be played, an
unsafe source, a manifest over 4 MiB, a lower sequence or one that leaps) or a
verification that
failed; 2 bad usage or a bad channel source.
)";

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
};

int usage_error(const std::string& message) {
    log::error(message + " (see milepost-pack --help)");
    return 2;
}

std::string read_key_file(const std::string& path, std::string& error) {
    auto text = read_file(path);
    if (!text) {
        error = text.error().message;
        return {};
    }
    return std::move(*text);
}

int keygen(const Args& a) {
    if (!a.options.count("secret-key") || !a.options.count("public-key"))
        return usage_error("keygen: --secret-key FILE and --public-key FILE are required");
    const fs::path secret = a.options.at("secret-key"), pub = a.options.at("public-key");
    if (fs::exists(secret)) {
        log::error(secret.string() + ": exists already; remove it first (channels signed with it "
                                     "will need the new public key)");
        return 1;
    }
    auto [pk, sk] = minisign_generate();
    umask(077); // the secret key is for this user alone
    if (auto r = write_file_atomically(secret, minisign_format_secret_key(sk)); !r) {
        log::error(r.error().message);
        return 1;
    }
    umask(022);
    if (auto r = write_file_atomically(pub, minisign_format_public_key(pk)); !r) {
        log::error(r.error().message);
        return 1;
    }
    std::printf("secret key: %s (keep it safe)\npublic key: %s\n"
                "for device.toml: [content] public_key = \"%s\"\n",
                secret.c_str(), pub.c_str(), minisign_public_key_line(pk).c_str());
    return 0;
}

// The sequence of the manifest now in SITE for `channel`, 0 when there is none.
std::int64_t current_sequence(const fs::path& manifest) {
    auto text = read_file(manifest);
    if (!text)
        return 0;
    try {
        return parse_manifest(*text, {}, manifest.string()).sequence;
    } catch (const ConfigError&) {
        return 0; // an unreadable manifest is replaced
    }
}

std::string human_bytes(std::uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30))
        std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(b) / (1ull << 30));
    else if (b >= (1ull << 20))
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / (1ull << 20));
    else
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
    return buf;
}

// Copies `from` to `to` through a temporary name, fsynced, then renamed.
Result<void> copy_object(const fs::path& from, const fs::path& to) {
    const fs::path tmp = to.string() + ".tmp-" + std::to_string(getpid());
    std::error_code ec;
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec)
        return Error{to.string() + ": cannot write: " + ec.message()};
    if (FILE* f = std::fopen(tmp.c_str(), "rb")) {
        fsync(fileno(f));
        std::fclose(f);
    }
    fs::rename(tmp, to, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return Error{to.string() + ": cannot write: " + ec.message()};
    }
    return {};
}

// The new manifest's sequence: one more than the SITE's, or --sequence, which may
// not go back, nor past kMaxSequence, nor leap more than kMaxSequenceJump without
// --force. A refusal is logged here, with the exit status it calls for.
constexpr std::int64_t kMaxSequenceJump = 1'000'000;
struct SequenceChoice {
    std::int64_t sequence = 0;
    int refused = 0; // the exit status when not 0: 2 bad usage, 1 a refused build
};
SequenceChoice next_sequence(const Args& a, const fs::path& manifest_path) {
    const std::int64_t current = current_sequence(manifest_path);
    auto refuse = [](const std::string& message) {
        log::error(message);
        return SequenceChoice{0, 1};
    };
    if (!a.options.count("sequence")) {
        if (current >= kMaxSequence) // a manifest can hold no more (see kMaxSequence)
            return refuse(manifest_path.string() + ": sequence " + std::to_string(current) +
                          " is the highest there is; publish under a new channel name");
        return {current + 1, 0};
    }
    const std::string& text = a.options.at("sequence");
    std::int64_t sequence = 0;
    if (text.empty() || text.size() > 16 ||
        text.find_first_not_of("0123456789") != std::string::npos ||
        (sequence = std::stoll(text)) < 1 || sequence > kMaxSequence)
        return {0, usage_error("--sequence: expected a whole number from 1 to " +
                               std::to_string(kMaxSequence))};
    if (sequence <= current)
        return refuse(manifest_path.string() + ": --sequence " + std::to_string(sequence) +
                      " is not above the published sequence " + std::to_string(current) +
                      "; screens would refuse it as a rollback");
    if (sequence - current > kMaxSequenceJump && !a.options.count("force"))
        return refuse(manifest_path.string() + ": --sequence " + std::to_string(sequence) +
                      " is more than " + std::to_string(kMaxSequenceJump) + " above the " +
                      (current > 0 ? "published sequence " + std::to_string(current)
                                   : std::string("start (no published sequence)")) +
                      ": screens that take it refuse every lower one; add --force if that "
                      "is what you mean");
    return {sequence, 0};
}

int build(const Args& a) {
    if (a.positional.size() != 1 || !a.options.count("secret-key") || !a.options.count("out"))
        return usage_error("build: SOURCE.toml, --secret-key FILE and --out SITE are required");
    std::string key_error;
    const std::string key_text = read_key_file(a.options.at("secret-key"), key_error);
    if (!key_error.empty())
        return usage_error(key_error);
    auto key = minisign_parse_secret_key(key_text);
    if (!key)
        return usage_error(a.options.at("secret-key") + ": " + key.error().message);

    Channel channel;
    try {
        std::vector<std::string> warnings;
        channel = load_channel_source(a.positional[0], warnings);
        for (const auto& w : warnings)
            log::warn(w);
    } catch (const ConfigError& e) {
        log::error(e.message);
        return 2;
    }
    const fs::path site = a.options.at("out");
    const fs::path manifest_path = site / "channels" / channel.name / "manifest.json";
    const SequenceChoice choice = next_sequence(a, manifest_path);
    if (choice.refused)
        return choice.refused;
    const std::int64_t sequence = choice.sequence;

    // 1. Every media file must be one the player can decode: check them all first.
    int refused = 0;
    for (Item& item : channel.items) {
        if (item.type == ItemType::Slide)
            continue;
        std::error_code ec;
        if (!fs::is_regular_file(item.file, ec)) {
            log::error("item \"" + item.id + "\": " + item.file.string() + ": not a file");
            ++refused;
            continue;
        }
        auto facts = probe_media(item.file, item.type == ItemType::Image);
        if (!facts) {
            log::error("item \"" + item.id + "\": " + item.file.string() + ": " +
                       facts.error().message);
            ++refused;
            continue;
        }
        item.media = *facts;
    }
    if (refused) {
        log::error(std::to_string(refused) + " item(s) refused; nothing was written to " +
                   site.string());
        return 1;
    }

    // 2. Hash them, with progress for long files.
    for (Item& item : channel.items) {
        if (item.type == ItemType::Slide)
            continue;
        const std::uint64_t size = fs::file_size(item.file);
        const bool talk = size > (64ull << 20);
        int shown = -1;
        auto hash = sha256_file(item.file, [&](std::uint64_t done) {
            int pct = static_cast<int>(100 * done / std::max<std::uint64_t>(size, 1));
            if (talk && pct / 10 != shown / 10) {
                shown = pct;
                std::fprintf(stderr, "milepost-pack: hashing %s: %d%%\n",
                             item.file.filename().c_str(), pct);
            }
        });
        if (!hash) {
            log::error("item \"" + item.id + "\": " + hash.error().message);
            return 1;
        }
        item.media.object = *hash;
        item.media.size = size;
    }
    channel.sequence = sequence;
    channel.published = format_rfc3339_utc(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    const std::string manifest = manifest_json(channel);
    if (manifest.size() > kMaxManifestBytes) {
        log::error("the manifest would be " + human_bytes(manifest.size()) +
                   ", over the 4 MiB screens accept: split the channel");
        return 1;
    }

    // 3. New objects, then the signature, then the manifest: a screen polling now
    // sees the old channel or the new one, whole.
    std::error_code ec;
    fs::create_directories(site / "objects", ec);
    fs::create_directories(manifest_path.parent_path(), ec);
    std::vector<fs::path> created;
    std::uint64_t new_bytes = 0;
    auto undo = [&] {
        for (const auto& p : created)
            fs::remove(p, ec);
    };
    for (const Item& item : channel.items) {
        if (item.type == ItemType::Slide)
            continue;
        const fs::path object = site / "objects" / item.media.object;
        if (fs::exists(object, ec) && fs::file_size(object, ec) == item.media.size)
            continue;
        if (auto r = copy_object(item.file, object); !r) {
            log::error(r.error().message);
            undo();
            return 1;
        }
        created.push_back(object);
        new_bytes += item.media.size;
    }
    const std::string comment = "timestamp:" + channel.published + "\tchannel:" + channel.name +
                                "\tsequence:" + std::to_string(sequence);
    if (auto r = write_file_atomically(manifest_path.string() + ".minisig",
                                       minisign_sign(*key, manifest, comment));
        !r) {
        log::error(r.error().message);
        undo();
        return 1;
    }
    if (auto r = write_file_atomically(manifest_path, manifest); !r) {
        log::error(r.error().message);
        undo();
        return 1;
    }
    std::printf("%s: channel \"%s\", sequence %lld, %zu items, %zu new objects (%s)\n",
                manifest_path.c_str(), channel.name.c_str(), static_cast<long long>(sequence),
                channel.items.size(), created.size(), human_bytes(new_bytes).c_str());
    return 0;
}

int verify(const Args& a) {
    if (a.positional.size() != 1 || !a.options.count("public-key"))
        return usage_error("verify: SITE and --public-key FILE are required");
    std::string key_error;
    const std::string key_text = read_key_file(a.options.at("public-key"), key_error);
    if (!key_error.empty())
        return usage_error(key_error);
    auto key = minisign_parse_public_key(key_text);
    if (!key)
        return usage_error(a.options.at("public-key") + ": " + key.error().message);
    const fs::path site = a.positional[0];
    std::vector<std::string> names;
    if (a.options.count("channel")) {
        names.push_back(a.options.at("channel"));
    } else {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(site / "channels", ec))
            names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
    }
    if (names.empty()) {
        log::error(site.string() + ": no channels/ in it");
        return 1;
    }
    int faults = 0;
    for (const auto& name : names) {
        const fs::path manifest_path = site / "channels" / name / "manifest.json";
        auto manifest = read_file(manifest_path, kMaxManifestBytes);
        auto signature = read_file(manifest_path.string() + ".minisig", kMaxSignatureBytes);
        if (!manifest || !signature) {
            log::error((!manifest ? manifest : signature).error().message);
            ++faults;
            continue;
        }
        auto trusted = minisign_verify(*key, *manifest, *signature);
        if (!trusted) {
            log::error(manifest_path.string() + ": " + trusted.error().message);
            ++faults;
            continue;
        }
        Channel c;
        try {
            c = parse_manifest(*manifest, site / "objects", manifest_path.string());
        } catch (const ConfigError& e) {
            log::error(e.message);
            ++faults;
            continue;
        }
        int bad = 0;
        std::set<std::string> seen;
        for (const Item& item : c.items) {
            if (item.type == ItemType::Slide || !seen.insert(item.media.object).second)
                continue;
            std::error_code ec;
            const std::string what = "item \"" + item.id + "\": object " + item.file.string();
            if (!fs::is_regular_file(item.file, ec)) {
                log::error(what + ": missing");
                ++bad;
            } else if (fs::file_size(item.file, ec) != item.media.size) {
                log::error(what + ": " + std::to_string(fs::file_size(item.file, ec)) +
                           " bytes, the manifest says " + std::to_string(item.media.size));
                ++bad;
            } else if (auto h = sha256_file(item.file); !h || *h != item.media.object) {
                log::error(what + ": its SHA-256 does not match its name: the file was changed");
                ++bad;
            }
        }
        faults += bad;
        std::printf("%s: channel \"%s\", sequence %lld, %zu items: %s\n", manifest_path.c_str(),
                    c.name.c_str(), static_cast<long long>(c.sequence), c.items.size(),
                    bad ? "FAULTY" : "ok");
    }
    return faults ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty())
        return usage_error("a command is required: keygen, build, verify or preview");
    for (const auto& s : args) {
        if (s == "--help" || s == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (s == "--version") {
            std::printf("milepost-pack %s\n", kVersion);
            return 0;
        }
    }
    Args a;
    a.command = args[0];
    static const std::set<std::string> kValued{"secret-key", "public-key", "out",    "sequence",
                                               "channel",    "size",       "region", "lang",
                                               "plan-day",   "timezone"};
    static const std::set<std::string> kFlags{"force"};
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& s = args[i];
        if (s.starts_with("--")) {
            std::string name = s.substr(2), value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            } else if (kValued.count(name)) {
                if (i + 1 >= args.size())
                    return usage_error(s + ": expected a value");
                value = args[++i];
            }
            if (kFlags.count(name)) {
                if (s.find('=') != std::string::npos)
                    return usage_error(s + ": takes no value");
            } else if (!kValued.count(name)) {
                return usage_error("unknown option \"" + s + "\"");
            }
            a.options[name] = value;
        } else {
            a.positional.push_back(s);
        }
    }
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
