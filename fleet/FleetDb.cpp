#include "FleetDb.hpp"

#include <sqlite3.h>

#include <stdexcept>
#include <utility>

namespace milepost::fleet {

namespace {

// Times are RFC 3339 UTC text, so that a day is substr(t, 1, 10) and text order
// is time order. A play's day is the UTC day it started.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,          -- as under SOURCE: <device>/plays/<name>.ndjson
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    etag TEXT,
    read_at TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0, -- lines read as plays (new or already known)
    bad INTEGER NOT NULL DEFAULT 0   -- lines (or the whole file) refused
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS plays (
    device_id TEXT NOT NULL,
    log_id TEXT NOT NULL,
    id INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    object TEXT,
    channel TEXT,
    sequence INTEGER,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    lang TEXT,
    captions TEXT,
    clock_trusted INTEGER,
    PRIMARY KEY (device_id, log_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS plays_started ON plays (started_at);
-- An item's language is one per item, so it adds no rows; "" when not recorded.
CREATE TABLE IF NOT EXISTS daily (
    day TEXT NOT NULL,
    device_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    lang TEXT NOT NULL,
    plays INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (day, device_id, item_id, outcome, lang)
) WITHOUT ROWID;
-- Kept by ingest: the plays each run added, summed in memory and added here in the
-- same transaction as the rows themselves.
CREATE TABLE IF NOT EXISTS screens (
    device_id TEXT PRIMARY KEY,
    site TEXT,
    region TEXT,
    reported_at TEXT,               -- the newest status.json's time (the storage's)
    status TEXT,                    -- that status.json
    screenshot BLOB,
    screenshot_at TEXT
) WITHOUT ROWID;
-- Each status report read, the figures a screen's page charts (about 100 bytes a
-- report: a month of a thousand screens' reports stays small).
CREATE TABLE IF NOT EXISTS status_history (
    device_id TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    cpu_temp_c REAL,
    frames_dropped_last_hour INTEGER,
    disk_free_mb INTEGER,
    disk_total_mb INTEGER,
    rows_pending INTEGER,
    sync_ok INTEGER,               -- last_sync_result began "ok"
    version TEXT,
    channel TEXT,
    sequence INTEGER,
    current_item TEXT,
    PRIMARY KEY (device_id, reported_at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS problems (
    path TEXT NOT NULL,             -- the file, as in files.path
    line INTEGER NOT NULL,          -- 0: the whole file
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS problems_path ON problems (path);
)";

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    throw std::runtime_error(std::string(file ? file : "FLEET.db") + ": " + what + ": " +
                             (db ? sqlite3_errmsg(db) : "out of memory"));
}

} // namespace

Statement::~Statement() {
    sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_stmt(std::exchange(other.m_stmt, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_db = std::exchange(other.m_db, nullptr);
        m_stmt = std::exchange(other.m_stmt, nullptr);
    }
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(m_stmt, index, value);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    sqlite3_bind_double(m_stmt, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind_static(int index, std::string_view text) {
    sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
    sqlite3_bind_null(m_stmt, index);
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    fail(m_db, "cannot run " + std::string(sqlite3_sql(m_stmt)).substr(0, 60));
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}

double Statement::real(int column) const {
    return sqlite3_column_double(m_stmt, column);
}

std::string Statement::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, column)))
             : std::string();
}

std::string Statement::blob(int column) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(m_stmt, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, column)))
             : std::string();
}

int Statement::columns() const {
    return sqlite3_column_count(m_stmt);
}

std::string Statement::column_name(int column) const {
    return sqlite3_column_name(m_stmt, column);
}

Result<std::unique_ptr<FleetDb>> FleetDb::open(const std::filesystem::path& file) {
    std::unique_ptr<FleetDb> db(new FleetDb);
    db->m_file = file;
    const int rc = sqlite3_open_v2(file.c_str(), &db->m_db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK)
        return Error{file.string() +
                     ": cannot open: " + (db->m_db ? sqlite3_errmsg(db->m_db) : "out of memory")};
    sqlite3_busy_timeout(db->m_db, 10000);
    try {
        // A file that is not a database fails here, at its first read.
        std::int64_t found = 0;
        {
            auto version = db->prepare("PRAGMA user_version");
            version.step();
            found = version.integer(0);
        }
        if (found > kFleetSchema)
            return Error{file.string() + ": made by a newer milepost-fleet (schema " +
                         std::to_string(found) + ", this one knows " +
                         std::to_string(kFleetSchema) + ")"};
        // NORMAL in WAL mode: a crash loses at most the last commits, never the
        // file's consistency, and an ingest run again reads those files again.
        // A cache of 64 MiB: an ingest's inserts land all over the indexes, and a
        // small cache re-reads and re-writes pages (most of the time went on it).
        // Checkpoints every 64 MiB of WAL rather than every 4 MiB.
        db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; "
                 "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=16384; "
                 "PRAGMA temp_store=MEMORY");
        db->exec(kSchema);
        db->exec(("PRAGMA user_version=" + std::to_string(kFleetSchema)).c_str());
    } catch (const std::runtime_error& e) {
        return Error{e.what()};
    }
    return db;
}

FleetDb::~FleetDb() {
    sqlite3_close_v2(m_db);
}

void FleetDb::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "error";
        sqlite3_free(message);
        throw std::runtime_error(m_file.string() + ": " + text);
    }
}

std::int64_t FleetDb::changes() const {
    return sqlite3_changes64(m_db);
}

Statement FleetDb::prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_db, sql, -1, &stmt, nullptr) != SQLITE_OK)
        fail(m_db, "cannot prepare a query");
    return Statement(m_db, stmt);
}

} // namespace milepost::fleet
