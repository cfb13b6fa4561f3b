#include "Commands.hpp"

#include "Captions.hpp"

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

// The key --secret-key names; nullopt, with the exit status in `status`, when
// it cannot sign.
std::optional<MinisignSecretKey> signing_key(const Args& a, int& status) {
    std::string key_error;
    const std::string key_text = read_key_file(a.options.at("secret-key"), key_error);
    if (!key_error.empty()) {
        status = usage_error(key_error);
        return std::nullopt;
    }
    auto key = minisign_parse_secret_key(key_text);
    if (!key) {
        status = usage_error(a.options.at("secret-key") + ": " + key.error().message);
        return std::nullopt;
    }
    return *key;
}

// The channel source, its warnings logged; nullopt when it is refused (logged).
std::optional<Channel> read_source(const std::string& file) {
    try {
        std::vector<std::string> warnings;
        Channel channel = load_channel_source(file, warnings);
        for (const auto& w : warnings)
            log::warn(w);
        return channel;
    } catch (const ConfigError& e) {
        log::error(e.message);
        return std::nullopt;
    }
}

// Probes the item's file the way the player will decode it; false when refused (logged).
bool probe_item(Item& item) {
    std::error_code ec;
    if (!fs::is_regular_file(item.file, ec)) {
        log::error("item \"" + item.id + "\": " + item.file.string() + ": not a file");
        return false;
    }
    auto facts = probe_media(item.file, item.type == ItemType::Image);
    if (!facts) {
        log::error("item \"" + item.id + "\": " + item.file.string() + ": " +
                   facts.error().message);
        return false;
    }
    item.media = *facts;
    return true;
}

// 1. Every media file must be one the player can decode, and every caption one it
// can show: all are checked before anything is written. Returns how many items
// were refused; the caption objects to publish are added to `captions`.
int check_items(Channel& channel, std::vector<CaptionObject>& captions) {
    const std::set<std::string> languages = channel_languages(channel);
    int refused = 0;
    for (Item& item : channel.items) {
        if (item.type == ItemType::Slide)
            continue;
        if (!probe_item(item) || check_captions(item, languages, captions) > 0)
            ++refused;
    }
    return refused;
}

// 2. The item's object name and size, with progress for long files.
bool hash_item(Item& item) {
    const std::uint64_t size = fs::file_size(item.file);
    const bool talk = size > (64ull << 20);
    int shown = -1;
    auto hash = sha256_file(item.file, [&](std::uint64_t done) {
        int pct = static_cast<int>(100 * done / std::max<std::uint64_t>(size, 1));
        if (talk && pct / 10 != shown / 10) {
            shown = pct;
            std::fprintf(stderr, "milepost-pack: hashing %s: %d%%\n", item.file.filename().c_str(),
                         pct);
        }
    });
    if (!hash) {
        log::error("item \"" + item.id + "\": " + hash.error().message);
        return false;
    }
    item.media.object = *hash;
    item.media.size = size;
    return true;
}

// What step 3 wrote so far, removed again when it fails.
struct Written {
    std::vector<fs::path> created;
    std::uint64_t new_bytes = 0;
    void undo() const {
        std::error_code ec;
        for (const auto& p : created)
            fs::remove(p, ec);
    }
};

// 3a. The objects SITE does not hold yet: media copied, captions written.
Result<void> write_objects(const fs::path& objects, const Channel& channel,
                           const std::vector<CaptionObject>& captions, Written& written) {
    std::error_code ec;
    for (const Item& item : channel.items) {
        if (item.type == ItemType::Slide)
            continue;
        const fs::path object = objects / item.media.object;
        if (fs::exists(object, ec) && fs::file_size(object, ec) == item.media.size)
            continue;
        if (auto r = copy_object(item.file, object); !r)
            return r;
        written.created.push_back(object);
        written.new_bytes += item.media.size;
    }
    if (channel.system) {
        const fs::path object = objects / channel.system->object;
        if (!fs::exists(object, ec) || fs::file_size(object, ec) != channel.system->size) {
            if (auto r = copy_object(channel.system->file, object); !r)
                return r;
            written.created.push_back(object);
            written.new_bytes += channel.system->size;
        }
    }
    return write_caption_objects(captions, objects, written.created, written.new_bytes);
}

// 3. New objects, then the signature, then the manifest: a screen polling now
// sees the old channel or the new one, whole. On a failure what was written goes.
int publish(const fs::path& site, const fs::path& manifest_path, const Channel& channel,
            const std::string& manifest, const std::vector<CaptionObject>& captions,
            const MinisignSecretKey& key) {
    std::error_code ec;
    fs::create_directories(site / "objects", ec);
    fs::create_directories(manifest_path.parent_path(), ec);
    Written written;
    const std::string comment = "timestamp:" + channel.published + "\tchannel:" + channel.name +
                                "\tsequence:" + std::to_string(channel.sequence);
    Result<void> r = write_objects(site / "objects", channel, captions, written);
    if (r)
        r = write_file_atomically(manifest_path.string() + ".minisig",
                                  minisign_sign(key, manifest, comment));
    if (r)
        r = write_file_atomically(manifest_path, manifest);
    if (!r) {
        log::error(r.error().message);
        written.undo();
        return 1;
    }
    const std::string system = channel.system ? ", system " + channel.system->version + " (" +
                                                    channel.system->compatible + ")"
                                              : "";
    std::printf("%s: channel \"%s\", sequence %lld, %zu items%s, %zu new objects (%s)\n",
                manifest_path.c_str(), channel.name.c_str(),
                static_cast<long long>(channel.sequence), channel.items.size(), system.c_str(),
                written.created.size(), human_bytes(written.new_bytes).c_str());
    return 0;
}

} // namespace

int build(const Args& a) {
    if (a.positional.size() != 1 || !a.options.count("secret-key") || !a.options.count("out"))
        return usage_error("build: SOURCE.toml, --secret-key FILE and --out SITE are required");
    int status = 0;
    const auto key = signing_key(a, status);
    if (!key)
        return status;
    auto source = read_source(a.positional[0]);
    if (!source)
        return 2;
    Channel& channel = *source;
    const fs::path site = a.options.at("out");
    const fs::path manifest_path = site / "channels" / channel.name / "manifest.json";
    const SequenceChoice choice = next_sequence(a, manifest_path);
    if (choice.refused)
        return choice.refused;

    std::vector<CaptionObject> captions;
    if (const int refused = check_items(channel, captions)) {
        log::error(std::to_string(refused) + " item(s) refused; nothing was written to " +
                   site.string());
        return 1;
    }
    for (Item& item : channel.items)
        if (item.type != ItemType::Slide && !hash_item(item))
            return 1;
    if (a.options.count("system-bundle")) {
        channel.system =
            read_system_bundle(a.options.at("system-bundle"), a.options.count("allow-downgrade"));
        if (!channel.system) {
            log::error("nothing was written to " + site.string());
            return 1;
        }
    } else if (a.options.count("allow-downgrade")) {
        return usage_error("--allow-downgrade goes with --system-bundle FILE");
    }
    channel.sequence = choice.sequence;
    channel.published = format_rfc3339_utc(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    const std::string manifest = manifest_json(channel);
    if (manifest.size() > kMaxManifestBytes) {
        log::error("the manifest would be " + human_bytes(manifest.size()) +
                   ", over the 4 MiB screens accept: split the channel");
        return 1;
    }
    return publish(site, manifest_path, channel, manifest, captions, *key);
}

} // namespace milepost::pack
