#include "LogUpload.hpp"

#include "core/Files.hpp"
#include "core/JsonFields.hpp"
#include "core/Log.hpp"
#include "core/Text.hpp"
#include "service/BoardHealth.hpp"
#include "service/ClockTrust.hpp"
#include "store/Files.hpp"
#include "store/PlayLog.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdlib>

namespace milepost {

namespace fs = std::filesystem;

namespace {

// How the uploads authenticate: a bearer token, or S3's SigV4.
struct Auth {
    std::vector<std::string> headers;
    std::string sigv4, userpwd;
};

Result<Auth> read_auth(const DeviceConfig::Logs& logs) {
    Auth a;
    if (!logs.token_file.empty()) {
        auto token = read_file(logs.token_file, 4096);
        if (!token)
            return Error{"[logs] token_file: " + token.error().message};
        a.headers.push_back("Authorization: Bearer " + trimmed(*token));
    }
    if (logs.s3) {
        auto access = read_file(logs.s3->access_key_file, 4096);
        auto secret = read_file(logs.s3->secret_key_file, 4096);
        if (!access)
            return Error{"[logs.s3] access_key_file: " + access.error().message};
        if (!secret)
            return Error{"[logs.s3] secret_key_file: " + secret.error().message};
        a.sigv4 = "aws:amz:" + logs.s3->region + ":s3";
        a.userpwd = trimmed(*access) + ":" + trimmed(*secret);
    }
    return a;
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

Result<HttpResponse> put(HttpClient& http, const Auth& auth, const std::string& url,
                         std::string_view body, const std::string& type) {
    auto headers = auth.headers;
    headers.push_back("Content-Type: " + type);
    // S3 wants the payload's hash among the signed headers.
    if (!auth.sigv4.empty())
        headers.push_back("x-amz-content-sha256: " + sha256_hex(body));
    return http.put(url, body, headers, auth.sigv4, auth.userpwd);
}

} // namespace

PlayerNews read_player_news(const fs::path& file) {
    PlayerNews news;
    auto text = read_file(file, 65536, Links::Refuse);
    if (!text)
        return news;
    // Whatever the file holds (half written when the power went, a key of
    // another type), sync reads what it can and goes on.
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    news.current_item = text_at(j, "current_item");
    news.frames_dropped_last_hour =
        std::max<std::int64_t>(0, integer_at(j, "frames_dropped_last_hour").value_or(0));
    return news;
}

std::string status_json(const fs::path& data_dir, const DeviceConfig& config,
                        const SyncFacts& facts, const UploadReport& report) {
    nlohmann::ordered_json j;
    j["device_id"] = config.device.id;
    j["site"] = config.device.site;
    j["region"] = config.device.region;
    j["version"] = facts.version;
    if (auto up = read_number_file("/proc/uptime"))
        j["uptime_s"] = static_cast<std::int64_t>(*up);
    j["channel"] = facts.active_channel;
    j["sequence"] = facts.active_sequence;
    j["last_sync"] = facts.last_sync;
    j["last_sync_result"] = facts.last_sync_result;
    j["poll_interval_s"] =
        std::chrono::duration_cast<std::chrono::seconds>(config.content.poll_interval).count();
    if (!facts.config_problem.empty())
        j["config_problem"] = facts.config_problem;
    if (!facts.system_version.empty())
        j["system_version"] = facts.system_version;
    if (!facts.system_update.empty()) {
        j["system_update"] = facts.system_update;
        j["system_update_detail"] = facts.system_update_detail;
    }
    // The player's own news: what is on screen, frames dropped lately.
    const PlayerNews player = read_player_news(data_dir / "player.json");
    j["current_item"] = player.current_item;
    j["frames_dropped_last_hour"] = player.frames_dropped_last_hour;
    j["log_id"] = report.log_id;
    if (!report.log_replaced.empty())
        j["play_log_replaced"] = report.log_replaced;
    j["rows_pending"] = report.rows_pending;
    if (!report.rows_pending_since.empty())
        j["rows_pending_since"] = report.rows_pending_since;
    j["rows_lost"] = report.rows_lost;
    struct statvfs fs_info {};
    if (::statvfs(data_dir.c_str(), &fs_info) == 0) {
        j["disk_free_mb"] =
            static_cast<std::uint64_t>(fs_info.f_bavail) * fs_info.f_frsize / (1024 * 1024);
        j["disk_total_mb"] =
            static_cast<std::uint64_t>(fs_info.f_blocks) * fs_info.f_frsize / (1024 * 1024);
    }
    // Raspberry Pi kernels say these without vcgencmd.
    const BoardHealth health = read_board_health();
    if (health.cpu_temp_c)
        j["cpu_temp_c"] = *health.cpu_temp_c;
    if (!health.throttled.empty())
        j["throttled"] = health.throttled;
    const auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    j["clock_trusted"] = wall_clock_trusted(now);
    return j.dump(2) + "\n";
}

namespace {

// The play log, pruned first: the file stays within max_db_mb whether or not
// uploads work. Its trouble goes into `failure`.
void prune_play_log(PlayLog& log, const DeviceConfig& config, WallTime now, UploadReport& report,
                    std::string& failure) {
    report.log_id = log.log_id();
    report.log_replaced = log.replaced();
    if (log.replaced_now())
        log::error(log.replaced());
    auto pruned = log.prune(now, config.logs.keep_days,
                            static_cast<std::uint64_t>(config.logs.max_db_mb) * 1024 * 1024);
    if (!pruned)
        failure = pruned.error().message;
    else if (pruned->lost > 0)
        log::error("play log over [logs] max_db_mb (" + std::to_string(config.logs.max_db_mb) +
                   " MB): " + std::to_string(pruned->lost) +
                   " rows deleted before they were uploaded");
}

void count_pending_rows(PlayLog* log, UploadReport& report) {
    if (!log)
        return;
    if (auto stats = log->stats()) {
        report.rows_pending = stats->pending;
        report.rows_pending_since = stats->pending_since;
        report.rows_lost = stats->lost;
    }
}

// The plays, in batches under fixed names, each marked uploaded once the server
// has it; the first failure stops them (what is left goes next time).
void upload_play_batches(HttpClient& http, const Auth& auth, const std::string& base, PlayLog& log,
                         const std::string& device_id, const std::function<void()>& tick,
                         UploadReport& report, std::string& failure) {
    while (failure.empty()) {
        auto batch = log.next_batch(kRowsPerBatch);
        if (!batch) {
            failure = batch.error().message;
            return;
        }
        if (!*batch)
            return;
        auto body = log.batch_body(**batch, device_id);
        if (!body) {
            failure = body.error().message;
            return;
        }
        const std::string name = (*batch)->name();
        if (auto r = put(http, auth, base + "plays/" + name, *body, "application/x-ndjson"); !r) {
            failure = "plays " + name + ": " + r.error().message + " (kept, sent again next time)";
            return;
        }
        if (auto r = log.mark_uploaded(**batch); !r) {
            failure = r.error().message;
            return;
        }
        ++report.batches;
        report.rows_uploaded += (*batch)->last - (*batch)->first + 1;
        if (tick)
            tick();
    }
}

// The screenshot, when the player made a new one since the last upload.
void upload_new_screenshot(HttpClient& http, const Auth& auth, const std::string& base,
                           const fs::path& data_dir, UploadReport& report, std::string& failure) {
    const fs::path shot = data_dir / "screenshot.png";
    std::error_code ec;
    const auto when = fs::last_write_time(shot, ec);
    if (!failure.empty() || ec)
        return;
    const std::string stamp = std::to_string(when.time_since_epoch().count());
    auto sent = read_file(data_dir / "screenshot.sent", 64, Links::Refuse);
    auto png = read_file(shot, 16 * 1024 * 1024, Links::Refuse);
    if ((sent && *sent == stamp) || !png)
        return;
    if (auto r = put(http, auth, base + "screenshot.png", *png, "image/png"); !r) {
        failure = "screenshot: " + r.error().message;
        return;
    }
    report.screenshot = true;
    write_file_atomically(data_dir / "screenshot.sent", stamp);
}

} // namespace

Result<UploadReport> upload_logs(HttpClient& http, const fs::path& data_dir,
                                 const DeviceConfig& config, const SyncFacts& facts, WallTime now,
                                 const std::function<void()>& tick, PlayLog::Check check) {
    UploadReport report;
    // A play log that cannot be opened stops the plays, not the status.
    std::string failure;
    auto opened = PlayLog::open(data_dir / "playlog.db", PlayLog::Durability::Normal, check);
    PlayLog* log = opened ? &*opened : nullptr;
    if (log)
        prune_play_log(*log, config, now, report, failure);
    else
        failure = opened.error().message;
    if (config.logs.upload_url.empty()) {
        count_pending_rows(log, report);
        if (!failure.empty())
            return Error{failure};
        return report; // kept locally only
    }
    auto auth = read_auth(config.logs);
    if (!auth)
        return auth.error();
    const std::string& url = config.logs.upload_url;
    const std::string base = url + (url.ends_with('/') ? "" : "/") + config.device.id + "/";

    // Plays, then the screenshot; the status goes every poll whatever happened
    // before it, and says what did.
    if (log)
        upload_play_batches(http, *auth, base, *log, config.device.id, tick, report, failure);
    count_pending_rows(log, report);
    upload_new_screenshot(http, *auth, base, data_dir, report, failure);
    SyncFacts with_uploads = facts;
    if (!failure.empty())
        with_uploads.last_sync_result +=
            (with_uploads.last_sync_result.empty() ? "" : "; ") + ("uploads: " + failure);
    const std::string status = status_json(data_dir, config, with_uploads, report);
    if (auto r = put(http, *auth, base + "status.json", status, "application/json"); !r)
        failure += (failure.empty() ? "" : "; ") + ("status: " + r.error().message);
    if (!failure.empty())
        return Error{failure};
    return report;
}

} // namespace milepost
