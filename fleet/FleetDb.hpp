#pragma once
// FLEET.db: what the screens uploaded, gathered by `milepost-fleet ingest` (SQLite,
// WAL, one file). Plays are keyed by their identity (device_id, log_id, id), so a
// row read twice counts once; ingest keeps the daily roll-ups (one row per day,
// device, item and outcome) that reports over months read instead of raw rows.
#include "core/Result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace milepost::fleet {

inline constexpr int kFleetSchema = 1; // PRAGMA user_version

// One prepared statement. Binds are 1-based, columns 0-based, as in SQLite.
class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    // Not copied: `text` must outlive the next step() (the row inserted now).
    Statement& bind_static(int index, std::string_view text);
    Statement& bind(int index, std::nullopt_t);
    Statement& bind_blob(int index, std::string_view bytes);
    // True while a row is ready; false when done. An error is thrown as a
    // std::runtime_error naming the statement's database error.
    bool step();
    // step() and reset(): for INSERT/UPDATE statements run once per row.
    void run();
    void reset();
    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::string blob(int column) const;
    int columns() const;
    std::string column_name(int column) const;

private:
    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_stmt = nullptr;
};

class FleetDb {
public:
    // Opens or creates FLEET.db (WAL, schema kFleetSchema). The error names the file.
    static Result<std::unique_ptr<FleetDb>> open(const std::filesystem::path& file);
    ~FleetDb();
    FleetDb(const FleetDb&) = delete;
    FleetDb& operator=(const FleetDb&) = delete;

    // Throws std::runtime_error naming the file and SQLite's message.
    void exec(const char* sql);
    Statement prepare(const char* sql);
    // Rows the last INSERT, UPDATE or DELETE changed (not counting triggers').
    std::int64_t changes() const;
    const std::filesystem::path& file() const { return m_file; }

private:
    FleetDb() = default;
    sqlite3* m_db = nullptr;
    std::filesystem::path m_file;
};

} // namespace milepost::fleet
