#include "PlayLog.hpp"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace milepost {

namespace {

struct StmtFinalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

constexpr const char* kSchemaV1 = R"(
CREATE TABLE IF NOT EXISTS plays (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    object TEXT,
    channel TEXT,
    sequence INTEGER,
    started_at TEXT,
    ended_at TEXT,
    duration_ms INTEGER,
    outcome TEXT,
    detail TEXT,
    clock_trusted INTEGER,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS plays_pending ON plays (uploaded, id);
CREATE INDEX IF NOT EXISTS plays_started ON plays (started_at);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
)";

// Version 2: the log's identity (log_id) and what it replaced, if anything.
constexpr const char* kSchemaV2 = R"(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)";

// Version 3: the language each play was shown in, for reports by language.
constexpr const char* kSchemaV3 = R"(
ALTER TABLE plays ADD COLUMN lang TEXT;
)";

// Version 4: the language of the captions shown, NULL for none.
constexpr const char* kSchemaV4 = R"(
ALTER TABLE plays ADD COLUMN captions TEXT;
)";

// 16 random hex digits (64 bits): two databases of one device never share one.
std::string random_log_id() {
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium cannot start");
    unsigned char bytes[8];
    randombytes_buf(bytes, sizeof bytes);
    char hex[sizeof bytes * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return hex;
}

// A lock held while a log is checked and, when damaged, replaced: the player and
// milepost-sync may both find the same damage at the same moment.
class FileLock {
public:
    explicit FileLock(const std::filesystem::path& file) {
        // flock needs no write access: the other program's user may own the file
        // (and where it does, fs.protected_regular refuses O_CREAT: see below).
        m_fd = ::open(file.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0660);
        if (m_fd < 0 && errno == EACCES)
            m_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd >= 0)
            while (::flock(m_fd, LOCK_EX) != 0 && errno == EINTR) {
            }
    }
    ~FileLock() {
        if (m_fd >= 0)
            ::close(m_fd); // releases the lock
    }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int m_fd = -1;
};

// "20261130T010203Z": the RFC 3339 time, safe in a file name.
std::string compact_utc_now() {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    std::string t =
        format_rfc3339_utc(std::chrono::time_point_cast<std::chrono::milliseconds>(now));
    std::erase_if(t, [](char c) { return c == '-' || c == ':'; });
    return t;
}

} // namespace

struct PlayLog::Db {
    struct Close {
        void operator()(sqlite3* d) const { sqlite3_close_v2(d); }
    };
    std::unique_ptr<sqlite3, Close> db;
    std::string file;
    PlayLog::Durability durability = PlayLog::Durability::Normal;
    std::string log_id;
    std::string replaced;      // meta "replaced": what this log was started in place of
    bool replaced_now = false; // this open() did it
    int last_code = SQLITE_OK; // the last failure's primary result code

    Error error(const std::string& what) const {
        return Error{file + ": " + what + ": " + sqlite3_errmsg(db.get())};
    }
    Result<void> exec(const char* sql) {
        char* msg = nullptr;
        if (const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, &msg); rc != SQLITE_OK) {
            last_code = rc & 0xff;
            std::string why = msg ? msg : "error";
            sqlite3_free(msg);
            return Error{file + ": " + why};
        }
        return {};
    }
    Result<StmtPtr> prepare(const char* sql) {
        sqlite3_stmt* s = nullptr;
        if (const int rc = sqlite3_prepare_v2(db.get(), sql, -1, &s, nullptr); rc != SQLITE_OK) {
            last_code = rc & 0xff;
            return error("cannot prepare");
        }
        return StmtPtr(s);
    }
    // A single integer from `sql` (0 when there is no row or it is NULL).
    Result<std::int64_t> integer(const char* sql) {
        auto s = prepare(sql);
        if (!s)
            return s.error();
        const int rc = sqlite3_step(s->get());
        if (rc == SQLITE_ROW)
            return static_cast<std::int64_t>(sqlite3_column_int64(s->get(), 0));
        if (rc == SQLITE_DONE)
            return std::int64_t{0};
        last_code = rc & 0xff;
        return error("cannot read");
    }
    // A single text from `sql` ("" when there is no row).
    Result<std::string> text(const char* sql, const std::string& arg = "") {
        auto s = prepare(sql);
        if (!s)
            return s.error();
        if (!arg.empty())
            sqlite3_bind_text(s->get(), 1, arg.c_str(), -1, SQLITE_TRANSIENT);
        const int rc = sqlite3_step(s->get());
        if (rc == SQLITE_ROW) {
            const auto* t = sqlite3_column_text(s->get(), 0);
            return std::string(t ? reinterpret_cast<const char*>(t) : "");
        }
        if (rc == SQLITE_DONE)
            return std::string();
        last_code = rc & 0xff;
        return error("cannot read");
    }
    Result<void> set_meta(const char* key, const std::string& value) {
        auto s = prepare("INSERT INTO meta (key, value) VALUES (?1, ?2) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        if (!s)
            return s.error();
        sqlite3_bind_text(s->get(), 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->get(), 2, value.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s->get()) != SQLITE_DONE)
            return error("cannot write");
        return {};
    }
    Result<void> set_state(const char* key, std::int64_t value) {
        auto s = prepare("INSERT INTO state (key, value) VALUES (?1, ?2) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        if (!s)
            return s.error();
        sqlite3_bind_text(s->get(), 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->get(), 2, value);
        if (sqlite3_step(s->get()) != SQLITE_DONE)
            return error("cannot write");
        return {};
    }
    Result<std::int64_t> state(const char* key) {
        auto s = prepare("SELECT value FROM state WHERE key = ?1");
        if (!s)
            return s.error();
        sqlite3_bind_text(s->get(), 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(s->get()) == SQLITE_ROW)
            return static_cast<std::int64_t>(sqlite3_column_int64(s->get(), 0));
        return std::int64_t{0};
    }
    // Bytes of the pages that hold data (freed pages not counted).
    Result<std::uint64_t> bytes_in_use() {
        auto pages = integer("PRAGMA page_count");
        auto free = integer("PRAGMA freelist_count");
        auto size = integer("PRAGMA page_size");
        if (!pages || !free || !size)
            return error("cannot measure");
        return static_cast<std::uint64_t>((*pages - *free) * *size);
    }
};

std::string UploadBatch::name() const {
    return log_id + "-" + std::to_string(first) + "-" + std::to_string(last) + ".ndjson";
}

PlayLog::PlayLog(std::unique_ptr<Db> db) : m_db(std::move(db)) {}
PlayLog::PlayLog(PlayLog&&) noexcept = default;
PlayLog& PlayLog::operator=(PlayLog&&) noexcept = default;
PlayLog::~PlayLog() = default;

namespace {

// Whether a failure means the file itself is damaged (and not, say, a full disk,
// a permission or a lock held too long): only then is it set aside.
bool is_damage(int code) {
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

} // namespace

Result<PlayLog> PlayLog::open(const std::filesystem::path& file, Durability durability,
                              Check check) {
    if (check == Check::None)
        return open_as_is(file, durability);
    FileLock lock(file.string() + ".lock");
    std::string why;
    {
        int code = SQLITE_OK;
        auto log = open_as_is(file, durability, &code);
        if (log) {
            auto verdict = log->m_db->text("PRAGMA quick_check");
            if (verdict && *verdict == "ok")
                return log;
            why = verdict ? "quick_check: " + verdict->substr(0, 200) : verdict.error().message;
            if (!verdict && !is_damage(log->m_db->last_code))
                return verdict.error();
        } else if (is_damage(code)) {
            why = log.error().message;
        } else {
            return log.error();
        }
    } // closed before it is moved
    const std::string aside = file.filename().string() + ".broken-" + compact_utc_now();
    std::error_code ec;
    // The WAL first: a new database must never find the old one's WAL beside it
    // (SQLite would replay it). When the WAL cannot be moved (in the data dir's
    // sticky folder, a file of the other program's user), nothing is moved; the
    // other program sets it aside at its next check.
    for (const char* suffix : {"-wal", "-shm", ""}) {
        const std::filesystem::path from = file.string() + suffix;
        if (std::filesystem::exists(from, ec))
            std::filesystem::rename(from, file.parent_path() / (aside + suffix), ec);
        if (ec)
            return Error{file.string() + ": damaged (" + why +
                         "), and it cannot be set aside: " + ec.message()};
    }
    auto fresh = open_as_is(file, durability);
    if (!fresh)
        return fresh.error();
    const std::string note = file.filename().string() + " was damaged (" + why +
                             "): set aside as " + aside + ", a new log started";
    if (auto r = fresh->m_db->set_meta("replaced", note); !r)
        return r.error();
    fresh->m_db->replaced = note;
    fresh->m_db->replaced_now = true;
    return fresh;
}

namespace {

// The play log's files live in the data folder, which is sticky and
// group-writable (1770: neither program may replace the other's files). Debian
// sets fs.protected_regular = 2: there the kernel refuses an open with O_CREAT of
// an existing file that another user owns, even when its mode lets the opener
// write it. SQLite opens the database and its -wal and -shm with O_CREAT, so
// milepost-sync could not open the player's play log for writing and SQLite fell
// back to read-only: no play was ever marked uploaded or pruned. An open with
// O_CREAT refused so (EACCES) is tried again without O_CREAT (O_EXCL never is):
// the file exists, and its mode decides, as it does for every other open.
int open_existing_too(const char* path, int flags, int mode) {
    int fd = ::open(path, flags, mode);
    if (fd < 0 && errno == EACCES && (flags & O_CREAT) && !(flags & O_EXCL)) {
        const int again = ::open(path, flags & ~O_CREAT, mode);
        if (again >= 0)
            return again;
        errno = EACCES;
    }
    return fd;
}

// Once, before the first connection: SQLite's unix VFS opens files through it.
void open_shared_files_with_care() {
    static const bool done = [] {
        sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
        if (vfs && vfs->iVersion >= 3 && vfs->xSetSystemCall)
            vfs->xSetSystemCall(vfs, "open",
                                reinterpret_cast<sqlite3_syscall_ptr>(&open_existing_too));
        return true;
    }();
    (void)done;
}

// The player writes the play log and milepost-sync marks and prunes its rows, as
// two users of one group: the file is made group-writable here, whatever the umask
// (SQLite would make it 0644 less the umask), and SQLite gives its -wal and -shm
// the database's mode. Never through a symbolic link: the data folder is writable
// by both users, and neither may be led to write elsewhere.
Result<void> make_play_log_group_writable(const std::filesystem::path& file) {
    if (const int fd =
            ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0660);
        fd >= 0) {
        const bool ok = ::fchmod(fd, 0660) == 0;
        const int err = errno;
        ::close(fd);
        if (!ok)
            return Error{file.string() + ": cannot make it group-writable: " + std::strerror(err)};
    } else if (struct stat st{}; ::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                                 st.st_uid == ::geteuid() && (st.st_mode & 0060) != 0060) {
        // One made before the two users (0600): sync could no longer mark its rows.
        ::chmod(file.c_str(), (st.st_mode & 07777) | 0060);
    }
    return {};
}

} // namespace

Result<PlayLog> PlayLog::open_as_is(const std::filesystem::path& file, Durability durability,
                                    int* code) {
    auto db = std::make_unique<Db>();
    db->file = file.string();
    if (auto r = make_play_log_group_writable(file); !r)
        return r.error();
    db->durability = durability;
    // Every failure below says what SQLite found: damage is set aside by open().
    struct ReportCode {
        Db& db;
        int* out;
        ~ReportCode() {
            if (out)
                *out = db.last_code;
        }
    } report{*db, code};
    open_shared_files_with_care();
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                       SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                                   nullptr);
    db->db.reset(raw);
    if (rc != SQLITE_OK)
        db->last_code = rc & 0xff;
    if (rc != SQLITE_OK)
        return Error{db->file +
                     ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
    // The other process may hold the write lock for a moment: wait, do not fail.
    sqlite3_busy_timeout(raw, 5000);
    if (auto r = set_up_connection(*db, durability); !r)
        return r.error();
    if (auto r = migrate(*db); !r)
        return r.error();
    auto id = db->text("SELECT value FROM meta WHERE key = ?1", "log_id");
    auto replaced = db->text("SELECT value FROM meta WHERE key = ?1", "replaced");
    if (!id || !replaced)
        return id ? replaced.error() : id.error();
    if (id->size() != 16)
        return Error{db->file + ": no log_id: not a play log Milepost made"};
    db->log_id = *id;
    db->replaced = *replaced;
    return PlayLog(std::move(db));
}

// WAL, the durability asked for, a bounded WAL file, a small page cache, and, on
// a new file, incremental vacuum.
Result<void> PlayLog::set_up_connection(Db& db, Durability durability) {
    auto version = db.integer("PRAGMA user_version");
    if (!version)
        return Error{db.file + ": not a play log (" + version.error().message + ")"};
    if (*version == 0) {
        // Freed pages are given back to the file system (incremental vacuum):
        // possible only before the first table exists.
        if (auto r = db.exec("PRAGMA auto_vacuum = INCREMENTAL"); !r)
            return r.error();
    }
    for (const char* pragma :
         {"PRAGMA journal_mode = WAL",
          durability == Durability::EachCommit ? "PRAGMA synchronous = FULL"
                                               : "PRAGMA synchronous = NORMAL",
          // The WAL file is truncated to this after a checkpoint: a bounded file.
          "PRAGMA journal_size_limit = 4194304",
          // SQLite's page cache, 2 MB by default, fills to the brim at the first
          // read of a full log (quick_check reads it all): a quarter of that, per
          // process, is enough for appends and the batches (the kernel caches the
          // file anyway), and is memory a 1 GB screen keeps for video.
          "PRAGMA cache_size = -512"})
        if (auto r = db.exec(pragma); !r)
            return r.error();
    return {};
}

// Migrations, one schema version at a time, in one transaction that looks at the
// version again once it holds the lock: the player and milepost-sync may both be
// first at first boot.
Result<void> PlayLog::migrate(Db& db) {
    if (auto r = db.exec("BEGIN IMMEDIATE"); !r)
        return r.error();
    auto rollback = [&](Error e) {
        db.exec("ROLLBACK");
        return e;
    };
    auto version = db.integer("PRAGMA user_version");
    if (!version)
        return rollback(version.error());
    if (*version > kPlayLogSchema)
        return rollback(Error{db.file + ": schema " + std::to_string(*version) +
                              " is newer than this program's " + std::to_string(kPlayLogSchema) +
                              "; update Milepost"});
    if (*version < 1) {
        const std::string sql = std::string(kSchemaV1) + "PRAGMA user_version = 1;";
        if (auto r = db.exec(sql.c_str()); !r)
            return rollback(r.error());
    }
    if (*version < 2) {
        // A log from before version 2 gets its identity now: the names it
        // uploaded before ("<first>-<last>.ndjson") can never be reused.
        const std::string sql = std::string(kSchemaV2) + "PRAGMA user_version = 2;";
        auto r = db.exec(sql.c_str());
        if (r)
            r = db.set_meta("log_id", random_log_id());
        if (!r)
            return rollback(r.error());
    }
    if (*version < 3) {
        const std::string sql = std::string(kSchemaV3) + "PRAGMA user_version = 3;";
        if (auto r = db.exec(sql.c_str()); !r)
            return rollback(r.error());
    }
    if (*version < 4) {
        const std::string sql = std::string(kSchemaV4) + "PRAGMA user_version = 4;";
        if (auto r = db.exec(sql.c_str()); !r)
            return rollback(r.error());
    }
    if (auto r = db.exec("COMMIT"); !r)
        return r.error();
    return {};
}

Result<std::int64_t> PlayLog::close_interrupted(const std::string& detail) {
    auto s = m_db->prepare("UPDATE plays SET outcome = 'interrupted', detail = ?1 "
                           "WHERE outcome IS NULL");
    if (!s)
        return s.error();
    sqlite3_bind_text(s->get(), 1, detail.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s->get()) != SQLITE_DONE)
        return m_db->error("cannot close interrupted rows");
    return static_cast<std::int64_t>(sqlite3_changes(m_db->db.get()));
}

Result<void> PlayLog::begin() {
    return m_db->exec("BEGIN IMMEDIATE");
}

Result<void> PlayLog::commit() {
    return m_db->exec("COMMIT");
}

void PlayLog::rollback() {
    if (!sqlite3_get_autocommit(m_db->db.get()))
        m_db->exec("ROLLBACK");
}

Result<void> PlayLog::checkpoint() {
    return m_db->exec("PRAGMA wal_checkpoint(PASSIVE)");
}

const std::string& PlayLog::log_id() const {
    return m_db->log_id;
}

const std::string& PlayLog::replaced() const {
    return m_db->replaced;
}

bool PlayLog::replaced_now() const {
    return m_db->replaced_now;
}

Result<std::int64_t> PlayLog::insert_start(const PlayStart& p) {
    auto s =
        m_db->prepare("INSERT INTO plays (item_id, object, channel, sequence, started_at, "
                      "clock_trusted, lang, captions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!s)
        return s.error();
    const std::string started = format_rfc3339_utc(p.started_at, TimeDigits::Milliseconds);
    sqlite3_bind_text(s->get(), 1, p.item_id.c_str(), -1, SQLITE_TRANSIENT);
    if (p.object.empty())
        sqlite3_bind_null(s->get(), 2);
    else
        sqlite3_bind_text(s->get(), 2, p.object.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->get(), 3, p.channel.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->get(), 4, p.sequence);
    sqlite3_bind_text(s->get(), 5, started.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s->get(), 6, p.clock_trusted ? 1 : 0);
    if (p.lang.empty())
        sqlite3_bind_null(s->get(), 7);
    else
        sqlite3_bind_text(s->get(), 7, p.lang.c_str(), -1, SQLITE_TRANSIENT);
    if (p.captions.empty())
        sqlite3_bind_null(s->get(), 8);
    else
        sqlite3_bind_text(s->get(), 8, p.captions.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s->get()) != SQLITE_DONE)
        return m_db->error("cannot record a play");
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(m_db->db.get()));
}

Result<void> PlayLog::finish(std::int64_t id, const PlayEnd& e) {
    auto s = m_db->prepare("UPDATE plays SET ended_at = ?2, duration_ms = ?3, outcome = ?4, "
                           "detail = ?5 WHERE id = ?1");
    if (!s)
        return s.error();
    const std::string ended = format_rfc3339_utc(e.ended_at, TimeDigits::Milliseconds);
    sqlite3_bind_int64(s->get(), 1, id);
    sqlite3_bind_text(s->get(), 2, ended.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->get(), 3, e.duration_ms);
    sqlite3_bind_text(s->get(), 4, e.outcome.c_str(), -1, SQLITE_TRANSIENT);
    if (e.detail.empty())
        sqlite3_bind_null(s->get(), 5);
    else
        sqlite3_bind_text(s->get(), 5, e.detail.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s->get()) != SQLITE_DONE)
        return m_db->error("cannot finish a play");
    return {};
}

Result<std::optional<UploadBatch>> PlayLog::next_batch(std::int64_t max_rows) {
    auto first = m_db->state("batch_first");
    auto last = m_db->state("batch_last");
    if (!first || !last)
        return first ? last.error() : first.error();
    if (*first > 0 && *last >= *first)
        return std::optional<UploadBatch>(UploadBatch{m_db->log_id, *first, *last});
    // Finished, pending rows, oldest first, stopping short of a row still open
    // (the item on screen): a batch never changes once it is named.
    auto s = m_db->prepare(
        "SELECT MIN(id), MAX(id) FROM (SELECT id FROM plays WHERE uploaded = 0 AND outcome IS "
        "NOT NULL AND id < COALESCE((SELECT MIN(id) FROM plays WHERE outcome IS NULL), "
        "9223372036854775807) ORDER BY id LIMIT ?1)");
    if (!s)
        return s.error();
    sqlite3_bind_int64(s->get(), 1, max_rows);
    if (sqlite3_step(s->get()) != SQLITE_ROW || sqlite3_column_type(s->get(), 0) == SQLITE_NULL)
        return std::optional<UploadBatch>();
    UploadBatch b{m_db->log_id, sqlite3_column_int64(s->get(), 0),
                  sqlite3_column_int64(s->get(), 1)};
    s->reset();
    // Recorded before the PUT, so that a retry after a crash sends the same; and
    // on the card before the PUT (synchronous=FULL for this commit), so that a
    // power cut after the PUT cannot lose the record and name these rows again
    // as part of a larger batch.
    if (auto r = m_db->exec("PRAGMA synchronous = FULL"); !r)
        return r.error();
    struct RestoreSync {
        Db& db;
        ~RestoreSync() {
            if (db.durability == Durability::Normal)
                db.exec("PRAGMA synchronous = NORMAL");
        }
    } restore{*m_db};
    if (auto r = m_db->exec("BEGIN IMMEDIATE"); !r)
        return r.error();
    if (auto r = m_db->set_state("batch_first", b.first); !r) {
        m_db->exec("ROLLBACK");
        return r.error();
    }
    if (auto r = m_db->set_state("batch_last", b.last); !r) {
        m_db->exec("ROLLBACK");
        return r.error();
    }
    if (auto r = m_db->exec("COMMIT"); !r)
        return r.error();
    return std::optional<UploadBatch>(b);
}

Result<std::vector<std::string>> PlayLog::rows_json(std::int64_t first, std::int64_t last,
                                                    const std::string& device_id) {
    auto s = m_db->prepare(
        "SELECT id, item_id, object, channel, sequence, started_at, ended_at, duration_ms, "
        "outcome, detail, clock_trusted, uploaded, lang, captions FROM plays WHERE id BETWEEN ?1 "
        "AND ?2 "
        "AND outcome IS NOT NULL ORDER BY id");
    if (!s)
        return s.error();
    sqlite3_bind_int64(s->get(), 1, first);
    sqlite3_bind_int64(s->get(), 2, last);
    std::vector<std::string> out;
    static const char* kColumns[] = {
        "id",          "item_id", "object", "channel",       "sequence", "started_at", "ended_at",
        "duration_ms", "outcome", "detail", "clock_trusted", "uploaded", "lang",       "captions"};
    int rc;
    while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
        nlohmann::ordered_json j;
        if (!device_id.empty())
            j["device_id"] = device_id;
        j["log_id"] = m_db->log_id;
        for (int c = 0; c < static_cast<int>(std::size(kColumns)); ++c) {
            switch (sqlite3_column_type(s->get(), c)) {
            case SQLITE_NULL:
                j[kColumns[c]] = nullptr;
                break;
            case SQLITE_INTEGER:
                j[kColumns[c]] = sqlite3_column_int64(s->get(), c);
                break;
            default:
                j[kColumns[c]] = reinterpret_cast<const char*>(sqlite3_column_text(s->get(), c));
                break;
            }
        }
        out.push_back(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    if (rc != SQLITE_DONE)
        return m_db->error("cannot read plays");
    return out;
}

Result<std::string> PlayLog::batch_body(const UploadBatch& b, const std::string& device_id) {
    auto rows = rows_json(b.first, b.last, device_id);
    if (!rows)
        return rows.error();
    std::string body;
    for (const auto& r : *rows)
        body += r + "\n";
    return body;
}

Result<void> PlayLog::mark_uploaded(const UploadBatch& b) {
    if (auto r = m_db->exec("BEGIN IMMEDIATE"); !r)
        return r;
    auto s = m_db->prepare("UPDATE plays SET uploaded = 1 WHERE id BETWEEN ?1 AND ?2 AND "
                           "outcome IS NOT NULL");
    if (!s) {
        m_db->exec("ROLLBACK");
        return s.error();
    }
    sqlite3_bind_int64(s->get(), 1, b.first);
    sqlite3_bind_int64(s->get(), 2, b.last);
    if (sqlite3_step(s->get()) != SQLITE_DONE) {
        m_db->exec("ROLLBACK");
        return m_db->error("cannot mark rows uploaded");
    }
    if (auto r = m_db->exec("DELETE FROM state WHERE key IN ('batch_first', 'batch_last')"); !r) {
        m_db->exec("ROLLBACK");
        return r;
    }
    return m_db->exec("COMMIT");
}

Result<PruneReport> PlayLog::prune(WallTime now, int keep_days, std::uint64_t max_bytes) {
    PruneReport report;
    auto old = m_db->prepare("DELETE FROM plays WHERE uploaded = 1 AND started_at < ?1");
    if (!old)
        return old.error();
    const std::string cutoff =
        format_rfc3339_utc(now - std::chrono::days(keep_days), TimeDigits::Milliseconds);
    sqlite3_bind_text(old->get(), 1, cutoff.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(old->get()) != SQLITE_DONE)
        return m_db->error("cannot prune");
    report.old_uploaded = sqlite3_changes(m_db->db.get());
    if (auto r = prune_over_cap(max_bytes, report); !r)
        return r.error();
    // Give the freed pages back, so that the file itself shrinks.
    // In WAL mode the file shrinks when the WAL is checkpointed into it.
    if (report.old_uploaded + report.over_cap > 0) {
        if (auto r = m_db->exec("PRAGMA incremental_vacuum"); !r)
            return r.error();
        if (auto r = m_db->exec("PRAGMA wal_checkpoint(PASSIVE)"); !r)
            return r.error();
    }
    return report;
}

// Over the cap: down to 90% of it, so that it is not done again at every poll.
// Under it, nothing more goes.
Result<void> PlayLog::prune_over_cap(std::uint64_t max_bytes, PruneReport& report) {
    auto in_use = m_db->bytes_in_use();
    if (!in_use)
        return in_use.error();
    const std::uint64_t target = *in_use > max_bytes ? max_bytes / 10 * 9 : *in_use;
    auto batch_first = m_db->state("batch_first");
    auto batch_last = m_db->state("batch_last");
    if (!batch_first || !batch_last)
        return m_db->error("cannot read the upload state");
    for (int pass = 0; pass < 1000; ++pass) {
        auto used = m_db->bytes_in_use();
        if (!used)
            return used.error();
        if (*used <= target)
            break;
        auto rows = m_db->integer("SELECT COUNT(*) FROM plays");
        if (!rows || *rows == 0)
            break;
        // About the share of rows that is too much, and a little more.
        const std::int64_t count = std::max<std::int64_t>(
            64, static_cast<std::int64_t>(static_cast<double>(*rows) *
                                          static_cast<double>(*used - target) /
                                          static_cast<double>(*used)) +
                    16);
        std::int64_t lost = 0;
        auto ids = rows_to_drop(count, *batch_first, *batch_last, lost);
        if (!ids)
            return ids.error();
        if (ids->empty())
            break;
        if (auto r = delete_rows(*ids, lost); !r)
            return r;
        report.over_cap += static_cast<std::int64_t>(ids->size());
        report.lost += lost;
    }
    return {};
}

// Uploaded rows first, then the oldest; never the rows of a batch being uploaded
// (its body must not change) or the row still open. `lost`: how many of them were
// never uploaded.
Result<std::vector<std::int64_t>> PlayLog::rows_to_drop(std::int64_t count,
                                                        std::int64_t batch_first,
                                                        std::int64_t batch_last,
                                                        std::int64_t& lost) {
    auto s = m_db->prepare(
        "SELECT id, uploaded FROM plays WHERE outcome IS NOT NULL AND NOT (id BETWEEN ?2 AND "
        "?3) ORDER BY uploaded DESC, id LIMIT ?1");
    if (!s)
        return s.error();
    sqlite3_bind_int64(s->get(), 1, count);
    sqlite3_bind_int64(s->get(), 2, batch_first);
    sqlite3_bind_int64(s->get(), 3, batch_last);
    std::vector<std::int64_t> ids;
    while (sqlite3_step(s->get()) == SQLITE_ROW) {
        ids.push_back(sqlite3_column_int64(s->get(), 0));
        if (sqlite3_column_int(s->get(), 1) == 0)
            ++lost;
    }
    s->reset();
    return ids;
}

// Deletes `ids` and counts `lost` more rows lost, in one transaction.
Result<void> PlayLog::delete_rows(const std::vector<std::int64_t>& ids, std::int64_t lost) {
    if (auto r = m_db->exec("BEGIN IMMEDIATE"); !r)
        return r.error();
    auto del = m_db->prepare("DELETE FROM plays WHERE id = ?1");
    if (!del) {
        m_db->exec("ROLLBACK");
        return del.error();
    }
    for (auto id : ids) {
        sqlite3_bind_int64(del->get(), 1, id);
        if (sqlite3_step(del->get()) != SQLITE_DONE) {
            m_db->exec("ROLLBACK");
            return m_db->error("cannot prune");
        }
        sqlite3_reset(del->get());
    }
    auto total_lost = m_db->state("rows_lost");
    if (!total_lost || !m_db->set_state("rows_lost", *total_lost + lost)) {
        m_db->exec("ROLLBACK");
        return m_db->error("cannot count lost rows");
    }
    return m_db->exec("COMMIT");
}

Result<PlayLogStats> PlayLog::stats() {
    PlayLogStats s;
    auto rows = m_db->integer("SELECT COUNT(*) FROM plays");
    auto pending =
        m_db->integer("SELECT COUNT(*) FROM plays WHERE uploaded = 0 AND outcome IS NOT NULL");
    auto since = m_db->text("SELECT started_at FROM plays WHERE uploaded = 0 AND outcome IS NOT "
                            "NULL ORDER BY id LIMIT 1");
    auto lost = m_db->state("rows_lost");
    auto bytes = m_db->bytes_in_use();
    if (!rows || !pending || !since || !lost || !bytes)
        return m_db->error("cannot read the counts");
    s.rows = *rows;
    s.pending = *pending;
    s.pending_since = *since;
    s.lost = *lost;
    s.bytes = *bytes;
    return s;
}

Result<std::string> PlayLog::integrity_check() {
    auto s = m_db->prepare("PRAGMA integrity_check");
    if (!s)
        return s.error();
    std::string out;
    while (sqlite3_step(s->get()) == SQLITE_ROW)
        out += std::string(out.empty() ? "" : "\n") +
               reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 0));
    return out;
}

} // namespace milepost
