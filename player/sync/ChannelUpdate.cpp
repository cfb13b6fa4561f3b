#include "ChannelUpdate.hpp"

#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/Minisign.hpp"
#include "core/Url.hpp"
#include "store/Files.hpp"

#include <chrono>
#include <cstdio>
#include <map>

namespace milepost {

namespace fs = std::filesystem;

namespace {

std::string megabytes(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return buf;
}

// Progress for a long download, logged every few seconds rather than per byte.
class ProgressLog {
public:
    ProgressLog(std::string what, std::uint64_t total) : m_what(std::move(what)), m_total(total) {}
    void add(std::uint64_t bytes) {
        m_done += bytes;
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last >= std::chrono::seconds(10) && m_total > 0) {
            m_last = now;
            log::info(m_what + ": " + std::to_string(m_done * 100 / m_total) + "% (" +
                      megabytes(m_done) + " of " + megabytes(m_total) + ")");
        }
    }

private:
    std::string m_what;
    std::uint64_t m_total;
    std::uint64_t m_done = 0;
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

} // namespace

std::string join_url(const std::string& base, const std::string& path) {
    return base.ends_with('/') ? base + path : base + "/" + path;
}

Result<UpdateReport> update_channel(HttpClient& http, ContentStore& store,
                                    const DeviceConfig::Content& content,
                                    const std::function<void()>& tick) {
    auto key = minisign_parse_public_key(content.public_key);
    if (!key)
        return Error{"[content] public_key: " + key.error().message};

    // What is on screen now. A damaged active channel counts as none: anything
    // valid from the server is better.
    std::optional<StoredChannel> active;
    if (auto a = store.active(content.public_key)) {
        if (*a && (*a)->channel.name == content.channel)
            active = std::move(**a);
        else if (!*a)
            log::warn("active channel: " + a->error().message + "; replacing it");
    }

    // An object of the active version gone from the card (a file system repair after
    // a power cut): the manifest is fetched in full and the object again.
    std::size_t active_missing = 0;
    if (active)
        for (const Item& item : active->channel.items)
            if (!item.media.object.empty() && !store.has_object(item.media.object, item.media.size))
                ++active_missing;

    const std::string manifest_url =
        join_url(content.server, "channels/" + content.channel + "/manifest.json");
    const std::string shown_url = redact_url(manifest_url); // for the log and status
    auto got = http.get(manifest_url, kMaxManifestBytes,
                        active && active_missing == 0 ? active->etag : std::string());
    if (!got)
        return got.error();
    UpdateReport report;
    report.bytes_fetched = got->body_bytes;
    if (got->status == 304 && active) {
        report.sequence = active->channel.sequence;
        report.summary = "channel \"" + content.channel + "\" sequence " +
                         std::to_string(report.sequence) + " is up to date";
        return report;
    }
    if (got->status != 200)
        return Error{shown_url + ": HTTP " + std::to_string(got->status)};
    auto signature = http.get(manifest_url + ".minisig", kMaxSignatureBytes);
    if (!signature)
        return signature.error();
    report.bytes_fetched += signature->body_bytes;

    // Nothing of the manifest is believed before its signature is.
    if (auto ok = minisign_verify(*key, got->body, signature->body); !ok)
        return Error{shown_url + ": " + ok.error().message};
    Channel channel;
    bool repair = false; // the active version, its missing objects fetched again
    try {
        channel = parse_manifest(got->body, store.objects_dir(), shown_url);
    } catch (const ConfigError& e) {
        return Error{e.message};
    }
    if (channel.name != content.channel)
        return Error{shown_url + ": the manifest is for channel \"" + channel.name + "\", not \"" +
                     content.channel + "\""};
    // The floor comes from the folder names too, so that a damaged active version
    // does not let an older one in; it is this key's floor, so that a fleet given a
    // new key (the old one leaked or retired) is not held by what the old one signed.
    if (const auto floor = store.sequence_floor(content.channel, key->key_id);
        channel.sequence < floor)
        return Error{shown_url + ": sequence " + std::to_string(channel.sequence) +
                     " is older than the active " + std::to_string(floor) +
                     ": refused (a rollback)"};
    if (active) {
        const auto have = active->channel.sequence;
        if (channel.sequence < have)
            return Error{shown_url + ": sequence " + std::to_string(channel.sequence) +
                         " is older than the active " + std::to_string(have) +
                         ": refused (a rollback)"};
        if (channel.sequence == have) {
            // The same version; remember the new ETag so that the next poll is a 304.
            if (!got->etag.empty() && got->etag != active->etag)
                write_file_atomically(active->folder / "etag", got->etag);
            report.sequence = have;
            report.summary = "channel \"" + content.channel + "\" sequence " +
                             std::to_string(have) + " is up to date";
            if (active_missing == 0)
                return report;
            log::warn("active channel: " + std::to_string(active_missing) + " object" +
                      (active_missing == 1 ? " is" : "s are") + " missing from " +
                      store.objects_dir().string() + "; fetching again");
            repair = true;
            channel = active->channel; // what it signed is what the screen plays
        }
    }

    // Room: the new version's objects beside the active one's, within the budget.
    const std::uint64_t budget = store.budget(content.max_cache_mb);
    const std::uint64_t needed = object_bytes(channel, active ? &active->channel : nullptr);
    if (needed > budget)
        return Error{"channel \"" + channel.name + "\" sequence " +
                     std::to_string(channel.sequence) + " needs " +
                     megabytes(object_bytes(channel)) +
                     (active ? " beside the " + megabytes(object_bytes(active->channel)) +
                                   " of the active channel"
                             : std::string()) +
                     "; the cache budget is " + megabytes(budget) +
                     " ([content] max_cache_mb, with " + megabytes(store.reserve()) +
                     " of the disk kept free for the play log): refused, the active channel "
                     "stays"};
    std::map<std::string, std::pair<std::uint64_t, std::string>> missing; // object -> size, item
    std::uint64_t missing_bytes = 0;
    for (const Item& item : channel.items) {
        const auto& m = item.media;
        if (m.object.empty() || store.has_object(m.object, m.size) || missing.count(m.object))
            continue;
        missing[m.object] = {m.size, item.id};
        std::error_code ec;
        const auto partial = fs::file_size(store.partial_path(m.object), ec);
        missing_bytes += m.size - (!ec && partial <= m.size ? partial : 0);
    }
    std::set<std::string> wanted = objects_of(channel);
    if (store.bytes_used() + missing_bytes > budget ||
        store.free_space() < missing_bytes + store.reserve()) {
        // The previous version goes first; what is on screen never does.
        if (auto freed = store.collect_garbage(wanted, ContentStore::Keep::ActiveOnly))
            log::info("freed " + megabytes(freed) + " of older channel versions");
    }
    // What the play log needs stays free, whatever the budget says.
    if (store.free_space() < missing_bytes + store.reserve())
        return Error{store.data_dir().string() + ": " + megabytes(store.free_space()) +
                     " free, channel \"" + channel.name + "\" sequence " +
                     std::to_string(channel.sequence) + " needs " + megabytes(missing_bytes) +
                     " more and " + megabytes(store.reserve()) +
                     " stay free for the play log ([logs] max_db_mb): refused, the active "
                     "channel stays"};

    const std::string what =
        "channel \"" + channel.name + "\" sequence " + std::to_string(channel.sequence);
    if (!missing.empty())
        log::info(what + ": fetching " + std::to_string(missing.size()) + " object" +
                  (missing.size() == 1 ? "" : "s") + ", " + megabytes(missing_bytes));
    ProgressLog progress(what, missing_bytes);
    for (const auto& [object, facts] : missing) {
        const auto& [size, item] = facts;
        const fs::path partial = store.partial_path(object);
        const std::string url = join_url(content.server, "objects/" + object);
        // Two tries: a damaged partial file (or a resumed download that went
        // wrong) is thrown away and fetched once more from the start.
        for (int attempt = 0;; ++attempt) {
            std::error_code ec;
            auto have = fs::file_size(partial, ec);
            if (ec)
                have = 0;
            if (have > size) {
                fs::remove(partial, ec);
                have = 0;
            }
            if (have < size) {
                std::uint64_t last = have;
                auto r = http.download(url, partial, size, [&](std::uint64_t now) {
                    progress.add(now > last ? now - last : 0);
                    last = now;
                    if (tick)
                        tick();
                });
                if (r)
                    report.bytes_fetched += r->body_bytes;
                if (!r) {
                    // A 416: the partial file and the server disagree; start over next time.
                    if (r.error().message.ends_with("HTTP 416"))
                        fs::remove(partial, ec);
                    return Error{"item \"" + item + "\": " + r.error().message};
                }
            }
            auto stored = store.commit_object(object, size, tick);
            if (stored)
                break;
            if (attempt == 1)
                return Error{"item \"" + item + "\": " + redact_url(url) + ": " +
                             stored.error().message};
            log::warn("item \"" + item + "\": " + stored.error().message + "; fetching it again");
        }
        if (tick)
            tick();
    }

    if (repair) {
        report.summary += "; " + megabytes(report.bytes_fetched) + " fetched to repair it";
        return report;
    }
    auto folder = store.install_channel(channel, got->body, signature->body, got->etag);
    if (!folder)
        return folder.error();
    if (auto r = store.activate(*folder); !r)
        return r.error();
    const auto freed = store.collect_garbage();
    report.outcome = UpdateOutcome::Updated;
    report.sequence = channel.sequence;
    report.summary = what + " is active: " + std::to_string(channel.items.size()) + " items, " +
                     megabytes(report.bytes_fetched) + " fetched" +
                     (freed ? ", " + megabytes(freed) + " of old objects deleted" : "");
    return report;
}

} // namespace milepost
