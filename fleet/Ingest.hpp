#pragma once
// `milepost-fleet ingest`: reads what screens uploaded, as the ingest store keeps
// it (contract "Upload"), into FLEET.db:
//   SOURCE/<device>/plays/<log_id>-<first>-<last>.ndjson   proof of play
//   SOURCE/<device>/status.json                            the latest status
//   SOURCE/<device>/screenshot.png                         the latest screenshot
// Incremental: a file read before, with the same size and modification time, is
// not read again. Idempotent: a play counts once by (device_id, log_id, id).
// Bad input (a truncated line, a row of another schema, a non-UTF-8 byte, a file
// far larger than a screen uploads) is counted and named, and the run goes on.
#include "FleetDb.hpp"
#include "Source.hpp"
#include "core/Result.hpp"
#include "core/Units.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace milepost::fleet {

// The largest files read; larger ones are refused whole, and named.
inline constexpr std::uintmax_t kMaxPlaysFile = 64u << 20;  // a batch is well under 1 MiB
inline constexpr std::uintmax_t kMaxStatusFile = 1u << 20;  // a status is about 1 KB
inline constexpr std::uintmax_t kMaxScreenshot = 16u << 20; // a 1080p PNG is about 2 MB
inline constexpr std::size_t kMaxLine = 64u << 10;
inline constexpr std::int64_t kMaxPlayMs = 86400000; // a play lasts at most a day
inline constexpr std::int64_t kProblemsNamed = 100;  // bad lines named per file; more counted
inline constexpr int kMaxStatusDepth = 16;           // a status.json nests 1 deep
// Status history kept per screen, before its newest report.
inline constexpr std::chrono::days kStatusHistory{30};

// One play as a screen uploaded it: a plays row (contract "Proof-of-play") with
// its device_id and log_id.
struct PlayRow {
    std::string device_id, log_id;
    std::int64_t id = 0;
    std::string item_id;
    std::optional<std::string> object, channel, ended_at, detail, lang, captions;
    std::optional<std::int64_t> sequence, clock_trusted;
    std::string started_at; // as uploaded: RFC 3339 UTC
    std::int64_t duration_ms = 0;
    std::string outcome;
};

// A line of a plays file uploaded under SOURCE/`device`/, or what is wrong with it.
Result<PlayRow> parse_play_line(std::string_view line, std::string_view device);

// Whether `name` can be a device id (and so a folder of SOURCE): 1 to 64 of [a-z0-9._-].
bool is_device_id(std::string_view name);

struct Problem {
    std::string path;      // as under SOURCE
    std::int64_t line = 0; // 0: the whole file
    std::string reason;
};

struct IngestProgress {
    std::int64_t files_done = 0, files_total = 0;
    std::int64_t rows = 0; // plays lines read so far
};

struct IngestReport {
    std::int64_t files = 0, files_read = 0, files_unchanged = 0;
    std::int64_t plays_new = 0, plays_known = 0;
    std::int64_t statuses = 0, screenshots = 0;
    std::int64_t bad_lines = 0, bad_files = 0; // bad_files: refused whole
    std::vector<Problem> problems;             // this run's, in the order found
    std::int64_t clickhouse_rows = 0;          // plays sent to ClickHouse
};

class ClickHouseSink;

// Reads `source` into `db`. `now` dates the files' reading. A source that cannot
// be listed is an error; a file that cannot be read is a problem.
// With `clickhouse`, every play read (new or not: ClickHouse collapses them) and
// every status's site and region are sent there too, before FLEET.db commits.
Result<IngestReport> ingest(FleetDb& db, Source& source, WallTime now,
                            const std::function<void(const IngestProgress&)>& progress,
                            ClickHouseSink* clickhouse = nullptr);

} // namespace milepost::fleet
