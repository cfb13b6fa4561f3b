#pragma once
// Proof of play and the screen's status, sent to [logs] upload_url (contract
// "Proof-of-play"): pending plays rows in batches, PUT
// <upload_url><device-id>/plays/<log_id>-<first>-<last>.ndjson, each batch's name and
// body fixed before its first try so that a retry after a failure or a crash
// never puts a row on the server twice; then status.json and the screenshot.
#include "HttpClient.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Units.hpp"
#include "store/PlayLog.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace milepost {

// What milepost-sync knows for the status that the data dir does not say.
struct SyncFacts {
    std::string version;
    std::string active_channel;
    std::int64_t active_sequence = 0;
    std::string last_sync;            // RFC 3339 UTC, "" before the first
    std::string last_sync_result;     // "ok: ..." or the error
    std::int64_t rows_pending = 0;    // plays not yet uploaded, after the last pass
    std::string config_problem;       // a settings file set aside: why ("" = none)
    std::string system_version;       // the running system's ("" = not updated over the air)
    std::string system_update;        // to_string(SystemReport::state) of the last pass ("" = none)
    std::string system_update_detail; // its summary
};

// What the player says in DATA_DIR/player.json, as far as it can be read.
struct PlayerNews {
    std::string current_item;
    std::int64_t frames_dropped_last_hour = 0;
};
// Never fails: a missing, half-written or wrongly typed file gives the defaults.
PlayerNews read_player_news(const std::filesystem::path& file);

struct UploadReport {
    std::int64_t rows_uploaded = 0;
    std::int64_t batches = 0;
    std::int64_t rows_pending = 0;  // left after this pass
    std::string rows_pending_since; // the oldest of them started then (RFC 3339); ""
    std::int64_t rows_lost = 0;     // ever, pruned before they were uploaded
    bool screenshot = false;
    std::string log_id;       // the play log's identity
    std::string log_replaced; // what the play log was started in place of, if anything
};

// Rows per PUT: about a megabyte of JSON lines.
inline constexpr std::int64_t kRowsPerBatch = 5000;

// Prunes the play log and, when an upload URL is set, uploads. An error leaves
// the rows pending; the next pass sends the same batch again. With
// PlayLog::Check::Quick a damaged play log is set aside and a new one started.
Result<UploadReport> upload_logs(HttpClient& http, const std::filesystem::path& data_dir,
                                 const DeviceConfig& config, const SyncFacts& facts, WallTime now,
                                 const std::function<void()>& tick = {},
                                 PlayLog::Check check = PlayLog::Check::None);

// The status.json body (also written to DATA_DIR/status.json for a local look).
std::string status_json(const std::filesystem::path& data_dir, const DeviceConfig& config,
                        const SyncFacts& facts, const UploadReport& report);

} // namespace milepost
