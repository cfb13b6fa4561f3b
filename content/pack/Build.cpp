#include "Commands.hpp"

#include "core/Channel.hpp"
#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/Minisign.hpp"
#include "media/Probe.hpp"
#include "store/Files.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace milepost::pack {

namespace fs = std::filesystem;

namespace {

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

} // namespace

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

} // namespace milepost::pack
