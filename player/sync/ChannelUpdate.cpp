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

Result<std::uint64_t> download_resumed(HttpClient& http, const std::string& url,
                                       const fs::path& partial, std::uint64_t size,
                                       const std::function<void(std::uint64_t)>& progress) {
    std::error_code ec;
    auto have = fs::file_size(partial, ec);
    if (ec)
        have = 0;
    if (have > size) {
        fs::remove(partial, ec);
        have = 0;
    }
    if (have == size)
        return std::uint64_t{0};
    std::uint64_t last = have;
    auto r = http.download(url, partial, size, [&](std::uint64_t now) {
        if (progress)
            progress(now > last ? now - last : 0);
        last = now;
    });
    if (!r) {
        // A 416: the partial file and the server disagree; start over next time.
        if (r.error().message.ends_with("HTTP 416"))
            fs::remove(partial, ec);
        return r.error();
    }
    return r->body_bytes;
}

namespace {

// The objects a version needs that the store lacks: object -> its size and an item
// that names it, and the bytes still to fetch (partial files counted).
struct MissingObjects {
    std::map<std::string, std::pair<std::uint64_t, std::string>> objects;
    std::uint64_t bytes = 0;
};

// One run of update_channel, as named steps: fetch the verified manifest, refuse a
// rollback, make room, fetch the objects, install and activate.
class UpdateRun {
public:
    UpdateRun(HttpClient& http, ContentStore& store, const DeviceConfig::Content& content,
              const std::function<void()>& tick)
        : m_http(http), m_store(store), m_content(content), m_tick(tick) {}
    Result<UpdateReport> run();

private:
    void read_active();
    Result<bool> fetch_verified_manifest(const MinisignPublicKey& key);
    Result<bool> refuse_rollback(const MinisignPublicKey& key);
    Result<MissingObjects> make_room();
    Result<void> fetch_objects(const MissingObjects& missing);
    Result<void> fetch_object(const std::string& object, std::uint64_t size,
                              const std::string& item, ProgressLog& progress);
    Result<UpdateReport> install_and_activate();
    std::string up_to_date(std::int64_t sequence) const {
        return "channel \"" + m_content.channel + "\" sequence " + std::to_string(sequence) +
               " is up to date";
    }
    std::string what() const {
        return "channel \"" + m_channel.name + "\" sequence " + std::to_string(m_channel.sequence);
    }

    HttpClient& m_http;
    ContentStore& m_store;
    const DeviceConfig::Content& m_content;
    const std::function<void()>& m_tick;
    UpdateReport m_report;
    std::optional<StoredChannel> m_active; // what is on screen now
    std::size_t m_active_missing = 0;      // its objects gone from the card
    std::string m_url, m_shown_url;        // the manifest's; shown_url without secrets
    HttpResponse m_manifest, m_signature;
    Channel m_channel;     // what the manifest says
    bool m_repair = false; // the active version, its missing objects fetched again
};

Result<UpdateReport> UpdateRun::run() {
    auto key = minisign_parse_public_key(m_content.public_key);
    if (!key)
        return Error{"[content] public_key: " + key.error().message};
    read_active();
    auto fetched = fetch_verified_manifest(*key);
    if (!fetched)
        return fetched.error();
    if (!*fetched)
        return m_report; // 304: unchanged
    auto go_on = refuse_rollback(*key);
    if (!go_on)
        return go_on.error();
    if (!*go_on)
        return m_report; // the same version, whole
    auto missing = make_room();
    if (!missing)
        return missing.error();
    if (auto fetched_all = fetch_objects(*missing); !fetched_all)
        return fetched_all.error();
    if (m_repair) {
        m_report.summary += "; " + megabytes(m_report.bytes_fetched) + " fetched to repair it";
        return m_report;
    }
    return install_and_activate();
}

// What is on screen now. A damaged active channel counts as none: anything valid
// from the server is better. An object of it gone from the card (a file system
// repair after a power cut): the manifest is fetched in full and the object again.
void UpdateRun::read_active() {
    if (auto a = m_store.active(m_content.public_key)) {
        if (*a && (*a)->channel.name == m_content.channel)
            m_active = std::move(**a);
        else if (!*a)
            log::warn("active channel: " + a->error().message + "; replacing it");
    }
    if (m_active)
        for (const Item& item : m_active->channel.items)
            for (const ObjectRef& o : item_objects(item))
                if (!m_store.has_object(o.object, o.size))
                    ++m_active_missing;
}

// The manifest and its signature; nothing of it is believed before its signature
// is. Returns false on a 304 (the report says up to date).
Result<bool> UpdateRun::fetch_verified_manifest(const MinisignPublicKey& key) {
    m_url = join_url(m_content.server, "channels/" + m_content.channel + "/manifest.json");
    m_shown_url = redact_url(m_url);
    auto got = m_http.get(m_url, kMaxManifestBytes,
                          m_active && m_active_missing == 0 ? m_active->etag : std::string());
    if (!got)
        return got.error();
    m_report.bytes_fetched = got->body_bytes;
    if (got->status == 304 && m_active) {
        m_report.sequence = m_active->channel.sequence;
        m_report.summary = up_to_date(m_report.sequence);
        return false;
    }
    if (got->status != 200)
        return Error{m_shown_url + ": HTTP " + std::to_string(got->status)};
    auto signature = m_http.get(m_url + ".minisig", kMaxSignatureBytes);
    if (!signature)
        return signature.error();
    m_report.bytes_fetched += signature->body_bytes;
    if (auto ok = minisign_verify(key, got->body, signature->body); !ok)
        return Error{m_shown_url + ": " + ok.error().message};
    m_manifest = std::move(*got);
    m_signature = std::move(*signature);
    try {
        m_channel = parse_manifest(m_manifest.body, m_store.objects_dir(), m_shown_url);
    } catch (const ConfigError& e) {
        return Error{e.message};
    }
    if (m_channel.name != m_content.channel)
        return Error{m_shown_url + ": the manifest is for channel \"" + m_channel.name +
                     "\", not \"" + m_content.channel + "\""};
    return true;
}

// An older sequence is refused. Returns false when the manifest is the active
// version and nothing of it is missing (the report says up to date).
Result<bool> UpdateRun::refuse_rollback(const MinisignPublicKey& key) {
    auto refused = [&](std::int64_t floor) {
        return Error{m_shown_url + ": sequence " + std::to_string(m_channel.sequence) +
                     " is older than the active " + std::to_string(floor) +
                     ": refused (a rollback)"};
    };
    // The floor comes from the folder names too, so that a damaged active version
    // does not let an older one in; it is this key's floor, so that a fleet given a
    // new key (the old one leaked or retired) is not held by what the old one signed.
    if (const auto floor = m_store.sequence_floor(m_content.channel, key.key_id);
        m_channel.sequence < floor)
        return refused(floor);
    if (!m_active)
        return true;
    const auto have = m_active->channel.sequence;
    if (m_channel.sequence < have)
        return refused(have);
    if (m_channel.sequence > have)
        return true;
    // The same version; remember the new ETag so that the next poll is a 304.
    if (!m_manifest.etag.empty() && m_manifest.etag != m_active->etag)
        write_file_atomically(m_active->folder / "etag", m_manifest.etag);
    m_report.sequence = have;
    m_report.summary = up_to_date(have);
    if (m_active_missing == 0)
        return false;
    log::warn("active channel: " + std::to_string(m_active_missing) + " object" +
              (m_active_missing == 1 ? " is" : "s are") + " missing from " +
              m_store.objects_dir().string() + "; fetching again");
    m_repair = true;
    m_channel = m_active->channel; // what it signed is what the screen plays
    return true;
}

// Room: the new version's objects beside the active one's, within the budget, and
// what the play log needs stays free, whatever the budget says.
Result<MissingObjects> UpdateRun::make_room() {
    const StoredChannel* active = m_active ? &*m_active : nullptr;
    const std::uint64_t budget = m_store.budget(m_content.max_cache_mb);
    const std::uint64_t needed = object_bytes(m_channel, active ? &active->channel : nullptr);
    if (needed > budget)
        return Error{what() + " needs " + megabytes(object_bytes(m_channel)) +
                     (active ? " beside the " + megabytes(object_bytes(active->channel)) +
                                   " of the active channel"
                             : std::string()) +
                     "; the cache budget is " + megabytes(budget) +
                     " ([content] max_cache_mb, with " + megabytes(m_store.reserve()) +
                     " of the disk kept free for the play log): refused, the active channel "
                     "stays"};
    MissingObjects missing;
    for (const Item& item : m_channel.items)
        for (const ObjectRef& m : item_objects(item)) {
            if (m_store.has_object(m.object, m.size) || missing.objects.count(m.object))
                continue;
            missing.objects[m.object] = {m.size, item.id};
            std::error_code ec;
            const auto partial = fs::file_size(m_store.partial_path(m.object), ec);
            missing.bytes += m.size - (!ec && partial <= m.size ? partial : 0);
        }
    if (m_store.bytes_used() + missing.bytes > budget ||
        m_store.free_space() < missing.bytes + m_store.reserve()) {
        // The previous version goes first; what is on screen never does.
        if (auto freed =
                m_store.collect_garbage(objects_of(m_channel), ContentStore::Keep::ActiveOnly))
            log::info("freed " + megabytes(freed) + " of older channel versions");
    }
    if (m_store.free_space() < missing.bytes + m_store.reserve())
        return Error{m_store.data_dir().string() + ": " + megabytes(m_store.free_space()) +
                     " free, " + what() + " needs " + megabytes(missing.bytes) + " more and " +
                     megabytes(m_store.reserve()) +
                     " stay free for the play log ([logs] max_db_mb): refused, the active "
                     "channel stays"};
    return missing;
}

Result<void> UpdateRun::fetch_objects(const MissingObjects& missing) {
    if (!missing.objects.empty())
        log::info(what() + ": fetching " + std::to_string(missing.objects.size()) + " object" +
                  (missing.objects.size() == 1 ? "" : "s") + ", " + megabytes(missing.bytes));
    ProgressLog progress(what(), missing.bytes);
    for (const auto& [object, facts] : missing.objects) {
        if (auto r = fetch_object(object, facts.first, facts.second, progress); !r)
            return r;
        if (m_tick)
            m_tick();
    }
    return {};
}

// Two tries: a damaged partial file (or a resumed download that went wrong) is
// thrown away and fetched once more from the start.
Result<void> UpdateRun::fetch_object(const std::string& object, std::uint64_t size,
                                     const std::string& item, ProgressLog& progress) {
    const fs::path partial = m_store.partial_path(object);
    const std::string url = join_url(m_content.server, "objects/" + object);
    for (int attempt = 0;; ++attempt) {
        auto r = download_resumed(m_http, url, partial, size, [&](std::uint64_t fetched) {
            progress.add(fetched);
            if (m_tick)
                m_tick();
        });
        if (!r)
            return Error{"item \"" + item + "\": " + r.error().message};
        m_report.bytes_fetched += *r;
        auto stored = m_store.commit_object(object, size, m_tick);
        if (stored)
            return {};
        if (attempt == 1)
            return Error{"item \"" + item + "\": " + redact_url(url) + ": " +
                         stored.error().message};
        log::warn("item \"" + item + "\": " + stored.error().message + "; fetching it again");
    }
}

Result<UpdateReport> UpdateRun::install_and_activate() {
    auto folder =
        m_store.install_channel(m_channel, m_manifest.body, m_signature.body, m_manifest.etag);
    if (!folder)
        return folder.error();
    if (auto r = m_store.activate(*folder); !r)
        return r.error();
    const auto freed = m_store.collect_garbage();
    m_report.outcome = UpdateOutcome::Updated;
    m_report.sequence = m_channel.sequence;
    m_report.summary = what() + " is active: " + std::to_string(m_channel.items.size()) +
                       " items, " + megabytes(m_report.bytes_fetched) + " fetched" +
                       (freed ? ", " + megabytes(freed) + " of old objects deleted" : "");
    return m_report;
}

} // namespace

Result<UpdateReport> update_channel(HttpClient& http, ContentStore& store,
                                    const DeviceConfig::Content& content,
                                    const std::function<void()>& tick) {
    return UpdateRun(http, store, content, tick).run();
}

} // namespace milepost
