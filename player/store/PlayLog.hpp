#pragma once
// Proof of play: DATA_DIR/playlog.db (contract "Proof-of-play"), SQLite in WAL
// mode. The player is the one writer of rows; milepost-sync marks them uploaded
// and prunes. Both open it through this class.
//
// Durability: WAL. The player's connection commits with synchronous=FULL: each
// transaction (one item's end and the next one's start, every few seconds) is
// on the card before the next begins, so a power cut can take at most the item
// on screen, whose start row is already safe and is closed as interrupted at the
// next start. milepost-sync's connection uses synchronous=NORMAL: its writes
// (uploaded marks, pruning) can be redone after a power cut, and in WAL mode
// NORMAL never costs consistency, only the last commits. Either way a killed
// process loses nothing committed.
#include "core/Result.hpp"
#include "core/Units.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace milepost {

inline constexpr int kPlayLogSchema = 4; // PRAGMA user_version

// A row's start, as the player knows it when the item goes on screen.
struct PlayStart {
    std::string item_id;
    std::string object; // "" for slides
    std::string channel;
    std::int64_t sequence = 0;
    WallTime started_at;
    bool clock_trusted = false;
    std::string lang;     // the language it was shown in; "" = none (NULL)
    std::string captions; // the language of the captions shown; "" = none (NULL)
};

// How the row ends: completed, interrupted, skipped, failed.
struct PlayEnd {
    WallTime ended_at;
    std::int64_t duration_ms = 0;
    std::string outcome;
    std::string detail; // "" = NULL
};

// Rows given to the server in one PUT: ids first..last (pending ones only).
struct UploadBatch {
    std::string log_id;
    std::int64_t first = 0, last = 0;
    std::string name() const; // "<log_id>-<first>-<last>.ndjson"
};

struct PlayLogStats {
    std::int64_t rows = 0;
    std::int64_t pending = 0;  // finished, not yet uploaded
    std::string pending_since; // the oldest of those's started_at; "" when none
    std::int64_t lost = 0;     // pruned before they were uploaded, ever
    std::uint64_t bytes = 0;   // pages in use
};

struct PruneReport {
    std::int64_t old_uploaded = 0; // uploaded rows older than keep_days
    std::int64_t over_cap = 0;     // rows deleted to stay under max_db_mb
    std::int64_t lost = 0;         // of those, not uploaded
};

class PlayLog {
public:
    enum class Durability {
        EachCommit, // synchronous=FULL: the player's rows
        Normal,     // synchronous=NORMAL: milepost-sync's marks and pruning
    };
    enum class Check {
        None,  // open as it is: a damaged file shows as errors later
        Quick, // PRAGMA quick_check first; a damaged file is set aside (below)
    };
    // Opens (creating or migrating) the database. The error names the file.
    // With Check::Quick, a file SQLite cannot open as a database or whose
    // quick_check fails is renamed `<file>.broken-<UTC time>` (with its -wal and
    // -shm) and a new log, with a new log_id, is started in its place; the new
    // log remembers that (replaced()). Both device programs may do this at the
    // same moment: a lock file next to it makes one of them do it once.
    static Result<PlayLog> open(const std::filesystem::path& file,
                                Durability durability = Durability::Normal,
                                Check check = Check::None);
    PlayLog(PlayLog&&) noexcept;
    PlayLog& operator=(PlayLog&&) noexcept;
    ~PlayLog();

    // The player, at start: rows left without an outcome (the item on screen when
    // the power went, or the player was killed) become "interrupted".
    Result<std::int64_t> close_interrupted(const std::string& detail);
    // One transaction around several writes (the player's writer thread).
    Result<void> begin();
    Result<void> commit();
    void rollback();
    Result<std::int64_t> insert_start(const PlayStart& start);
    Result<void> finish(std::int64_t id, const PlayEnd& end);
    // Writes the WAL into the database file and syncs it.
    Result<void> checkpoint();

    // This database's 16 hex digits, made when it was created.
    const std::string& log_id() const;
    // "" or, when this log was started in place of a damaged one, what was set
    // aside and why (kept in the database: the status reports it for ever).
    const std::string& replaced() const;
    // Whether this open() set a damaged file aside (for the journal, once).
    bool replaced_now() const;

    // milepost-sync: the batch to upload next, the one recorded before (a retry
    // sends the same name and body) or a new one of at most `max_rows`; nullopt
    // when nothing is pending.
    Result<std::optional<UploadBatch>> next_batch(std::int64_t max_rows);
    // One JSON object a line, every column of the contract, with `device_id`
    // and this log's `log_id` on each.
    Result<std::string> batch_body(const UploadBatch& batch, const std::string& device_id);
    // After the server's 2xx: the rows are uploaded and the batch forgotten.
    Result<void> mark_uploaded(const UploadBatch& batch);
    // Uploaded rows older than `keep_days` go; then, only when the database is
    // over `max_bytes`, the oldest rows, uploaded first, then not (counted as
    // lost), down to 90% of it.
    Result<PruneReport> prune(WallTime now, int keep_days, std::uint64_t max_bytes);

    Result<PlayLogStats> stats();
    // "ok" when PRAGMA integrity_check finds nothing.
    Result<std::string> integrity_check();
    // Rows as the upload writes them (device_id is left out when ""), for tests
    // and tools.
    Result<std::vector<std::string>> rows_json(std::int64_t first, std::int64_t last,
                                               const std::string& device_id = "");

private:
    struct Db;
    explicit PlayLog(std::unique_ptr<Db> db);
    // open() without the check; `code` gets SQLite's result code of a failure.
    static Result<PlayLog> open_as_is(const std::filesystem::path& file, Durability durability,
                                      int* code = nullptr);
    static Result<void> set_up_connection(Db& db, Durability durability);
    static Result<void> migrate(Db& db);
    Result<void> prune_over_cap(std::uint64_t max_bytes, PruneReport& report);
    Result<std::vector<std::int64_t>> rows_to_drop(std::int64_t count, std::int64_t batch_first,
                                                   std::int64_t batch_last, std::int64_t& lost);
    Result<void> delete_rows(const std::vector<std::int64_t>& ids, std::int64_t lost);
    std::unique_ptr<Db> m_db;
};

} // namespace milepost
