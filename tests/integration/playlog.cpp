// Proof of play for real: the player killed with kill -9 while it writes,
// uploads to the real nginx config (scripts/serve) that go down and come back,
// a PUT whose answer never comes, and a month offline.
#include "store/PlayLog.hpp"
#include "PlayerRun.hpp"
#include "SyncServers.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <sys/time.h>
#include <thread>
#include <tuple>

using namespace milepost;
using namespace milepost::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Every row id in the .ndjson files under `folder`, with how often it is there.
std::map<std::int64_t, int> uploaded_ids(const fs::path& folder) {
    std::map<std::int64_t, int> ids;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(folder, ec)) {
        std::istringstream in(read_file(f.path()));
        for (std::string line; std::getline(in, line);)
            if (!line.empty())
                ++ids[nlohmann::json::parse(line)["id"].get<std::int64_t>()];
    }
    return ids;
}

// `count` finished plays, as the player would write them.
void fill(const fs::path& db, int count, WallTime from) {
    auto log = PlayLog::open(db);
    REQUIRE(log.ok());
    REQUIRE(log->begin().ok());
    for (int i = 0; i < count; ++i) {
        const WallTime at = from + std::chrono::seconds(10 * i);
        auto id = log->insert_start(
            {"item-" + std::to_string(i % 18), "", "trucking", 3, at, true, "en", ""});
        REQUIRE(id.ok());
        REQUIRE(log->finish(*id, {at + 10s, 10000, "completed", ""}).ok());
    }
    REQUIRE(log->commit().ok());
}

} // namespace

TEST_CASE("kill -9 of the player at 30 random instants: the log stays whole, no committed row is "
          "lost, the killed item is interrupted") {
    TempDir dir;
    const fs::path source = dir.write("channel.toml", channel_header("trucking") + R"([[hotline]]
region = "*"
name = "Hotline"
call = "1-888-373-7888"
)" + slide_item("one", "One", 0.2) + slide_item("two", "Two", 0.3));
    const fs::path config = dir.write("device.toml", "[logs]\nscreenshot_minutes = 0\n");
    const fs::path db = dir / "data/playlog.db";
    std::mt19937 random(20261129);
    std::uniform_int_distribution<int> instant(300, 1500);
    std::int64_t committed = 0;
    std::vector<std::int64_t> killed_rows;
    for (int kill = 0; kill < 31; ++kill) {
        Child player({MILEPOST_PLAYER, "--config", config.string(), "--content", source.string(),
                      "--data-dir", (dir / "data").string(), "--headless", "320x180"});
        if (kill == 30) {
            // The last start only closes what the 30th kill left open.
            std::this_thread::sleep_for(1000ms);
            player.kill(SIGTERM);
            player.wait();
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(instant(random)));
        player.kill(SIGKILL);
        const RunResult ended = player.wait();
        REQUIRE_MESSAGE(ended.signal == SIGKILL, "ended before the kill, exit status "
                                                     << ended.exit_code << ": " << ended.err);
        auto log = PlayLog::open(db);
        REQUIRE(log.ok());
        INFO("kill " << kill);
        CHECK(*log->integrity_check() == "ok");
        auto stats = log->stats();
        REQUIRE(stats.ok());
        CHECK(stats->rows >= committed); // nothing committed before went missing
        committed = stats->rows;
        // The item on screen when it died: its row has no outcome yet.
        auto open_rows = log->rows_json(1, 1'000'000'000);
        REQUIRE(open_rows.ok());
        const auto finished = static_cast<std::int64_t>(open_rows->size());
        CHECK(stats->rows - finished <= 1);
        if (stats->rows - finished == 1)
            killed_rows.push_back(stats->rows);
    }
    auto log = PlayLog::open(db);
    REQUIRE(log.ok());
    auto rows = log->rows_json(1, 1'000'000'000);
    REQUIRE(rows.ok());
    CHECK(static_cast<std::int64_t>(rows->size()) == log->stats()->rows); // none left open
    std::map<std::int64_t, std::string> outcome;
    for (const auto& r : *rows) {
        auto j = nlohmann::json::parse(r);
        outcome[j["id"]] = j["outcome"];
    }
    CHECK(killed_rows.size() >= 25);
    for (auto id : killed_rows)
        CHECK(outcome[id] == "interrupted");
    MESSAGE("30 kills: " << committed << " rows, " << killed_rows.size()
                         << " items on screen at the kill, each recorded as interrupted");
}

TEST_CASE("uploads: the server down keeps rows pending, back up takes each row exactly once") {
    TempDir dir;
    const int port = free_port();
    const fs::path data = dir / "data";
    fs::create_directories(data);
    fill(data / "playlog.db", 12000, *parse_rfc3339("2026-12-01T08:00:00Z"));
    std::ofstream(dir / "token") << "tok-1\n";
    const fs::path config = dir.write(
        "device.toml", "[device]\nid = \"screen-1\"\n[logs]\nupload_url = \"http://127.0.0.1:" +
                           std::to_string(port) + "/ingest/\"\ntoken_file = \"" +
                           (dir / "token").string() + "\"\n");
    auto sync = [&] {
        return run(
            {MILEPOST_SYNC, "--config", config.string(), "--data-dir", data.string(), "--once"});
    };
    // The player runs a while too: a row of its own, its status, a screenshot.
    auto played =
        run({MILEPOST_PLAYER, "--config", config.string(), "--data-dir", data.string(),
             "--headless", "640x360", "--exit-after", "6", "--clock-start", cycle_start_clock()});
    REQUIRE_MESSAGE(played.exit_code == 0, played.err);
    auto down = sync();
    CHECK(down.exit_code == 1);
    const std::string log_id = PlayLog::open(data / "playlog.db")->log_id();
    CHECK(down.err.find("plays " + log_id + "-1-5000.ndjson") != std::string::npos);
    CHECK(PlayLog::open(data / "playlog.db")->stats()->pending == 12001);

    Serve serve(dir / "server", port);
    const auto started = std::chrono::steady_clock::now();
    auto up = sync();
    INFO(up.err);
    CHECK(up.exit_code == 0);
    MESSAGE("12001 rows uploaded in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s");
    const fs::path ingest = dir / "server/ingest/screen-1";
    auto ids = uploaded_ids(ingest / "plays");
    CHECK(ids.size() == 12001);
    bool once = true;
    for (const auto& [id, count] : ids)
        once = once && count == 1;
    CHECK(once);
    CHECK(ids.begin()->first == 1);
    CHECK(ids.rbegin()->first == 12001);
    auto status = nlohmann::json::parse(read_file(ingest / "status.json"));
    CHECK(status["device_id"] == "screen-1");
    CHECK(status["rows_pending"] == 0);
    CHECK(status["rows_lost"] == 0);
    CHECK(status["current_item"] == "intro-en"); // the built-in channel's first item
    CHECK(status["clock_trusted"].is_boolean());
    CHECK(status["disk_free_mb"].get<std::int64_t>() > 0);
    CHECK(status["disk_total_mb"].get<std::int64_t>() >=
          status["disk_free_mb"].get<std::int64_t>());
    CHECK(status["poll_interval_s"] == 300);
    CHECK(!status.contains("rows_pending_since")); // nothing pending
    const auto shot = load_picture(ingest / "screenshot.png");
    CHECK(shot.width == 480);
    CHECK(shot.height == 270);
    CHECK(PlayLog::open(data / "playlog.db")->stats()->pending == 0);
    // Nothing new: nothing more is sent but the status.
    CHECK(sync().exit_code == 0);
    CHECK(uploaded_ids(ingest / "plays").size() == 12001);
}

TEST_CASE("a PUT stored by the server whose answer never came is sent again the same: no row "
          "twice") {
    TempDir dir;
    const fs::path data = dir / "data";
    fs::create_directories(data);
    fill(data / "playlog.db", 7000, *parse_rfc3339("2026-12-01T08:00:00Z"));
    FaultServer server(dir / "server");
    server.set_fault("/ingest/screen-1/plays/", FaultServer::Fault::StoreThenHangOnce);
    const fs::path config =
        dir.write("device.toml", "[device]\nid = \"screen-1\"\n[logs]\nupload_url = \"" +
                                     server.url() + "ingest/\"\n");
    auto sync = [&] {
        return run(
            {MILEPOST_SYNC, "--config", config.string(), "--data-dir", data.string(), "--once"}, {},
            {"MILEPOST_SYNC_LOW_SPEED_SECONDS=2"});
    };
    auto first = sync();
    CHECK(first.exit_code == 1);
    const std::string name = PlayLog::open(data / "playlog.db")->log_id() + "-1-5000.ndjson";
    CHECK(first.err.find("plays " + name) != std::string::npos);
    const fs::path plays = dir / "server/ingest/screen-1/plays";
    const std::string stored = read_file(plays / name);
    CHECK(!stored.empty()); // the server has it, the screen does not know
    // The status still went, saying what failed.
    auto status = nlohmann::json::parse(read_file(dir / "server/ingest/screen-1/status.json"));
    CHECK(status["last_sync_result"].get<std::string>().find("plays " + name) != std::string::npos);
    CHECK(status["rows_pending"] == 7000);
    CHECK(status["rows_pending_since"] == "2026-12-01T08:00:00.000Z"); // the oldest row's start
    auto second = sync();
    INFO(second.err);
    CHECK(second.exit_code == 0);
    CHECK(read_file(plays / name) == stored); // the same name, the same body
    auto ids = uploaded_ids(plays);
    CHECK(ids.size() == 7000);
    bool once = true;
    for (const auto& [id, count] : ids)
        once = once && count == 1;
    CHECK(once);
    int puts_of_first = 0;
    for (const auto& r : server.requests())
        puts_of_first += r == "PUT /ingest/screen-1/plays/" + name;
    CHECK(puts_of_first == 2);
}

TEST_CASE("30 days offline at one item every 10 s: the log stays under max_db_mb and counts what "
          "it lost") {
    TempDir dir;
    const fs::path data = dir / "data";
    fs::create_directories(data);
    // The ingest server is unreachable all month.
    const fs::path config =
        dir.write("device.toml", "[device]\nid = \"screen-1\"\n[logs]\nupload_url = "
                                 "\"http://127.0.0.1:9/ingest/\"\nmax_db_mb = 4\n");
    const WallTime start = *parse_rfc3339("2026-11-01T00:00:00Z");
    // milepost-sync runs twice a day here (a screen polls every few minutes; each
    // run prunes what is over the cap, so fewer runs only let the file grow more).
    constexpr int kRowsPer12h = 12 * 360;
    std::int64_t inserted = 0;
    std::uint64_t largest = 0;
    for (int half = 0; half < 30 * 2; ++half) {
        fill(data / "playlog.db", kRowsPer12h, start + std::chrono::hours(12 * half));
        inserted += kRowsPer12h;
        // milepost-sync's poll: the upload fails, the pruning happens.
        auto r = run(
            {MILEPOST_SYNC, "--config", config.string(), "--data-dir", data.string(), "--once"});
        REQUIRE(r.exit_code == 1);
        largest = std::max<std::uint64_t>(largest, fs::file_size(data / "playlog.db"));
    }
    auto log = PlayLog::open(data / "playlog.db");
    auto stats = log->stats();
    REQUIRE(stats.ok());
    CHECK(largest <= 4u * 1024 * 1024);
    CHECK(stats->lost > 0);
    CHECK(stats->rows + stats->lost == inserted); // every row kept or counted
    CHECK(*log->integrity_check() == "ok");
    MESSAGE(inserted << " rows in 30 days; " << stats->rows << " kept, " << stats->lost
                     << " lost and counted; file at most " << largest << " bytes");
}

TEST_CASE("with [logs.s3] every PUT is signed with AWS SigV4, the payload hash included") {
    TempDir dir;
    const fs::path data = dir / "data";
    fs::create_directories(data);
    fill(data / "playlog.db", 10, *parse_rfc3339("2026-12-01T08:00:00Z"));
    FaultServer server(dir / "server");
    std::ofstream(dir / "access") << "AKIDEXAMPLE\n";
    std::ofstream(dir / "secret") << "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n";
    const fs::path config = dir.write(
        "device.toml", "[device]\nid = \"screen-1\"\n[logs]\nupload_url = \"" + server.url() +
                           "bucket/milepost/\"\n[logs.s3]\naccess_key_file = \"" +
                           (dir / "access").string() + "\"\nsecret_key_file = \"" +
                           (dir / "secret").string() + "\"\nregion = \"us-east-2\"\n");
    auto r =
        run({MILEPOST_SYNC, "--config", config.string(), "--data-dir", data.string(), "--once"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto heads = server.put_heads();
    REQUIRE(heads.size() == 2); // the plays, the status
    const std::string name = PlayLog::open(data / "playlog.db")->log_id() + "-1-10.ndjson";
    const std::string body = read_file(dir / "server/bucket/milepost/screen-1/plays" / name);
    REQUIRE(!body.empty());
    std::string lower = heads[0];
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(heads[0].starts_with("PUT /bucket/milepost/screen-1/plays/" + name + " HTTP/1.1"));
    CHECK(heads[0].find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") !=
          std::string::npos);
    CHECK(heads[0].find("/us-east-2/s3/aws4_request") != std::string::npos);
    CHECK(lower.find("signedheaders=") != std::string::npos);
    CHECK(lower.find("x-amz-date:") != std::string::npos);
    CHECK(lower.find("x-amz-content-sha256: " + sha256_hex(body)) != std::string::npos);
    CHECK(heads[0].find("Signature=") != std::string::npos);
    CHECK(heads[0].find("wJalrXUtnFEMI") == std::string::npos); // the secret never travels
}

namespace {

// Every row in the .ndjson files under `folder`, by its identity (device_id,
// log_id, id), with how often it is there.
std::map<std::tuple<std::string, std::string, std::int64_t>, int>
uploaded_identities(const fs::path& folder) {
    std::map<std::tuple<std::string, std::string, std::int64_t>, int> ids;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(folder, ec)) {
        std::istringstream in(read_file(f.path()));
        for (std::string line; std::getline(in, line);) {
            if (line.empty())
                continue;
            auto j = nlohmann::json::parse(line);
            ++ids[{j["device_id"].get<std::string>(), j["log_id"].get<std::string>(),
                   j["id"].get<std::int64_t>()}];
        }
    }
    return ids;
}

// The [logs] keys of a screen that uploads to `url` with the token in DIR/token.
std::string logs_config(const fs::path& dir, const std::string& url) {
    return "[logs]\nupload_url = \"" + url + "\"\ntoken_file = \"" + (dir / "token").string() +
           "\"\n";
}

// A screen "screen-1" whose milepost-sync uploads to scripts/serve on loopback.
struct UploadingScreen {
    TempDir dir;
    int port = free_port();
    Serve serve{dir / "server", port};
    fs::path data = dir / "data";
    fs::path ingest = dir / "server/ingest/screen-1";
    fs::path config;
    UploadingScreen() {
        fs::create_directories(data);
        std::ofstream(dir / "token") << "tok-1\n";
        config = dir.write("device.toml",
                           "[device]\nid = \"screen-1\"\n" + logs_config(dir.path(), url()));
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/ingest/"; }
    RunResult sync_once() const {
        return run(
            {MILEPOST_SYNC, "--config", config.string(), "--data-dir", data.string(), "--once"});
    }
    nlohmann::json status() const {
        return nlohmann::json::parse(read_file(ingest / "status.json"));
    }
};

} // namespace

TEST_CASE("a re-created playlog.db never overwrites what was uploaded before: every row "
          "stays on the real nginx under its own identity") {
    UploadingScreen screen;
    const fs::path& data = screen.data;
    auto sync = [&] { return screen.sync_once(); };
    fill(data / "playlog.db", 40, *parse_rfc3339("2026-12-01T08:00:00Z"));
    auto first = sync();
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    // The data partition re-created (or a damaged log set aside): ids from 1 again.
    for (const char* f : {"playlog.db", "playlog.db-wal", "playlog.db-shm"})
        fs::remove(data / f);
    // As many rows as before: under the old names (1-40.ndjson) the second upload
    // would have replaced the first.
    fill(data / "playlog.db", 40, *parse_rfc3339("2026-12-02T08:00:00Z"));
    auto second = sync();
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    const fs::path plays = screen.ingest / "plays";
    std::vector<std::string> names;
    for (const auto& f : fs::directory_iterator(plays))
        names.push_back(f.path().filename().string());
    CHECK(names.size() == 2);
    for (const auto& n : names)
        // "<16 hex digits>-1-40.ndjson" (no std::regex: GCC 12 warns inside it at -O1)
        CHECK_MESSAGE((n.size() == 16 + 12 && n.substr(16) == "-1-40.ndjson" &&
                       n.substr(0, 16).find_first_not_of("0123456789abcdef") == std::string::npos),
                      n);
    auto ids = uploaded_identities(plays);
    CHECK(ids.size() == 80); // 40 + 40: nothing overwritten
    std::set<std::string> logs;
    for (const auto& [identity, count] : ids) {
        CHECK(count == 1);
        CHECK(std::get<0>(identity) == "screen-1");
        logs.insert(std::get<1>(identity));
    }
    CHECK(logs.size() == 2);
    CHECK(screen.status()["log_id"] == PlayLog::open(data / "playlog.db")->log_id());
}

TEST_CASE("a damaged playlog.db is set aside by the player and by sync, and proof of play goes "
          "on in a new log that status.json names") {
    UploadingScreen screen;
    const TempDir& dir = screen.dir;
    const fs::path& data = screen.data;
    const fs::path& config = screen.config;
    // Not a database at all: what a card's bad block can leave.
    dir.write("data/playlog.db", std::string(8192, '\x17'));
    auto played =
        run({MILEPOST_PLAYER, "--config", config.string(), "--data-dir", data.string(),
             "--headless", "640x360", "--exit-after", "4", "--clock-start", cycle_start_clock()});
    REQUIRE_MESSAGE(played.exit_code == 0, played.err);
    CHECK(played.err.find("playlog.db was damaged") != std::string::npos);
    CHECK(played.err.find("set aside as playlog.db.broken-") != std::string::npos);
    auto log = PlayLog::open(data / "playlog.db");
    REQUIRE(log.ok());
    CHECK(log->stats()->rows >= 1); // the player went on recording
    const std::string new_id = log->log_id();
    // sync finds the next damage itself (the player is not running).
    fs::rename(data / "playlog.db", dir / "kept.db");
    fs::remove(data / "playlog.db-wal");
    fs::remove(data / "playlog.db-shm");
    dir.write("data/playlog.db", "SQLite format 3" + std::string(5000, '\x01'));
    auto synced = screen.sync_once();
    INFO(synced.err);
    CHECK(synced.exit_code == 0);
    CHECK(synced.err.find("playlog.db was damaged") != std::string::npos);
    int aside = 0;
    for (const auto& e : fs::directory_iterator(data))
        aside += e.path().filename().string().starts_with("playlog.db.broken-");
    CHECK(aside == 2); // the player's, then sync's
    auto status = screen.status();
    CHECK(status["play_log_replaced"].get<std::string>().find("set aside as playlog.db.broken-") !=
          std::string::npos);
    CHECK(status["log_id"] != new_id);
}

TEST_CASE("a player.json of the wrong types does not stop sync: the status goes, with defaults") {
    UploadingScreen screen;
    for (const std::string news :
         {R"({"current_item": 5, "frames_dropped_last_hour": "many"})", R"([1, 2, 3])",
          R"("just a string")", R"({"current_item": null, "frames_dropped_last_hour": -4})",
          R"({"current_item": "lot-en", "frames_dropped_last_hour": 1e400})"}) {
        CAPTURE(news);
        screen.dir.write("data/player.json", news);
        auto r = screen.sync_once();
        INFO(r.err);
        CHECK(r.exit_code == 0);
        auto status = screen.status();
        CHECK(status["current_item"].is_string());
        CHECK(status["frames_dropped_last_hour"].get<std::int64_t>() >= 0);
    }
}

TEST_CASE("a bad provisioning file does not stop sync: it runs on the device config, prunes, "
          "uploads, and status.json names the problem") {
    UploadingScreen screen;
    const TempDir& dir = screen.dir;
    const fs::path& data = screen.data;
    const fs::path& device = screen.config;
    fill(data / "playlog.db", 25, *parse_rfc3339("2026-12-01T08:00:00Z"));
    const fs::path card = dir.write("milepost.toml", "[device]\nregion = \"Texas\"\n");
    const std::vector<std::string> env{"MILEPOST_DEFAULT_CONFIG=" + device.string(),
                                       "MILEPOST_PROVISIONING_CONFIG=" + card.string()};
    // As a service runs it: no --config.
    auto r = run({MILEPOST_SYNC, "--data-dir", data.string(), "--once"}, {}, env);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("milepost.toml") != std::string::npos);
    CHECK(r.err.find("region") != std::string::npos);
    CHECK(uploaded_ids(screen.ingest / "plays").size() == 25);
    auto status = screen.status();
    const std::string problem = status["config_problem"].get<std::string>();
    CHECK(problem.find(card.string()) != std::string::npos);
    CHECK(problem.find("region") != std::string::npos);
    // A person at a terminal who names the file still gets exit 2.
    auto strict =
        run({MILEPOST_SYNC, "--config", card.string(), "--data-dir", data.string(), "--once"});
    CHECK(strict.exit_code == 2);
}

TEST_CASE("a content server that trickles delays no upload: plays and status go within one poll "
          "interval, and the trickled request is given up at its deadline") {
    UploadingScreen screen;
    const TempDir& dir = screen.dir;
    const fs::path& data = screen.data;
    fill(data / "playlog.db", 15, *parse_rfc3339("2026-12-01T08:00:00Z"));
    // A content server that sends a byte now and then: never slow enough for
    // curl's low-speed limit (stretched here so the trickle stands for one just
    // above it), never done.
    FaultServer content(dir / "content");
    fs::create_directories(dir / "content/channels/trucking");
    std::ofstream(dir / "content/channels/trucking/manifest.json") << std::string(4000, ' ');
    content.set_fault("/channels/", FaultServer::Fault::Trickle);
    const auto keys = minisign_generate();
    const auto& pub = keys.first;
    const fs::path config = dir.write(
        "device.toml", "[device]\nid = \"screen-1\"\n[content]\nserver = \"" + content.url() +
                           "\"\nchannel = \"trucking\"\npublic_key = \"" +
                           minisign_public_key_line(pub) + "\"\npoll_interval = \"10s\"\n" +
                           logs_config(dir.path(), screen.url()));
    Child daemon({MILEPOST_SYNC, "--config", config.string(), "--data-dir", data.string()}, {},
                 {"MILEPOST_SYNC_LOW_SPEED_SECONDS=1000", "MILEPOST_SYNC_DEADLINE_SECONDS=4"});
    const auto started = std::chrono::steady_clock::now();
    const fs::path plays = screen.ingest / "plays";
    // The first upload pass comes within the first poll interval (10 s).
    const fs::path status = screen.ingest / "status.json";
    while ((uploaded_ids(plays).size() < 15 || !fs::exists(status)) &&
           std::chrono::steady_clock::now() - started < 14s)
        std::this_thread::sleep_for(200ms);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    CHECK(uploaded_ids(plays).size() == 15);
    CHECK(fs::exists(status));
    MESSAGE("plays and status uploaded " << took << " s after start, the content server trickling");
    // Wait for a deadline to pass on the trickled manifest.
    std::this_thread::sleep_for(std::chrono::seconds(std::max(0, 16 - static_cast<int>(took))));
    daemon.kill(SIGTERM);
    auto r = daemon.wait();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("not done within its deadline of 4 s") != std::string::npos);
}

TEST_CASE("a play log the player cannot open at start is opened later: proof of play is never "
          "given up for the rest of a run") {
    TempDir dir;
    const fs::path data = dir / "data";
    // Something that is no file in its place (not damage: nothing to set aside).
    fs::create_directories(data / "playlog.db");
    Child player({MILEPOST_PLAYER, "--data-dir", data.string(), "--headless", "640x360",
                  "--exit-after", "14", "--clock-start", cycle_start_clock()},
                 dir.path(), {"MILEPOST_DEFAULT_CONFIG=/nonexistent"});
    std::this_thread::sleep_for(3s);
    fs::remove(data / "playlog.db");
    auto r = player.wait();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("tried again in 10 s") != std::string::npos);
    auto log = PlayLog::open(data / "playlog.db");
    REQUIRE(log.ok());
    // Items of the built-in channel from the start on, those of the first 10 s
    // kept in memory until the log could be opened.
    auto rows = log->rows_json(1, 1000);
    REQUIRE(rows.ok());
    CHECK(rows->size() >= 2);
    auto first = nlohmann::json::parse(rows->front());
    CHECK(first["item_id"] == "intro-en");
}
