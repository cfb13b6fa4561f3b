#include "ContentStore.hpp"

#include "Files.hpp"
#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/Minisign.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

namespace milepost {

namespace fs = std::filesystem;

namespace {

constexpr const char* kActive = "active";
constexpr const char* kPrevious = "previous";
constexpr const char* kBudgetFile = "cache-budget";

std::string system_error(const std::error_code& ec) {
    return ec.message();
}

// A channel folder's name: "<sequence>-<name>".
std::string folder_name(const Channel& c) {
    return std::to_string(c.sequence) + "-" + c.name;
}

// The channel a folder of an older Milepost, "12-news.2", holds: "news" (its
// second copy) or "news.2" (a channel of that name). Its manifest says, when it
// can be read; else the name is taken whole.
std::string legacy_channel(const fs::path& folder, const std::string& rest) {
    const auto dot = rest.rfind('.');
    if (dot == std::string::npos || dot + 1 == rest.size() ||
        rest.find_first_not_of("0123456789", dot + 1) != std::string::npos)
        return rest;
    auto text = read_file(folder / "manifest.json", kMaxManifestBytes);
    if (!text)
        return rest;
    try {
        const std::string name = parse_manifest(*text, {}, "").name;
        return name == rest.substr(0, dot) ? name : rest;
    } catch (const ConfigError&) {
        return rest;
    }
}

// The objects a stored manifest names, read without checking its signature
// (garbage collection only needs to know what to keep). nullopt when unreadable.
std::optional<std::set<std::string>> objects_in(const fs::path& folder) {
    auto text = read_file(folder / "manifest.json", kMaxManifestBytes);
    if (!text)
        return std::nullopt;
    try {
        return objects_of(parse_manifest(*text, {}, (folder / "manifest.json").string()));
    } catch (const ConfigError&) {
        return std::nullopt;
    }
}

// The sequence in a channel folder's name when it holds `channel`: "12-news" or
// "12-news+2" -> 12 for "news", never for "news.tx" (channel names hold dots,
// never a '+'). nullopt for another channel, or a sequence no manifest may have
// (a folder from before the bound: counting it would refuse every update).
std::optional<std::int64_t> folder_sequence(const fs::path& folder, const std::string& channel) {
    const std::string name = folder.filename().string();
    const auto dash = name.find('-');
    if (dash == std::string::npos || dash == 0 || dash > 16 ||
        name.find_first_not_of("0123456789") != dash)
        return std::nullopt;
    std::string rest = name.substr(dash + 1);
    if (const auto plus = rest.find('+'); plus != std::string::npos)
        rest.resize(plus);
    else
        rest = legacy_channel(folder, rest);
    if (rest != channel)
        return std::nullopt;
    const std::int64_t sequence = std::stoll(name.substr(0, dash)); // at most 16 digits
    if (sequence < 1 || sequence > kMaxSequence)
        return std::nullopt;
    return sequence;
}

// A pointer counts only when the data folder's owner (milepost-sync) made it: the
// player's group may create files there, and a pointer it planted before sync's
// first one (a new data partition) would choose what plays, or, named like a
// channel of sequence 999999999, raise the rollback floor for good.
bool made_by_folder_owner(const fs::path& data_dir, const char* name) {
    struct stat link;
    struct stat folder;
    return ::lstat((data_dir / name).c_str(), &link) == 0 &&
           ::stat(data_dir.c_str(), &folder) == 0 && link.st_uid == folder.st_uid;
}

} // namespace

std::set<std::string> objects_of(const Channel& channel) {
    std::set<std::string> out;
    for (const Item& item : channel.items)
        for (const ObjectRef& o : item_objects(item))
            out.insert(o.object);
    return out;
}

std::uint64_t object_bytes(const Channel& channel, const Channel* also) {
    std::map<std::string, std::uint64_t> sizes;
    for (const Channel* c : {&channel, also})
        if (c)
            for (const Item& item : c->items)
                for (const ObjectRef& o : item_objects(item))
                    sizes[o.object] = o.size;
    std::uint64_t total = 0;
    for (const auto& [name, size] : sizes)
        total += size;
    return total;
}

std::string active_target(const fs::path& data_dir) {
    std::error_code ec;
    fs::path t = fs::read_symlink(data_dir / kActive, ec);
    return ec || !made_by_folder_owner(data_dir, kActive) ? std::string() : t.string();
}

Result<ContentStore> ContentStore::open(const fs::path& data_dir, Access access) {
    std::error_code ec;
    if (access == Access::ReadOnly) {
        if (!fs::is_directory(data_dir, ec))
            return Error{data_dir.string() + ": no such folder"};
        return ContentStore(data_dir, -1);
    }
    for (const char* sub : {"objects", "partial", "channels"}) {
        fs::create_directories(data_dir / sub, ec);
        if (ec)
            return Error{(data_dir / sub).string() + ": cannot create: " + system_error(ec)};
    }
    // One writer at a time: a daemon and an operator's --once would otherwise
    // append to the same download and delete each other's new version. The
    // kernel drops the lock when the process dies, kill -9 included.
    // The lock is sync's alone (0600): the player's group may create files in the
    // data folder, and a lock it could open it could hold, and stop every update.
    // One that is not ours, or not a plain file, is replaced (the folder is ours).
    const fs::path lock = data_dir / "sync.lock";
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (struct stat st{}; fd < 0 || ::fstat(fd, &st) != 0 || st.st_uid != ::geteuid()) {
        if (fd >= 0)
            ::close(fd);
        ::unlink(lock.c_str());
        fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return Error{lock.string() + ": cannot open: " + std::strerror(errno)};
    ::fchmod(fd, 0600); // one made before the two users was 0644
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return Error{data_dir.string() + ": another milepost-sync is updating it (" +
                     lock.string() + " is locked)"};
    }
    ContentStore store(data_dir, fd);
    // Leftovers of a run killed half way: temporary pointers and channel folders.
    for (const char* name : {"active.tmp", "previous.tmp"})
        fs::remove(data_dir / name, ec);
    for (const auto& entry : fs::directory_iterator(data_dir / "channels", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("."))
            fs::remove_all(entry.path(), ec);
    }
    return store;
}

ContentStore::ContentStore(ContentStore&& other) noexcept
    : m_dir(std::move(other.m_dir)), m_lock(std::exchange(other.m_lock, -1)),
      m_reserve(other.m_reserve), m_budget_lowered(other.m_budget_lowered) {}

ContentStore& ContentStore::operator=(ContentStore&& other) noexcept {
    if (this != &other) {
        if (m_lock >= 0)
            ::close(m_lock);
        m_dir = std::move(other.m_dir);
        m_lock = std::exchange(other.m_lock, -1);
        m_reserve = other.m_reserve;
        m_budget_lowered = other.m_budget_lowered;
    }
    return *this;
}

ContentStore::~ContentStore() {
    if (m_lock >= 0)
        ::close(m_lock); // and with it the lock
}

fs::path ContentStore::object_path(const std::string& sha256) const {
    return m_dir / "objects" / sha256;
}

fs::path ContentStore::partial_path(const std::string& sha256) const {
    return m_dir / "partial" / sha256;
}

bool ContentStore::has_object(const std::string& sha256, std::uint64_t size) const {
    std::error_code ec;
    return fs::file_size(object_path(sha256), ec) == size && !ec;
}

std::optional<fs::path> ContentStore::target(const char* name) const {
    std::error_code ec;
    fs::path t = fs::read_symlink(m_dir / name, ec);
    // Only ever "channels/<folder>": anything else was not made by this store.
    if (ec || t.parent_path() != "channels" || t.filename().string().starts_with("."))
        return std::nullopt;
    if (!made_by_folder_owner(m_dir, name))
        return std::nullopt;
    return m_dir / t;
}

std::optional<Result<StoredChannel>> ContentStore::pointed(const char* name,
                                                           const std::string& public_key) const {
    auto folder = target(name);
    if (!folder)
        return std::nullopt;
    return read_stored_channel(*folder, objects_dir(), public_key);
}

Result<StoredChannel> read_stored_channel(const fs::path& folder, const fs::path& objects,
                                          const std::string& public_key) {
    StoredChannel s;
    s.folder = folder;
    try {
        s.channel = load_published_channel(folder, objects, public_key, s.note);
    } catch (const ConfigError& e) {
        return Error{e.message};
    }
    if (auto etag = read_file(folder / "etag", 1024))
        s.etag = *etag;
    return s;
}

std::optional<Result<StoredChannel>> ContentStore::active(const std::string& public_key) const {
    return pointed(kActive, public_key);
}

std::optional<Result<StoredChannel>> ContentStore::previous(const std::string& public_key) const {
    return pointed(kPrevious, public_key);
}

Result<void> ContentStore::commit_object(const std::string& sha256, std::uint64_t size,
                                         const std::function<void()>& tick) {
    const fs::path partial = partial_path(sha256);
    std::error_code ec;
    const auto have = fs::file_size(partial, ec);
    if (ec)
        return Error{partial.string() + ": " + system_error(ec)};
    if (have != size) {
        if (have > size)
            fs::remove(partial, ec);
        return Error{"object " + sha256 + ": " + std::to_string(have) +
                     " bytes, the manifest says " + std::to_string(size)};
    }
    auto hash = sha256_file(partial, [&](std::uint64_t) {
        if (tick)
            tick();
    });
    if (!hash)
        return hash.error();
    if (*hash != sha256) {
        fs::remove(partial, ec);
        return Error{"object " + sha256 + ": its SHA-256 is " + *hash +
                     ": damaged or not the file "
                     "the manifest names; deleted"};
    }
    if (auto r = sync_file(partial); !r)
        return r;
    if (::rename(partial.c_str(), object_path(sha256).c_str()) != 0)
        return Error{object_path(sha256).string() + ": cannot store: " + std::strerror(errno)};
    return sync_directory(objects_dir());
}

Result<fs::path> ContentStore::install_channel(const Channel& channel, std::string_view manifest,
                                               std::string_view signature, std::string_view etag) {
    const fs::path channels = m_dir / "channels";
    std::error_code ec;
    // A leftover of a killed run is replaced; a folder the active or previous
    // pointer names never is (the same version fetched again gets a new name).
    auto in_use = [&](const std::string& folder) {
        for (const char* link : {kActive, kPrevious})
            if (auto t = target(link); t && t->filename() == folder)
                return true;
        return false;
    };
    std::string name = folder_name(channel);
    for (int n = 2; fs::exists(channels / name, ec) || fs::is_symlink(channels / name, ec); ++n) {
        if (!in_use(name)) {
            fs::remove_all(channels / name, ec);
            break;
        }
        name = folder_name(channel) + "+" + std::to_string(n);
    }
    const fs::path final = channels / name;
    const fs::path tmp = channels / ("." + name + ".tmp");
    fs::remove_all(tmp, ec);
    if (!fs::create_directory(tmp, ec))
        return Error{tmp.string() + ": cannot create: " + system_error(ec)};
    for (auto [file, data] : {std::pair{"manifest.json", manifest},
                              {"manifest.json.minisig", signature},
                              {"etag", etag}})
        if (auto r = write_file_atomically(tmp / file, data); !r)
            return r.error();
    if (::rename(tmp.c_str(), final.c_str()) != 0)
        return Error{final.string() + ": cannot create: " + std::strerror(errno)};
    if (auto r = sync_directory(channels); !r)
        return r.error();
    return final;
}

Result<void> ContentStore::point(const char* name, const fs::path& folder) {
    const fs::path link = m_dir / name;
    const fs::path tmp = m_dir / (std::string(name) + ".tmp");
    ::unlink(tmp.c_str());
    const fs::path relative = fs::path("channels") / folder.filename();
    if (::symlink(relative.c_str(), tmp.c_str()) != 0)
        return Error{tmp.string() + ": cannot create: " + std::strerror(errno)};
    if (::rename(tmp.c_str(), link.c_str()) != 0)
        return Error{link.string() + ": cannot replace: " + std::strerror(errno)};
    return sync_directory(m_dir);
}

Result<void> ContentStore::activate(const fs::path& folder) {
    if (auto old = target(kActive); old && old->filename() != folder.filename())
        if (auto r = point(kPrevious, *old); !r)
            return r;
    return point(kActive, folder);
}

std::uint64_t ContentStore::collect_garbage(const std::set<std::string>& keep, Keep which) {
    std::error_code ec;
    std::set<std::string> folders, objects = keep;
    bool all_known = true; // every kept version's objects are known
    for (const char* name : {kActive, kPrevious})
        if (auto t = target(name); t && (name == kActive || which == Keep::ActiveAndPrevious)) {
            folders.insert(t->filename().string());
            if (auto used = objects_in(*t))
                objects.merge(*used);
            else if (fs::exists(*t, ec))
                all_known = false; // there but unreadable: better keep too much
        }
    std::uint64_t freed = 0;
    auto remove = [&](const fs::path& p) {
        std::error_code e;
        const auto size = fs::is_regular_file(p, e) ? fs::file_size(p, e) : 0;
        if (fs::remove_all(p, e) > 0 && !e)
            freed += size;
    };
    for (const auto& entry : fs::directory_iterator(m_dir / "channels", ec))
        if (!folders.count(entry.path().filename().string()))
            remove(entry.path());
    if (all_known)
        for (const char* sub : {"objects", "partial"})
            for (const auto& entry : fs::directory_iterator(m_dir / sub, ec))
                if (!objects.count(entry.path().filename().string()))
                    remove(entry.path());
    if (freed > 0)
        sync_directory(objects_dir());
    return freed;
}

std::uint64_t ContentStore::bytes_used() const {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const char* sub : {"objects", "partial"})
        for (const auto& entry : fs::directory_iterator(m_dir / sub, ec)) {
            std::error_code e;
            const auto size = entry.is_regular_file(e) ? entry.file_size(e) : 0;
            if (!e)
                total += size;
        }
    return total;
}

std::uint64_t ContentStore::free_space() const {
    struct statvfs s {};
    if (::statvfs(m_dir.c_str(), &s) != 0)
        return 0;
    return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
}

namespace {

std::string mebibytes(std::uint64_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

} // namespace

std::uint64_t ContentStore::budget(std::int64_t max_cache_mb) {
    const std::uint64_t free = free_space();
    std::uint64_t wanted = 0;
    const fs::path file = m_dir / kBudgetFile;
    if (max_cache_mb > 0) {
        // Saturated: a budget beyond any disk is clamped below like any other.
        wanted = static_cast<std::uint64_t>(max_cache_mb) > (UINT64_MAX >> 20)
                     ? UINT64_MAX
                     : static_cast<std::uint64_t>(max_cache_mb) << 20;
    } else if (auto text = read_file(file, 64); text && !text->empty()) {
        try {
            wanted = std::stoull(*text);
        } catch (const std::exception&) {
            // Damaged: made again below.
        }
    }
    if (wanted == 0) {
        // Fixed once, at first start, so that the cache filling up does not shrink it.
        wanted = (free + bytes_used()) / 10 * 8;
        if (free > 0) // a file system that cannot say is asked again next time
            write_file_atomically(file, std::to_string(wanted) + "\n");
    }
    if (free == 0)
        return wanted;
    // Whatever the config says, content never takes the room the play log needs:
    // a full disk makes every INSERT fail with SQLITE_FULL, and proof of play is
    // what the screen is for.
    const std::uint64_t room = free + bytes_used();
    const std::uint64_t limit = room > m_reserve ? room - m_reserve : 0;
    if (wanted <= limit) {
        m_budget_lowered = false;
        return wanted;
    }
    if (!m_budget_lowered)
        log::warn(m_dir.string() + ": the content cache may use " + mebibytes(limit) + ", not " +
                  (max_cache_mb > 0 ? std::to_string(max_cache_mb) + " MiB ([content] "
                                                                     "max_cache_mb)"
                                    : mebibytes(wanted)) +
                  ": " + mebibytes(m_reserve) +
                  " stay free for the play log ([logs] max_db_mb and a margin)");
    m_budget_lowered = true;
    return limit;
}

std::int64_t ContentStore::sequence_floor(const std::string& channel,
                                          const std::array<unsigned char, 8>& key_id) const {
    std::int64_t floor = 0;
    for (const char* name : {kActive, kPrevious}) {
        auto t = target(name);
        if (!t)
            continue;
        auto seq = folder_sequence(*t, channel);
        if (!seq)
            continue;
        if (auto sig = read_file(*t / "manifest.json.minisig", kMaxSignatureBytes))
            if (auto id = minisign_signature_key_id(*sig); id && *id != key_id)
                continue; // another key's version: its floor is not this key's
        floor = std::max(floor, *seq);
    }
    return floor;
}

ChannelCheck ContentStore::check_objects(const Channel& channel,
                                         const std::function<void()>& tick) const {
    ChannelCheck check;
    std::set<std::string> seen;
    for (const Item& item : channel.items)
        for (const ObjectRef& o : item_objects(item))
            check_object(item, o, check, seen, tick);
    return check;
}

void ContentStore::check_object(const Item& item, const ObjectRef& o, ChannelCheck& check,
                                std::set<std::string>& seen,
                                const std::function<void()>& tick) const {
    const std::string& name = o.object;
    if (!seen.insert(name).second)
        return;
    ++check.objects;
    check.bytes += o.size;
    const fs::path path = object_path(name);
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        check.faults.push_back("item \"" + item.id + "\": object " + name + " is missing");
        return;
    }
    if (size != o.size) {
        check.faults.push_back("item \"" + item.id + "\": object " + name + " has " +
                               std::to_string(size) + " bytes, the manifest says " +
                               std::to_string(o.size));
        return;
    }
    auto hash = sha256_file(path, [&](std::uint64_t) {
        if (tick)
            tick();
    });
    if (!hash)
        check.faults.push_back("item \"" + item.id + "\": " + hash.error().message);
    else if (*hash != name)
        check.faults.push_back("item \"" + item.id + "\": object " + name +
                               " is damaged (its SHA-256 is " + *hash + ")");
}

} // namespace milepost
