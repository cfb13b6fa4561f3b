#pragma once
// The content a screen holds, in its data dir (contract "milepost-sync"):
//
//   objects/<sha256>                  media, verified, immutable, shared by versions
//   partial/<sha256>                  downloads under way, resumed after a cut
//   channels/<sequence>-<name>/       one folder per version: manifest.json,
//                                     manifest.json.minisig, etag; a version
//                                     fetched again is "<sequence>-<name>+2"
//                                     ('+' is in no channel name)
//   active   -> channels/<...>        what the player plays: a symbolic link
//   previous -> channels/<...>        replaced by one atomic rename each
//   cache-budget                      bytes the store may use, fixed at first start
//
// milepost-sync is the only writer; the player only reads. Every change is a
// new name made durable and then renamed into place, so a kill at any instant
// leaves the old state or the new one, and opening the store again is recovery.
#include "core/Channel.hpp"
#include "core/Result.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>

namespace milepost {

// A channel version in the store, read and verified.
struct StoredChannel {
    std::filesystem::path folder; // channels/<sequence>-<name>
    Channel channel;
    std::string etag; // the server's ETag for its manifest, "" if unknown
    std::string note; // "signature not checked" when there was no key
};

// What the active channel's objects look like on disk.
struct ChannelCheck {
    std::size_t objects = 0;
    std::uint64_t bytes = 0;
    std::vector<std::string> faults; // one line per missing or damaged object
};

// Free space the play log needs beside the content: `max_db_mb` and a margin
// (SQLite's journal and temporary files, the screenshot, the system's own files).
inline constexpr std::uint64_t kDiskMarginBytes = 32u << 20;
inline constexpr std::uint64_t disk_reserve(int max_db_mb) {
    return static_cast<std::uint64_t>(max_db_mb < 0 ? 0 : max_db_mb) * (1u << 20) +
           kDiskMarginBytes;
}

class ContentStore {
public:
    enum class Access { ReadWrite, ReadOnly };
    // Opens the store in `data_dir`. ReadWrite (milepost-sync) takes the store's
    // lock (a second writer is refused), creates it and removes what a killed run
    // left half made, which is all the recovery there is; ReadOnly (checks, the
    // player) changes nothing.
    static Result<ContentStore> open(const std::filesystem::path& data_dir,
                                     Access access = Access::ReadWrite);
    ContentStore(ContentStore&&) noexcept;
    ContentStore& operator=(ContentStore&&) noexcept;
    ~ContentStore();

    const std::filesystem::path& data_dir() const { return m_dir; }
    std::filesystem::path objects_dir() const { return m_dir / "objects"; }
    std::filesystem::path object_path(const std::string& sha256) const;
    std::filesystem::path partial_path(const std::string& sha256) const;
    // An object of that name and size is in objects/ (verified when it was stored).
    bool has_object(const std::string& sha256, std::uint64_t size) const;

    // The active (or previous) channel: its manifest read and its signature
    // checked with `public_key` ("" skips the check). nullopt: there is none.
    // An error: it is there but unreadable or badly signed.
    std::optional<Result<StoredChannel>> active(const std::string& public_key) const;
    std::optional<Result<StoredChannel>> previous(const std::string& public_key) const;

    // Checks a partial download (size, then SHA-256) and renames it into objects/,
    // durably. On a wrong hash the partial file is deleted. `tick` is called as
    // the hashing goes (the watchdog).
    Result<void> commit_object(const std::string& sha256, std::uint64_t size,
                               const std::function<void()>& tick = {});

    // Writes a new version's folder (manifest, signature, etag), durably, and
    // returns it: channels/<sequence>-<name>, or with "+2", "+3" appended when
    // that exists (a version fetched again), so no folder in use is ever replaced.
    Result<std::filesystem::path> install_channel(const Channel& channel, std::string_view manifest,
                                                  std::string_view signature,
                                                  std::string_view etag);
    // Makes `folder` the active channel and the active one the previous: each
    // pointer is replaced by one atomic rename.
    Result<void> activate(const std::filesystem::path& folder);

    enum class Keep { ActiveAndPrevious, ActiveOnly };
    // Deletes channel folders other than the active (and previous) one, objects
    // none of them uses (nor `keep`), and partial downloads not in `keep`.
    // Deletes no object when a kept version's manifest cannot be read. Returns
    // the bytes freed.
    std::uint64_t collect_garbage(const std::set<std::string>& keep = {},
                                  Keep which = Keep::ActiveAndPrevious);

    // Bytes of objects/ and partial/.
    std::uint64_t bytes_used() const;
    // The store's budget: `max_cache_mb` when set, else 80% of the free space
    // the first time this is asked, remembered in cache-budget; in both cases no
    // more than leaves reserve() free on the file system (said in the log when
    // that lowers it).
    std::uint64_t budget(std::int64_t max_cache_mb);
    // Free bytes on the data dir's file system (0 when it cannot be asked).
    std::uint64_t free_space() const;
    // Bytes content must leave free on the data dir's file system, for the play
    // log: milepost-sync sets disk_reserve([logs] max_db_mb) once, at start.
    void keep_free(std::uint64_t bytes) { m_reserve = bytes; }
    std::uint64_t reserve() const { return m_reserve; }
    // The highest sequence of `channel` signed by the key `key_id` that the active
    // and previous pointers name, read from their folder names (so even a damaged
    // manifest does not lower the floor a rollback is judged against); 0 when
    // there is none. A version signed by another key does not count: a screen
    // given a new public_key starts a new floor. One whose signature cannot be
    // read counts (it cannot be told apart).
    std::int64_t sequence_floor(const std::string& channel,
                                const std::array<unsigned char, 8>& key_id) const;

    // Every object of `channel` present with its size and SHA-256.
    ChannelCheck check_objects(const Channel& channel,
                               const std::function<void()>& tick = {}) const;

private:
    void check_object(const Item& item, const ObjectRef& o, ChannelCheck& check,
                      std::set<std::string>& seen, const std::function<void()>& tick) const;
    ContentStore(std::filesystem::path dir, int lock_fd) : m_dir(std::move(dir)), m_lock(lock_fd) {}
    std::optional<Result<StoredChannel>> pointed(const char* name,
                                                 const std::string& public_key) const;
    std::optional<std::filesystem::path> target(const char* name) const;
    Result<void> point(const char* name, const std::filesystem::path& folder);

    std::filesystem::path m_dir;
    int m_lock = -1; // DATA_DIR/sync.lock, flock()ed while a writer has the store open
    std::uint64_t m_reserve =
        disk_reserve(64);          // see keep_free(); the default max_db_mb's until set
    bool m_budget_lowered = false; // budget() said so in the log already
};

// The objects a channel's media items use.
std::set<std::string> objects_of(const Channel& channel);
// Bytes of the distinct objects of `channel` (and of `also`).
std::uint64_t object_bytes(const Channel& channel, const Channel* also = nullptr);

// Where the player finds the active channel: the target of DATA_DIR/active
// ("channels/<sequence>-<name>", "" when there is none). Cheap enough to ask
// every few seconds.
std::string active_target(const std::filesystem::path& data_dir);

// The channel version in `folder` (media in `objects`), read and its signature
// checked with `public_key` ("" skips the check and says so in the note).
Result<StoredChannel> read_stored_channel(const std::filesystem::path& folder,
                                          const std::filesystem::path& objects,
                                          const std::string& public_key);

} // namespace milepost
