// milepost-sync: keeps the screen's channel up to date (contract "milepost-sync").
// Exit status: 0 success, 1 runtime failure, 2 bad usage or bad config.
#include "Backoff.hpp"
#include "ChannelUpdate.hpp"
#include "HttpClient.hpp"
#include "LogUpload.hpp"
#include "Network.hpp"
#include "SyncOptions.hpp"
#include "SystemFetch.hpp"
#include "SystemInstall.hpp"
#include "core/Log.hpp"
#include "core/Url.hpp"
#include "milepost/Version.hpp"
#include "service/Watchdog.hpp"
#include "store/ContentStore.hpp"
#include "store/Files.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
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

// What both loops know for sync.json and status.json, and the one writer of
// sync.json: the content loop and the upload loop each update their part.
class SharedFacts {
public:
    SharedFacts(std::filesystem::path data_dir, const DeviceConfig& config, SyncFacts facts)
        : m_data_dir(std::move(data_dir)), m_config(config), m_facts(std::move(facts)) {}
    SyncFacts get() const {
        std::lock_guard lock(m_mutex);
        return m_facts;
    }
    // Applies `change` and writes DATA_DIR/sync.json, for the player's boot card
    // and diagnostics: the network (the player has none of its own) and how the
    // last sync went. News, not a record.
    template <class F> void update(F&& change) {
        std::lock_guard lock(m_mutex);
        change(m_facts);
        const std::string text = sync_status_json(m_facts, !m_config.content.server.empty(),
                                                  network_interfaces(), wall_now());
        if (auto r = write_file_atomically(m_data_dir / "sync.json", text); !r)
            log::warn("sync.json: " + r.error().message);
    }

private:
    const std::filesystem::path m_data_dir;
    const DeviceConfig& m_config;
    mutable std::mutex m_mutex; // guards m_facts and the writing of sync.json
    SyncFacts m_facts;
};

// The channel update. Logs what happened; true when it went through (or there
// is no server).
bool run_content_pass(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                      Watchdog& watchdog, SharedFacts& facts) {
    if (config.content.server.empty())
        return true;
    auto report = update_channel(http, store, config.content, [&] { watchdog.ping(); });
    const std::string when = format_rfc3339_utc(wall_now());
    if (report)
        log::info(report->summary);
    else
        log::error(report.error().message);
    facts.update([&](SyncFacts& f) {
        f.last_sync = when;
        if (report) {
            f.last_sync_result = "ok: " + report->summary;
            f.active_channel = config.content.channel;
            f.active_sequence = report->sequence;
        } else {
            f.last_sync_result = report.error().message;
        }
    });
    sd_notifyf(0, "STATUS=%s",
               report ? ("ok: " + report->summary).c_str() : report.error().message.c_str());
    return report.ok();
}

// The system update the active channel names, fetched and checked when the rules
// allow it. Logs a change of state; never fails the pass (the screen's content
// does not wait on its system).
void run_system_pass(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                     const SystemIdentity& system, Watchdog& watchdog, SharedFacts& facts) {
    if (config.content.server.empty())
        return;
    const SystemReport report =
        run_system_update(http, store, config, system, wall_now(), [&] { watchdog.ping(); });
    const SyncFacts before = facts.get();
    const std::string state = to_string(report.state);
    if (state.empty() && before.system_update.empty())
        return;
    if (report.summary != before.system_update_detail) {
        using enum UpdateState;
        if (report.state == Failed || report.state == Refused || report.state == RolledBack)
            log::warn(report.summary);
        else if (!report.summary.empty())
            log::info(report.summary);
    }
    facts.update([&](SyncFacts& f) {
        f.system_update = state;
        f.system_update_detail = report.summary;
    });
}

// The play log's pruning and uploads, and the status. Logs what happened; true
// when they went through. `check`: look the play log over first (at start, and
// after a failure), setting a damaged one aside.
bool run_upload_pass(HttpClient& http, const std::filesystem::path& data_dir,
                     const DeviceConfig& config, Watchdog& watchdog, SharedFacts& facts,
                     PlayLog::Check check) {
    auto uploaded = upload_logs(
        http, data_dir, config, facts.get(), wall_now(), [&] { watchdog.ping(); }, check);
    if (!uploaded) {
        log::error("uploads: " + uploaded.error().message);
    } else if (!config.logs.upload_url.empty()) {
        log::info("uploads: " + std::to_string(uploaded->rows_uploaded) + " plays in " +
                  std::to_string(uploaded->batches) + " batches, status" +
                  (uploaded->screenshot ? ", screenshot" : "") + "; " +
                  std::to_string(uploaded->rows_pending) + " pending, " +
                  std::to_string(uploaded->rows_lost) + " lost in all");
    }
    facts.update([&](SyncFacts& f) {
        if (uploaded)
            f.rows_pending = uploaded->rows_pending;
    });
    return uploaded.ok();
}

// Waits for the next pass of one loop: the poll interval ±20% after a pass that
// went through, back-off after failures.
class Pacing {
public:
    explicit Pacing(Millis interval) : m_interval(interval), m_random(std::random_device{}()) {}
    Millis first() { return first_poll_delay(m_interval, pick()); }
    Millis after(bool ok, const char* what) {
        if (ok) {
            m_failures = 0;
            return next_poll_delay(m_interval, pick());
        }
        ++m_failures;
        const Millis delay = backoff_delay(m_failures, pick());
        log::info(std::string(what) + ": trying again in " + seconds_text(delay) + " (" +
                  std::to_string(m_failures) + " failure" + (m_failures == 1 ? "" : "s") +
                  " in a row)");
        return delay;
    }

private:
    double pick() { return std::uniform_real_distribution<double>(0.0, 1.0)(m_random); }
    Millis m_interval;
    std::mt19937_64 m_random;
    int m_failures = 0;
};

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

// The uploads on a thread of their own, with their own HTTP client: a content
// server that is slow, trickles or hangs delays proof of play by one poll
// interval at most. Stopped by the main thread (which takes the signals).
class UploadLoop {
public:
    // Starts the thread, with an HTTP client of its own made from `settings`.
    static Result<std::unique_ptr<UploadLoop>> start(HttpSettings settings,
                                                     const std::filesystem::path& data_dir,
                                                     const DeviceConfig& config, Watchdog& watchdog,
                                                     SharedFacts& facts) {
        std::unique_ptr<UploadLoop> loop(new UploadLoop(data_dir, config, watchdog, facts));
        UploadLoop* l = loop.get();
        settings.keep_going = [l] {
            l->m_watchdog.ping();
            return !l->m_stop.load();
        };
        auto http = HttpClient::create(std::move(settings));
        if (!http)
            return http.error();
        l->m_http.emplace(std::move(*http));
        l->m_thread = std::thread([l] { l->run(); });
        return loop;
    }
    ~UploadLoop() { stop(); }
    UploadLoop(const UploadLoop&) = delete;
    UploadLoop& operator=(const UploadLoop&) = delete;
    void stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        if (m_thread.joinable())
            m_thread.join();
    }

private:
    UploadLoop(const std::filesystem::path& data_dir, const DeviceConfig& config,
               Watchdog& watchdog, SharedFacts& facts)
        : m_data_dir(data_dir), m_config(config), m_watchdog(watchdog), m_facts(facts) {}
    void run() {
        Pacing pacing(std::chrono::duration_cast<Millis>(m_config.content.poll_interval));
        Millis delay = pacing.first();
        auto check = PlayLog::Check::Quick;
        while (wait(delay)) {
            const bool ok =
                run_upload_pass(*m_http, m_data_dir, m_config, m_watchdog, m_facts, check);
            check = ok ? PlayLog::Check::None : PlayLog::Check::Quick;
            delay = pacing.after(ok, "uploads");
        }
    }
    // False when stopped.
    bool wait(Millis d) {
        std::unique_lock lock(m_mutex);
        return !m_wake.wait_for(lock, d, [this] { return m_stop.load(); });
    }

    const std::filesystem::path m_data_dir;
    const DeviceConfig& m_config;
    Watchdog& m_watchdog;
    SharedFacts& m_facts;
    std::optional<HttpClient> m_http; // used by the thread only
    std::mutex m_mutex;               // with m_wake: the thread's waits
    std::condition_variable m_wake;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

// The device config: as a service reads it, a bad file is set aside exactly as
// the player does, and sync runs on what is valid (pruning and uploads keep
// going), the problem in the journal and in status.json. With --config (a person
// at a terminal) a bad file is an error.
std::optional<DeviceConfig> load_config(const SyncOptions& options, std::string& problem) {
    try {
        return load_and_log_config(options.config,
                                   options.config || options.mode == SyncMode::Check
                                       ? ConfigReader::Person
                                       : ConfigReader::Service,
                                   "sync runs on what is valid", problem);
    } catch (const ConfigError& e) {
        log::error(e.message);
        return std::nullopt;
    }
}

// What sync knows before its first pass: the active channel, a config problem, the
// system it runs on.
SyncFacts first_facts(ContentStore& store, const DeviceConfig& config, const std::string& problem,
                      const SystemIdentity& system) {
    SyncFacts facts;
    facts.version = kVersion;
    facts.config_problem = problem;
    facts.system_version = system.version;
    if (auto active = store.active(config.content.public_key); active && *active) {
        facts.active_channel = (*active)->channel.name;
        facts.active_sequence = (*active)->channel.sequence;
    }
    return facts;
}

// The daemon: the upload loop on its thread, the content loop on this one, until
// a stop signal.
int run_daemon(HttpClient& http, ContentStore& store, const DeviceConfig& config,
               const SystemIdentity& system, const HttpSettings& upload_settings,
               Watchdog& watchdog, StopSignal& stop, SharedFacts& facts) {
    facts.update([](SyncFacts&) {}); // the boot card's network, at once
    auto uploads = UploadLoop::start(upload_settings, store.data_dir(), config, watchdog, facts);
    if (!uploads) {
        log::error(uploads.error().message);
        return 1;
    }
    sd_notify(0, "READY=1\nSTATUS=started");
    const auto interval = std::chrono::duration_cast<Millis>(config.content.poll_interval);
    if (!config.content.server.empty())
        log::info("polling " + redact_url(config.content.server) + " for channel \"" +
                  config.content.channel + "\" every " + seconds_text(interval) + " (±20%)");
    Pacing pacing(interval);
    Millis delay = pacing.first();
    while (rest(delay, watchdog, stop)) {
        const bool ok = run_content_pass(http, store, config, watchdog, facts);
        if (stop.asked())
            break;
        run_system_pass(http, store, config, system, watchdog, facts);
        if (stop.asked())
            break;
        delay = pacing.after(ok, "content");
    }
    (*uploads)->stop();
    sd_notify(0, "STOPPING=1");
    log::info("stopped");
    return 0;
}

// A whole number of seconds from the environment (tests shorten waits with it).
std::optional<std::chrono::seconds> env_seconds(const char* name) {
    if (const char* s = std::getenv(name); s && std::atoi(s) > 0)
        return std::chrono::seconds(std::atoi(s));
    return std::nullopt;
}

// How sync's requests are made, from the config.
HttpSettings http_settings(const DeviceConfig& config) {
    HttpSettings settings;
    settings.user_agent = std::string("milepost/") + kVersion + " (" + config.device.id + ")";
    settings.ca_file = config.content.ca_file;
    settings.max_rate = config.content.max_rate;
    settings.low_speed_time =
        env_seconds("MILEPOST_SYNC_LOW_SPEED_SECONDS").value_or(settings.low_speed_time);
    settings.request_deadline =
        env_seconds("MILEPOST_SYNC_DEADLINE_SECONDS").value_or(settings.request_deadline);
    // Below the cap, or every transfer would look stalled.
    if (settings.max_rate > 0)
        settings.low_speed_limit =
            std::clamp<long>(static_cast<long>(settings.max_rate / 4), 1, settings.low_speed_limit);
    return settings;
}

} // namespace

int main(int argc, char** argv) {
    auto options = parse_sync_options(std::vector<std::string>(argv + 1, argv + argc));
    if (!options) {
        log::error(options.error().message + " (see milepost-sync --help)");
        return 2;
    }
    if (options->help || options->version) {
        if (options->help)
            std::fputs(kSyncUsage, stdout);
        else
            std::printf("milepost-sync %s (%s)\n", kVersion, curl_version_text().c_str());
        return 0;
    }
    std::string config_problem;
    const std::optional<DeviceConfig> loaded = load_config(*options, config_problem);
    if (!loaded)
        return 2;
    const DeviceConfig& config = *loaded;
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
    const SystemIdentity system =
        read_system_identity(rauc_conf_path(), system_version_path(), board_model_path());
    SharedFacts facts(store->data_dir(), config,
                      first_facts(*store, config, config_problem, system));
    const HttpSettings upload_settings = http_settings(config);
    HttpSettings settings = upload_settings;
    settings.keep_going = [&watchdog, &stop] {
        watchdog.ping();
        return !stop.asked();
    };
    auto http = HttpClient::create(std::move(settings));
    if (!http) {
        log::error(http.error().message);
        return 1;
    }

    if (options->mode == SyncMode::Once) {
        const bool content = run_content_pass(*http, *store, config, watchdog, facts);
        run_system_pass(*http, *store, config, system, watchdog, facts);
        const bool uploads = run_upload_pass(*http, store->data_dir(), config, watchdog, facts,
                                             PlayLog::Check::Quick);
        return content && uploads ? 0 : 1;
    }

    return run_daemon(*http, *store, config, system, upload_settings, watchdog, stop, facts);
}
