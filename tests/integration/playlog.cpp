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
#include <sstream>
#include <thread>

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
        auto id =
            log->insert_start({"item-" + std::to_string(i % 18), "", "trucking", 3, at, true});
        REQUIRE(id.ok());
        REQUIRE(log->finish(*id, {at + 10s, 10000, "completed", ""}).ok());
    }
    REQUIRE(log->commit().ok());
}

// scripts/serve on a port, with one device's token.
struct Serve {
    fs::path root;
    int port;
    std::unique_ptr<Child> child;
    Serve(const fs::path& dir, int p) : root(dir), port(p) {
        fs::create_directories(dir / "site");
        std::ofstream(dir / "tokens.map") << "\"Bearer tok-1:screen-1\" 1;\n";
        child = std::make_unique<Child>(
            std::vector<std::string>{MILEPOST_SOURCE_DIR "/scripts/serve", (dir / "site").string(),
                                     std::to_string(port)},
            fs::path(),
            std::vector<std::string>{"TOKENS=" + (dir / "tokens.map").string(),
                                     "INGEST=" + (dir / "ingest").string()});
        // Ready when nginx answers.
        for (int i = 0; i < 100; ++i) {
            if (run({"curl", "-s", "-o", "/dev/null",
                     "http://127.0.0.1:" + std::to_string(port) + "/"})
                    .exit_code == 0)
                return;
            std::this_thread::sleep_for(50ms);
        }
        FAIL("scripts/serve did not start");
    }
    ~Serve() {
        child->kill(SIGTERM);
        child->wait();
    }
};

int free_port() {
    static std::mt19937 random(std::random_device{}());
    return 20000 + static_cast<int>(random() % 20000);
}

} // namespace

TEST_CASE("kill -9 of the player at 30 random instants: the log stays whole, no committed row is "
          "lost, the killed item is interrupted") {
    TempDir dir;
    const fs::path source =
        dir.write("channel.toml",
                  "channel = \"trucking\"\n[[hotline]]\nregion = \"*\"\nname = \"Hotline\"\ncall = "
                  "\"1-888-373-7888\"\n"
                  "[[item]]\nid = \"one\"\ntype = \"slide\"\ntitle = \"One\"\nduration = 0.2\n"
                  "[[item]]\nid = \"two\"\ntype = \"slide\"\ntitle = \"Two\"\nduration = 0.3\n");
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
        REQUIRE(player.wait().signal == SIGKILL);
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
    CHECK(down.err.find("plays 1-5000.ndjson") != std::string::npos);
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
    CHECK(first.err.find("plays 1-5000.ndjson") != std::string::npos);
    const fs::path plays = dir / "server/ingest/screen-1/plays";
    const std::string stored = read_file(plays / "1-5000.ndjson");
    CHECK(!stored.empty()); // the server has it, the screen does not know
    // The status still went, saying what failed.
    auto status = nlohmann::json::parse(read_file(dir / "server/ingest/screen-1/status.json"));
    CHECK(status["last_sync_result"].get<std::string>().find("plays 1-5000.ndjson") !=
          std::string::npos);
    CHECK(status["rows_pending"] == 7000);
    auto second = sync();
    INFO(second.err);
    CHECK(second.exit_code == 0);
    CHECK(read_file(plays / "1-5000.ndjson") == stored); // the same name, the same body
    auto ids = uploaded_ids(plays);
    CHECK(ids.size() == 7000);
    bool once = true;
    for (const auto& [id, count] : ids)
        once = once && count == 1;
    CHECK(once);
    int puts_of_first = 0;
    for (const auto& r : server.requests())
        puts_of_first += r == "PUT /ingest/screen-1/plays/1-5000.ndjson";
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
    constexpr int kRowsPer6h = 6 * 360;
    std::int64_t inserted = 0;
    std::uint64_t largest = 0;
    for (int quarter = 0; quarter < 30 * 4; ++quarter) {
        fill(data / "playlog.db", kRowsPer6h, start + std::chrono::hours(6 * quarter));
        inserted += kRowsPer6h;
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
    const std::string body = read_file(dir / "server/bucket/milepost/screen-1/plays/1-10.ndjson");
    REQUIRE(!body.empty());
    std::string lower = heads[0];
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(heads[0].starts_with("PUT /bucket/milepost/screen-1/plays/1-10.ndjson HTTP/1.1"));
    CHECK(heads[0].find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") !=
          std::string::npos);
    CHECK(heads[0].find("/us-east-2/s3/aws4_request") != std::string::npos);
    CHECK(lower.find("signedheaders=") != std::string::npos);
    CHECK(lower.find("x-amz-date:") != std::string::npos);
    CHECK(lower.find("x-amz-content-sha256: " + sha256_hex(body)) != std::string::npos);
    CHECK(heads[0].find("Signature=") != std::string::npos);
    CHECK(heads[0].find("wJalrXUtnFEMI") == std::string::npos); // the secret never travels
}
