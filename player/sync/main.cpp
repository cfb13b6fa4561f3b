// milepost-sync: keeps the screen's channel up to date (contract "milepost-sync").
// Exit status: 0 success, 1 runtime failure, 2 bad usage or bad config.
#include "Backoff.hpp"
#include "ChannelUpdate.hpp"
#include "HttpClient.hpp"
#include "LogUpload.hpp"
#include "Network.hpp"
#include "SyncOptions.hpp"
#include "core/Log.hpp"
#include "core/Url.hpp"
#include "milepost/Version.hpp"
#include "service/Watchdog.hpp"
#include "store/ContentStore.hpp"
#include "store/Files.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace milepost;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

// SIGTERM and SIGINT are blocked and taken only where sync looks for them (its
// waits and its transfers' progress calls), so none can slip in between a check
// and a sleep. No handler, no global flag.
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

class StopSignal {
public:
    StopSignal() : m_set(stop_signals()) { sigprocmask(SIG_BLOCK, &m_set, nullptr); }
    // Whether a stop was asked for, without waiting.
    bool asked() { return wait(std::chrono::nanoseconds(0)); }
    // Waits up to `d` for a stop; true when one came (now or before).
    bool wait(std::chrono::nanoseconds d) {
        if (m_asked)
            return true;
        timespec ts{static_cast<time_t>(d.count() / 1000000000),
                    static_cast<long>(d.count() % 1000000000)};
        while (true) {
            const int sig = sigtimedwait(&m_set, nullptr, &ts);
            if (sig == SIGTERM || sig == SIGINT)
                return m_asked = true;
            if (sig < 0 && errno == EINTR)
                continue; // another signal; the remaining time is not known: look again soon
            return false;
        }
    }

private:
    sigset_t m_set;
    bool m_asked = false;
};

// Downloads must never take CPU or disk time from the player: the lowest CPU
// share short of idle, and the lowest best-effort I/O priority.
void lower_priority() {
    if (setpriority(PRIO_PROCESS, 0, 10) != 0)
        log::warn("cannot lower the CPU priority");
#ifdef SYS_ioprio_set
    constexpr int kWhoProcess = 1, kClassBestEffort = 2, kClassShift = 13, kLowest = 7;
    if (syscall(SYS_ioprio_set, kWhoProcess, 0, (kClassBestEffort << kClassShift) | kLowest) != 0)
        log::warn("cannot lower the I/O priority");
#endif
}

std::string seconds_text(Millis d) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    if (s < 120)
        return std::to_string(s) + " s";
    return std::to_string(s / 60) + " min";
}

int run_check(const SyncOptions& options, const DeviceConfig& config) {
    auto store = ContentStore::open(options.data_dir, ContentStore::Access::ReadOnly);
    if (!store) {
        log::error(store.error().message + ": no active channel");
        return 1;
    }
    auto active = store->active(config.content.public_key);
    if (!active) {
        log::error("no active channel in " + options.data_dir);
        return 1;
    }
    if (!*active) {
        log::error("active channel: " + active->error().message);
        return 1;
    }
    const StoredChannel& s = **active;
    if (!s.note.empty())
        log::warn(s.note);
    const ChannelCheck check = store->check_objects(s.channel);
    for (const auto& fault : check.faults)
        log::error(s.folder.string() + ": " + fault);
    std::printf("channel %s, sequence %lld, %zu items, %zu objects (%.1f MB): %s\n",
                s.channel.name.c_str(), static_cast<long long>(s.channel.sequence),
                s.channel.items.size(), check.objects, static_cast<double>(check.bytes) / 1e6,
                check.faults.empty() ? "whole" : "damaged");
    return check.faults.empty() ? 0 : 1;
}

WallTime wall_now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

// DATA_DIR/sync.json, for the player's boot card and diagnostics: the network
// (the player has none of its own) and how the last sync went. News, not a record.
void write_sync_status(const std::filesystem::path& data_dir, const DeviceConfig& config,
                       const SyncFacts& facts) {
    const std::string text =
        sync_status_json(facts, !config.content.server.empty(), network_interfaces(), wall_now());
    if (auto r = write_file_atomically(data_dir / "sync.json", text); !r)
        log::warn("sync.json: " + r.error().message);
}

// One pass: the channel update, then the play log and status uploads. Logs what
// happened; true when both went through.
bool run_pass(HttpClient& http, ContentStore& store, const DeviceConfig& config, Watchdog& watchdog,
              SyncFacts& facts) {
    const auto tick = [&] { watchdog.ping(); };
    bool ok = true;
    std::string status;
    if (!config.content.server.empty()) {
        auto report = update_channel(http, store, config.content, tick);
        facts.last_sync = format_rfc3339_utc(wall_now());
        if (report) {
            log::info(report->summary);
            facts.last_sync_result = "ok: " + report->summary;
            facts.active_channel = config.content.channel;
            facts.active_sequence = report->sequence;
        } else {
            log::error(report.error().message);
            facts.last_sync_result = report.error().message;
            ok = false;
        }
        status = facts.last_sync_result;
    }
    auto uploaded = upload_logs(http, store.data_dir(), config, facts, wall_now(), tick);
    if (!uploaded) {
        log::error("uploads: " + uploaded.error().message);
        status += (status.empty() ? "" : "; ") + ("uploads: " + uploaded.error().message);
        ok = false;
    } else if (!config.logs.upload_url.empty()) {
        log::info("uploads: " + std::to_string(uploaded->rows_uploaded) + " plays in " +
                  std::to_string(uploaded->batches) + " batches, status" +
                  (uploaded->screenshot ? ", screenshot" : "") + "; " +
                  std::to_string(uploaded->rows_pending) + " pending, " +
                  std::to_string(uploaded->rows_lost) + " lost in all");
    }
    if (uploaded)
        facts.rows_pending = uploaded->rows_pending;
    sd_notifyf(0, "STATUS=%s", status.c_str());
    write_sync_status(store.data_dir(), config, facts);
    return ok;
}

// Sleeps `d`, pinging the watchdog; false when a stop signal came.
bool rest(Millis d, Watchdog& watchdog, StopSignal& stop) {
    const auto until = SteadyClock::now() + d;
    while (true) {
        watchdog.ping();
        const auto now = SteadyClock::now();
        if (now >= until)
            return !stop.asked();
        auto step = until - now;
        if (watchdog.interval().count() > 0)
            step = std::min(step, watchdog.interval());
        if (stop.wait(std::chrono::duration_cast<std::chrono::nanoseconds>(step)))
            return false;
    }
}

} // namespace

int main(int argc, char** argv) {
    auto options = parse_sync_options(std::vector<std::string>(argv + 1, argv + argc));
    if (!options) {
        log::error(options.error().message + " (see milepost-sync --help)");
        return 2;
    }
    if (options->help) {
        std::fputs(kSyncUsage, stdout);
        return 0;
    }
    if (options->version) {
        std::printf("milepost-sync %s (%s)\n", kVersion, curl_version_text().c_str());
        return 0;
    }
    DeviceConfig config;
    try {
        std::vector<std::string> warnings, notes;
        config = load_program_config(options->config, warnings, notes);
        for (const auto& n : notes)
            log::info(n);
        for (const auto& w : warnings)
            log::warn(w);
    } catch (const ConfigError& e) {
        log::error(e.message);
        return 2;
    }
    if (options->mode == SyncMode::Check)
        return run_check(*options, config);

    StopSignal stop;
    lower_priority();
    Watchdog watchdog;
    auto store = ContentStore::open(options->data_dir);
    if (!store) {
        log::error(store.error().message);
        return 1;
    }
    // The disk budget is fixed at the first start (80% of the free space), before
    // anything is fetched.
    store->keep_free(disk_reserve(config.logs.max_db_mb));
    store->budget(config.content.max_cache_mb);
    if (config.content.server.empty())
        log::info("no [content] server in the config: this screen plays its built-in channel");
    SyncFacts facts;
    facts.version = kVersion;
    if (auto active = store->active(config.content.public_key); active && *active) {
        facts.active_channel = (*active)->channel.name;
        facts.active_sequence = (*active)->channel.sequence;
    }
    HttpSettings settings;
    settings.user_agent = std::string("milepost/") + kVersion + " (" + config.device.id + ")";
    settings.ca_file = config.content.ca_file;
    settings.max_rate = config.content.max_rate;
    if (const char* s = std::getenv("MILEPOST_SYNC_LOW_SPEED_SECONDS"); s && std::atoi(s) > 0)
        settings.low_speed_time = std::chrono::seconds(std::atoi(s));
    // Below the cap, or every transfer would look stalled.
    if (settings.max_rate > 0)
        settings.low_speed_limit =
            std::clamp<long>(static_cast<long>(settings.max_rate / 4), 1, settings.low_speed_limit);
    settings.keep_going = [&watchdog, &stop] {
        watchdog.ping();
        return !stop.asked();
    };
    auto http = HttpClient::create(std::move(settings));
    if (!http) {
        log::error(http.error().message);
        return 1;
    }

    if (options->mode == SyncMode::Once)
        return run_pass(*http, *store, config, watchdog, facts) ? 0 : 1;

    std::mt19937_64 random(std::random_device{}());
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const Millis interval = std::chrono::duration_cast<Millis>(config.content.poll_interval);
    write_sync_status(store->data_dir(), config, facts); // the boot card's network, at once
    sd_notify(0, "READY=1\nSTATUS=started");
    if (!config.content.server.empty())
        log::info("polling " + redact_url(config.content.server) + " for channel \"" +
                  config.content.channel + "\" every " + seconds_text(interval) + " (±20%)");
    int failures = 0;
    Millis delay = first_poll_delay(interval, uniform(random));
    while (rest(delay, watchdog, stop)) {
        if (run_pass(*http, *store, config, watchdog, facts)) {
            failures = 0;
            delay = next_poll_delay(interval, uniform(random));
        } else if (!stop.asked()) {
            ++failures;
            delay = backoff_delay(failures, uniform(random));
            log::info("trying again in " + seconds_text(delay) + " (" + std::to_string(failures) +
                      " failure" + (failures == 1 ? "" : "s") + " in a row)");
        }
    }
    sd_notify(0, "STOPPING=1");
    log::info("stopped");
    return 0;
}
