// milepost-fleet on real files: an ingest tree as nginx stores uploads, with
// re-uploads, overlapping batches, bad lines and a 2 GB file, read into a real
// SQLite FLEET.db and counted back by `plays`.
#include "PlayerRun.hpp"
#include "SyncServers.hpp"
#include "core/Units.hpp"
#include "store/PlayLog.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/time.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace milepost;
using namespace milepost::test;
namespace fs = std::filesystem;

namespace {

// A play row as milepost-sync uploads it.
std::string play_line(const std::string& device, const std::string& log, int id,
                      const std::string& item, const std::string& started, int ms,
                      const std::string& outcome = "completed") {
    nlohmann::ordered_json j;
    j["device_id"] = device;
    j["log_id"] = log;
    j["id"] = id;
    j["item_id"] = item;
    j["object"] = nullptr;
    j["channel"] = "trucking";
    j["sequence"] = 7;
    j["started_at"] = started;
    j["ended_at"] = nullptr;
    j["duration_ms"] = ms;
    j["outcome"] = outcome;
    j["detail"] = nullptr;
    j["clock_trusted"] = 1;
    j["uploaded"] = 0;
    return j.dump() + "\n";
}

// The file's modification time, `seconds` after the epoch.
void set_mtime(const fs::path& file, long seconds) {
    const struct timeval times[2] = {{seconds, 0}, {seconds, 0}};
    REQUIRE(::utimes(file.c_str(), times) == 0);
}

RunResult fleet(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MILEPOST_FLEET};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

const std::string kLogA = "00000000000000aa";
const std::string kLogB = "00000000000000bb";

} // namespace

TEST_CASE("fleet ingest counts each play once, reads only what changed, and names bad input "
          "without stopping") {
    TempDir dir;
    const fs::path in = dir / "ingest";
    // Screen a: rows 1-3, then an overlapping batch 2-4 (a retry after a lost
    // answer), and the first batch again under another name.
    std::string batch1, batch2;
    for (int id = 1; id <= 3; ++id)
        batch1 += play_line("screen-a", kLogA, id, id == 2 ? "video-1" : "lot-en",
                            "2026-11-2" + std::to_string(id) + "T10:00:00.000Z", 10000);
    for (int id = 2; id <= 4; ++id)
        batch2 += play_line("screen-a", kLogA, id, id == 2 ? "video-1" : "lot-en",
                            "2026-11-2" + std::to_string(id) + "T10:00:00.000Z", 10000);
    dir.write("ingest/screen-a/plays/" + kLogA + "-1-3.ndjson", batch1);
    dir.write("ingest/screen-a/plays/" + kLogA + "-2-4.ndjson", batch2);
    dir.write("ingest/screen-a/plays/" + kLogA + "-1-3-again.ndjson", batch1);
    const fs::path status_a =
        dir.write("ingest/screen-a/status.json",
                  R"({"device_id":"screen-a","site":"Exit 42 Travel Center","region":"US-TX"})");
    set_mtime(status_a, 1795000000);
    // Screen b: one good row (in another zone's offset), then bad lines.
    std::string b =
        play_line("screen-b", kLogB, 1, "lot-es", "2026-11-22T05:00:00-06:00", 5000, "failed");
    const std::string not_utf8 = "{\"device_id\":\"screen-b\",\"log_id\":\"" + kLogB +
                                 "\",\"id\":2,\"item_id\":\"x\xff\"}\n";
    b += not_utf8;
    b += "{\"device_id\":\"screen-b\",\"id\":3,\"item\":\"old\"}\n";
    b += play_line("screen-x", kLogB, 4, "lot-en", "2026-11-22T10:00:00Z", 1000);
    b += play_line("screen-b", kLogB, 5, "lot-en", "2026-11-22T10:00:00Z", 1000).substr(0, 60);
    dir.write("ingest/screen-b/plays/" + kLogB + "-1-5.ndjson", b);
    dir.write("ingest/screen-b/screenshot.png", "this is no PNG");
    // Screen c: a 2 GB batch (sparse: no disk used), refused whole.
    const fs::path huge = dir.write("ingest/screen-c/plays/" + kLogA + "-1-9.ndjson", "");
    fs::resize_file(huge, 2ull << 30);
    // Not a device's folder.
    dir.write("ingest/Not A Device/plays/x.ndjson", "nothing");
    // Screen d: a status nested 100 deep, and a batch of 150 bad lines and a play
    // said to last longer than a day.
    dir.write("ingest/screen-d/status.json",
              "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}");
    std::string garbage =
        play_line("screen-d", kLogB, 1, "lot-en", "2026-11-22T10:00:00Z", 86400001);
    for (int i = 0; i < 150; ++i)
        garbage += "x\n";
    dir.write("ingest/screen-d/plays/" + kLogB + "-1-1.ndjson", garbage);

    const std::string db = (dir / "fleet.db").string();
    RunResult first = fleet({"ingest", in.string(), "--db", db});
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    INFO(first.out);
    CHECK(first.out.find("9 files: 9 read, 0 unchanged; 5 new plays, 5 already known; 1 status "
                         "reports, 0 screenshots") != std::string::npos);
    CHECK(first.out.find("155 bad lines, 3 files refused whole") != std::string::npos);
    const std::string bfile = (in / "screen-b/plays" / (kLogB + "-1-5.ndjson")).string();
    for (const std::string& line :
         {bfile + ":2: not UTF-8 text (byte " + std::to_string(not_utf8.find('\xff') + 1) + ")",
          bfile + ":3: no \"log_id\": a row of another schema version",
          bfile + ":4: device_id \"screen-x\" is not its folder's, \"screen-b\"",
          bfile + ":5: the last line is cut short (no newline, not complete JSON)",
          (in / "screen-b/screenshot.png").string() + ": not a PNG",
          huge.string() + ": the file is 2.0 GiB, over the 64 MiB such a file can be: not read",
          (in / "screen-d/plays" / (kLogB + "-1-1.ndjson")).string() +
              ":1: duration_ms: expected a whole number of milliseconds, 0 to 86400000"})
        CHECK_MESSAGE(first.out.find("  " + line) != std::string::npos, line);
    CHECK(first.out.find("Not A Device") == std::string::npos);
    // The first 50 are printed; all are in FLEET.db. A file's first 100 bad lines are
    // named, the rest counted.
    CHECK(first.out.find("  and 58 more (all in " + db + ", table problems)") != std::string::npos);
    RunResult named =
        run({"sqlite3", db,
             "SELECT line || ': ' || reason FROM problems WHERE path LIKE 'screen-d/%' "
             "ORDER BY rowid"});
    CHECK_MESSAGE(named.out.starts_with("1: duration_ms: "), named.out);
    CHECK_MESSAGE(named.out.ends_with("\n100: not JSON\n0: 51 more bad lines, not named\n0: "
                                      "nested over 16 deep\n"),
                  named.out);
    // Not a terminal: no progress bar.
    CHECK(first.err.find('\r') == std::string::npos);

    // Counted once each: 4 rows of screen a, 1 of screen b; days in UTC.
    RunResult by_day = fleet({"plays", "--db", db, "--by", "item,day"});
    REQUIRE_MESSAGE(by_day.exit_code == 0, by_day.err);
    CHECK(by_day.out == "item,day,plays,completed,interrupted,skipped,failed,hours,screens\r\n"
                        "lot-en,2026-11-21,1,1,0,0,0,0.00,1\r\n"
                        "lot-en,2026-11-23,1,1,0,0,0,0.00,1\r\n"
                        "lot-en,2026-11-24,1,1,0,0,0,0.00,1\r\n"
                        "lot-es,2026-11-22,1,0,0,0,1,0.00,1\r\n"
                        "video-1,2026-11-22,1,1,0,0,0,0.00,1\r\n");
    // The site as the screen reported it; from the rows (hour) the same totals
    // as from the daily roll-ups (site).
    RunResult by_site = fleet({"plays", "--db", db, "--by", "site", "--format", "json"});
    REQUIRE_MESSAGE(by_site.exit_code == 0, by_site.err);
    auto sites = nlohmann::json::parse(by_site.out);
    REQUIRE(sites.size() == 2);
    CHECK(sites[0]["site"] == "");
    CHECK(sites[0]["plays"] == 1);
    CHECK(sites[1]["site"] == "Exit 42 Travel Center");
    CHECK(sites[1]["plays"] == 4);
    CHECK(sites[1]["hours"] == doctest::Approx(40.0 / 3600).epsilon(0.2));
    RunResult by_hour = fleet({"plays", "--db", db, "--by", "hour", "--format", "json", "--from",
                               "2026-11-22", "--to", "2026-11-23"});
    REQUIRE_MESSAGE(by_hour.exit_code == 0, by_hour.err);
    auto hours = nlohmann::json::parse(by_hour.out);
    REQUIRE(hours.size() == 2);
    CHECK(hours[0]["hour"] == "10");
    CHECK(hours[0]["plays"] == 2);   // video-1 on the 22nd, lot-en on the 23rd
    CHECK(hours[1]["hour"] == "11"); // 05:00-06:00 is 11:00 UTC
    CHECK(hours[1]["failed"] == 1);
    RunResult table = fleet({"plays", "--db", db, "--by", "region", "--format", "table"});
    CHECK(table.out == "region  plays  completed  interrupted  skipped  failed  hours  screens\n"
                       "            1          0            0        0       1   0.00        1\n"
                       "US-TX       4          4            0        0       0   0.01        1\n");

    // Nothing new: nothing read again.
    RunResult again = fleet({"ingest", in.string(), "--db", db});
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK_MESSAGE(again.out.find("9 files: 0 read, 9 unchanged; 0 new plays, 0 already known") !=
                      std::string::npos,
                  again.out);

    // On a terminal (script(1) gives it one), a progress bar of files and plays.
    RunResult tty = run({"script", "-qec",
                         std::string(MILEPOST_FLEET) + " ingest " + in.string() + " --db " +
                             (dir / "tty.db").string(),
                         "/dev/null"});
    CHECK(tty.exit_code == 0);
    CHECK_MESSAGE(tty.out.find("] 9/9 files, 10 plays\r\n") != std::string::npos, tty.out);
    CHECK(tty.out.find("\r[##############################]") != std::string::npos);

    // A batch rewritten with a new row, and a newer status: only they are read.
    dir.write("ingest/screen-a/plays/" + kLogA + "-2-4.ndjson",
              batch2 + play_line("screen-a", kLogA, 5, "lot-en", "2026-11-25T10:00:00Z", 10000));
    const fs::path status_new =
        dir.write("ingest/screen-a/status.json",
                  R"({"device_id":"screen-a","site":"Exit 43 Travel Center","region":"US-OK"})");
    set_mtime(status_new, 1795000600);
    RunResult third = fleet({"ingest", in.string(), "--db", db});
    REQUIRE_MESSAGE(third.exit_code == 0, third.err);
    CHECK_MESSAGE(third.out.find("9 files: 2 read, 7 unchanged; 1 new plays, 3 already known; 1 "
                                 "status reports") != std::string::npos,
                  third.out);
    RunResult regions = fleet({"plays", "--db", db, "--by", "region,site"});
    CHECK(regions.out.find("US-OK,Exit 43 Travel Center,5,") != std::string::npos);
    // The report over it (its pages are checked in a browser below).
    RunResult report = fleet({"report", "--db", db, "--out", (dir / "report").string(), "--now",
                              "2026-11-25T12:00:00Z", "--region", "US"});
    REQUIRE_MESSAGE(report.exit_code == 0, report.err);
    CHECK_MESSAGE(report.out.starts_with("report: 1 screen (1 offline), 5 plays; 8 files in "),
                  report.out);
    CHECK(read_file(dir / "report/index.html").find("Exit 43 Travel Center") != std::string::npos);
    // Both reports are kept as the screen's history, and the problems stay named.
    RunResult history = run({"sqlite3", db,
                             "SELECT count(*) FROM status_history; SELECT count(*) FROM problems; "
                             "SELECT count(*) FROM plays; SELECT sum(plays) FROM daily;"});
    CHECK(history.out == "2\n108\n6\n6\n");
}

TEST_CASE("milepost-fleet says what is wrong with its command line") {
    TempDir dir;
    const std::string db = (dir / "fleet.db").string();
    RunResult help = fleet({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("milepost-fleet ingest (FOLDER | s3://BUCKET/PREFIX/ [--endpoint URL])") !=
          std::string::npos);
    CHECK(fleet({"--version"}).out.starts_with("milepost-fleet "));
    struct Case {
        std::vector<std::string> args;
        int exit_code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{}, 2, "a command is needed"},
        {{"report2"}, 2, "unknown command \"report2\""},
        {{"ingest", (dir / "none").string()}, 2, "--db FLEET.db is needed"},
        {{"ingest", (dir / "none").string(), "--db", db}, 1, "none: cannot be read"},
        {{"plays", "--db", db, "--by", "item,colour"}, 2, "\"colour\" is not one of item"},
        {{"plays", "--db", db, "--by", "item", "--from", "2026-13-01"},
         2,
         "--from: expected a date, YYYY-MM-DD"},
        {{"plays", "--db", db, "--by", "item", "--format", "xml"}, 2, "--format: expected csv"},
        {{"plays", "--db", (dir / "missing.db").string(), "--by", "item"}, 1, "no such database"},
    };
    for (const Case& c : cases) {
        RunResult r = fleet(c.args);
        CHECK_MESSAGE(r.exit_code == c.exit_code, r.err);
        CHECK_MESSAGE(r.err.find(c.message) != std::string::npos, r.err);
    }
}

namespace {

// Headless Chromium (Debian's) on a page: --dump-dom prints the DOM once the
// page's scripts ran; --screenshot saves what it drew.
RunResult chromium(const TempDir& dir, const std::vector<std::string>& args,
                   const std::string& url) {
    std::vector<std::string> argv = {"chromium",
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--hide-scrollbars",
                                     "--no-first-run",
                                     "--user-data-dir=" + (dir / "chromium").string(),
                                     "--virtual-time-budget=5000"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(url);
    return run(argv, dir.path(), {"HOME=" + dir.path().string()});
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

// Pixels of exactly `c` (a chart's fill) in a screenshot.
std::size_t pixels_of(const Picture& p, SDL_Color c) {
    std::size_t n = 0;
    for (int y = 0; y < p.height; ++y)
        for (int x = 0; x < p.width; ++x) {
            const SDL_Color v = p.at(x, y);
            n += v.r == c.r && v.g == c.g && v.b == c.b ? 1 : 0;
        }
    return n;
}

} // namespace

TEST_CASE("the report opens from file:// in Chromium: its charts draw, its states and rows are "
          "FLEET.db's, and the filter narrows the table") {
    TempDir dir;
    const WallTime now = *parse_rfc3339("2026-12-01T12:00:00Z");
    const auto epoch = [](WallTime t) {
        return static_cast<long>(
            std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
    };
    struct Screen {
        std::string id, site, extra;
        std::chrono::minutes age;
        bool status = true;
    };
    const std::vector<Screen> screens = {
        {"s-playing", "Exit 42 Travel Center", "", std::chrono::minutes(2)},
        {"s-hot", "Exit 7 Truck Stop",
         R"("cpu_temp_c": 85.5, "last_sync_result": "error: timeout",)", std::chrono::minutes(3)},
        {"s-stale", "Union Bus Terminal", "", std::chrono::minutes(30)},
        {"s-offline", "Port of Entry 3", "", std::chrono::minutes(180)},
        {"s-never", "", "", std::chrono::minutes(0), false},
    };
    // Each screen: lot-en twice a day and video-1 once, on the 3 days to the 1st.
    for (std::size_t n = 0; n < screens.size(); ++n) {
        const Screen& s = screens[n];
        std::string rows;
        int id = 0;
        for (const char* day : {"2026-11-29", "2026-11-30", "2026-12-01"})
            for (const char* item : {"lot-en", "lot-en", "video-1"})
                rows += play_line(s.id, kLogA, ++id, item, std::string(day) + "T08:00:00.000Z",
                                  std::string(item) == "video-1" ? 30000 : 10000);
        // And one screen showed an item whose id would break out of a <script> (or
        // an HTML comment) if the pages did not escape it.
        if (s.id == "s-playing")
            rows +=
                play_line(s.id, kLogA, ++id, "<!--<script></script>", "2026-12-01T09:00:00Z", 1000);
        dir.write("ingest/" + s.id + "/plays/" + kLogA + "-1-9.ndjson", rows);
        if (!s.status)
            continue;
        const fs::path status = dir.write(
            "ingest/" + s.id + "/status.json",
            "{\"device_id\": \"" + s.id + "\", \"site\": \"" + s.site + "\", " + s.extra +
                R"( "region": "US-TX", "version": "0.9.1", "channel": "trucking", "sequence": 12,
                "current_item": "lot-en", "poll_interval_s": 300, "disk_free_mb": 9000,
                "disk_total_mb": 14000, "frames_dropped_last_hour": 0, "rows_lost": 0})");
        set_mtime(status, epoch(now - s.age));
    }
    fs::copy_file(make_media("fleet-shot.png",
                             {"-f", "lavfi", "-i", "testsrc2=size=480x270", "-frames:v", "1"}),
                  dir / "ingest/s-playing/screenshot.png");
    const std::string db = (dir / "fleet.db").string();
    RunResult ingest = fleet({"ingest", (dir / "ingest").string(), "--db", db});
    REQUIRE_MESSAGE(ingest.exit_code == 0, ingest.err);
    const fs::path out = dir / "report";
    RunResult report =
        fleet({"report", "--db", db, "--out", out.string(), "--now", "2026-12-01T12:00:00Z"});
    REQUIRE_MESSAGE(report.exit_code == 0, report.err);
    CHECK_MESSAGE(report.out.find("report: 5 screens (1 playing, 1 attention, 1 stale, 1 offline, "
                                  "1 never reported), 46 plays") != std::string::npos,
                  report.out);

    // The DOM after the page's scripts ran: counts, rows and states as in FLEET.db.
    const std::string index = "file://" + (out / "index.html").string();
    RunResult dom = chromium(dir, {"--dump-dom"}, index);
    REQUIRE_MESSAGE(dom.exit_code == 0, dom.err);
    for (const char* state : {"playing", "attention", "stale", "offline", "never reported"})
        CHECK_MESSAGE(dom.out.find("<div data-state=\"" + std::string(state) + "\"><b>1</b>") !=
                          std::string::npos,
                      state);
    CHECK(count_of(dom.out, "<tr data-state=") == 5);
    CHECK(dom.out.find("5 of 5 screens shown") != std::string::npos);
    CHECK(dom.out.find("temperature 86 °C") != std::string::npos);
    CHECK(dom.out.find("sync failed: error: timeout") != std::string::npos);
    CHECK(dom.out.find("46 plays in all.") != std::string::npos);
    // A filter in the address, as a link to "the offline screens" would carry it.
    RunResult offline = chromium(dir, {"--dump-dom"}, index + "#state=offline");
    CHECK(offline.out.find("1 of 5 screens shown") != std::string::npos);
    CHECK(count_of(offline.out, "<tr data-state=") - count_of(offline.out, "hidden=\"\"") == 1);
    CHECK(offline.out.find("<tr data-state=\"offline\"><td>Port of Entry 3") != std::string::npos);
    RunResult found = chromium(dir, {"--dump-dom"}, index + "#q=exit");
    CHECK(found.out.find("2 of 5 screens shown") != std::string::npos);

    // Drawn: the charts' own colours fill their canvases. Kept in build/.
    const fs::path shots = fs::path(MILEPOST_SNAPSHOT_DIR);
    fs::create_directories(shots);
    const SDL_Color first{0x8a, 0x15, 0x38, 255}, second{0x1f, 0x77, 0xb4, 255};
    struct Page {
        std::string file, shot;
        SDL_Color colour;
        std::size_t at_least;
    };
    for (const Page& p :
         std::vector<Page>{{"index.html", "fleet-index.png", first, 20000},
                           {"items.html", "fleet-items.png", second, 20000},
                           {"screens/s-playing.html", "fleet-screen.png", first, 5000}}) {
        RunResult shot =
            chromium(dir, {"--window-size=1280,2600", "--screenshot=" + (shots / p.shot).string()},
                     "file://" + (out / p.file).string());
        REQUIRE_MESSAGE(fs::exists(shots / p.shot), shot.err);
        const std::size_t drawn = pixels_of(load_picture(shots / p.shot), p.colour);
        CHECK_MESSAGE(drawn >= p.at_least, p.file, ": ", drawn, " chart pixels");
    }

    // items.html: every item's plays (a static table); the CSVs beside it.
    const std::string items = read_file(out / "items.html");
    CHECK(items.find("<tr><td>lot-en</td><td class=\"n\">30</td><td class=\"n\">30</td>") !=
          std::string::npos);
    CHECK(items.find("<tr><td>video-1</td><td class=\"n\">15</td>") != std::string::npos);
    const std::string by_item_day = read_file(out / "plays_by_item_day.csv");
    CHECK(by_item_day.starts_with(
        "item,day,plays,completed,interrupted,skipped,failed,hours,screens\r\n"));
    CHECK(by_item_day.find("\r\nlot-en,2026-11-29,10,10,0,0,0,0.03,5\r\n") != std::string::npos);
    CHECK(items.find("<td>&lt;!--&lt;script&gt;&lt;/script&gt;</td>") != std::string::npos);
    CHECK(count_of(read_file(out / "screens.csv"), "\r\n") == 6);
    CHECK(fs::file_size(out / "screens/s-playing.png") ==
          fs::file_size(dir / "ingest/s-playing/screenshot.png"));
}

namespace {

// A real clickhouse-server (Debian's), on loopback ports of its own, its data in a
// temporary folder.
class ClickHouseServer {
public:
    explicit ClickHouseServer(const TempDir& dir) : m_http(free_port()) {
        const fs::path root = dir / "clickhouse";
        fs::create_directories(root);
        dir.write("clickhouse/config.xml",
                  "<?xml version=\"1.0\"?>\n<yandex>\n"
                  "<logger><level>warning</level><log>" +
                      (root / "server.log").string() + "</log><errorlog>" +
                      (root / "server.err.log").string() +
                      "</errorlog><console>0</console></logger>\n"
                      "<http_port>" +
                      std::to_string(m_http) + "</http_port>\n<tcp_port>" +
                      std::to_string(free_port()) +
                      "</tcp_port>\n<listen_host>127.0.0.1</listen_host>\n"
                      "<path>" +
                      (root / "data").string() + "/</path>\n<tmp_path>" + (root / "tmp").string() +
                      "/</tmp_path>\n<user_files_path>" + (root / "files").string() +
                      "/</user_files_path>\n"
                      "<users_config>users.xml</users_config>\n<default_profile>default</"
                      "default_profile>\n"
                      "<default_database>default</default_database>\n"
                      "<mark_cache_size>67108864</mark_cache_size>\n<timezone>UTC</timezone>\n</"
                      "yandex>\n");
        dir.write("clickhouse/users.xml",
                  "<?xml version=\"1.0\"?>\n<yandex>\n<profiles><default/></profiles>\n"
                  "<users><default><password></password><networks><ip>127.0.0.1</ip></networks>"
                  "<profile>default</profile><quota>default</quota></default></users>\n"
                  "<quotas><default/></quotas>\n</yandex>\n");
        m_server = std::make_unique<Child>(std::vector<std::string>{
            "clickhouse-server", "--config-file=" + (root / "config.xml").string()});
        for (int i = 0; i < 200; ++i) {
            if (query("SELECT 1") == "1\n")
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL("clickhouse-server did not start: " << read_file(root / "server.err.log"));
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_http) + "/"; }
    // The answer to `sql`, over HTTP.
    std::string query(const std::string& sql) const {
        return run({"curl", "-s", "--data-binary", sql, url()}).out;
    }

private:
    int m_http;
    std::unique_ptr<Child> m_server;
};

} // namespace

TEST_CASE("ingest --clickhouse writes the same plays to a real clickhouse-server, counted once "
          "each by the shipped queries, and a server that is down marks nothing read") {
    TempDir dir;
    ClickHouseServer clickhouse(dir);
    std::string batch;
    for (int id = 1; id <= 40; ++id)
        batch += play_line("screen-a", kLogA, id, id % 4 ? "lot-en" : "video-1",
                           id <= 20 ? "2026-11-21T10:00:00.000Z" : "2026-11-22T10:00:00.000Z",
                           10000, id % 10 ? "completed" : "interrupted");
    dir.write("ingest/screen-a/plays/" + kLogA + "-1-40.ndjson", batch);
    dir.write("ingest/screen-a/status.json",
              R"({"device_id":"screen-a","site":"Exit 42 Travel Center","region":"US-TX"})");
    const std::string db = (dir / "fleet.db").string();
    RunResult first =
        fleet({"ingest", (dir / "ingest").string(), "--db", db, "--clickhouse", clickhouse.url()});
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    CHECK_MESSAGE(first.out.find("40 plays sent to ClickHouse") != std::string::npos, first.out);
    CHECK(clickhouse.query("SELECT count() FROM milepost_plays FINAL") == "40\n");
    // The same rows again under another name (a retry), and one new row.
    dir.write("ingest/screen-a/plays/" + kLogA + "-1-41.ndjson",
              batch +
                  play_line("screen-a", kLogA, 41, "lot-en", "2026-11-22T11:00:00.000Z", 10000));
    RunResult second =
        fleet({"ingest", (dir / "ingest").string(), "--db", db, "--clickhouse", clickhouse.url()});
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    CHECK(clickhouse.query("SELECT count() FROM milepost_plays FINAL") == "41\n");

    // The shipped queries, over the days of the rows: the same counts as FLEET.db's.
    std::string queries = read_file(MILEPOST_SOURCE_DIR "/fleet/clickhouse/queries.sql");
    for (auto [from, to] : {std::pair{"2026-11-01", "2026-11-21"}, {"2026-11-30", "2026-11-22"}}) {
        const auto at = queries.find(from);
        REQUIRE(at != std::string::npos);
        queries.replace(at, 10, to);
    }
    std::vector<std::string> answers;
    for (std::size_t start = 0, end; start < queries.size(); start = end + 2) {
        end = std::min(queries.find(";\n", start), queries.size());
        const std::string q = queries.substr(start, end - start);
        if (q.find("SELECT") != std::string::npos)
            answers.push_back(clickhouse.query(q));
    }
    REQUIRE(answers.size() == 3);
    CHECK(answers[0] ==
          "\"item\",\"day\",\"plays\",\"completed\",\"interrupted\",\"skipped\",\"failed\","
          "\"hours\",\"screens\"\n"
          "\"lot-en\",\"2026-11-21\",15,14,1,0,0,0.04,1\n"
          "\"lot-en\",\"2026-11-22\",16,15,1,0,0,0.04,1\n"
          "\"video-1\",\"2026-11-21\",5,4,1,0,0,0.01,1\n"
          "\"video-1\",\"2026-11-22\",5,4,1,0,0,0.01,1\n");
    CHECK(answers[1].find("\"Exit 42 Travel Center\",\"2026-11-22\",21,") != std::string::npos);
    CHECK(answers[2] == "\"lang\",\"plays\"\n\"\",41\n");
    RunResult sqlite = fleet({"plays", "--db", db, "--by", "item,day"});
    CHECK(sqlite.out.find("lot-en,2026-11-22,16,15,1,0,0,") != std::string::npos);

    // ClickHouse down: the run fails naming it, and FLEET.db keeps the new file
    // unread, so that the next run sends its rows.
    dir.write("ingest/screen-a/plays/" + kLogA + "-42-42.ndjson",
              play_line("screen-a", kLogA, 42, "lot-en", "2026-11-23T11:00:00.000Z", 10000));
    RunResult down = fleet({"ingest", (dir / "ingest").string(), "--db", db, "--clickhouse",
                            "http://127.0.0.1:" + std::to_string(free_port()) + "/"});
    CHECK(down.exit_code == 1);
    CHECK_MESSAGE(down.err.find("ClickHouse at http://127.0.0.1:") != std::string::npos, down.err);
    RunResult back =
        fleet({"ingest", (dir / "ingest").string(), "--db", db, "--clickhouse", clickhouse.url()});
    REQUIRE_MESSAGE(back.exit_code == 0, back.err);
    CHECK_MESSAGE(back.out.find("1 new plays") != std::string::npos, back.out);
    CHECK(clickhouse.query("SELECT count() FROM milepost_plays FINAL") == "42\n");
}

TEST_CASE("ingest s3://BUCKET/PREFIX/ lists page by page, reads only what changed by ETag, and "
          "signs every request with SigV4") {
    TempDir dir;
    FaultServer s3(dir / "s3");
    s3.set_list_page(2); // 4 keys under the prefix: two pages
    const std::string bucket = "s3/uploads/ingest/";
    std::string a;
    for (int id = 1; id <= 3; ++id)
        a += play_line("screen-a", kLogA, id, "lot-en", "2026-11-21T10:00:00.000Z", 10000);
    dir.write(bucket + "screen-a/plays/" + kLogA + "-1-3.ndjson", a);
    dir.write(bucket + "screen-a/status.json",
              R"({"device_id":"screen-a","site":"Exit 42 Travel Center","region":"US-TX"})");
    dir.write(bucket + "screen-b/plays/" + kLogB + "-1-1.ndjson",
              play_line("screen-b", kLogB, 1, "lot-es", "2026-11-21T11:00:00.000Z", 10000));
    dir.write(bucket + "screen-b/notes.txt", "not an upload");
    dir.write("s3/uploads/elsewhere/screen-c/status.json", "{}"); // outside the prefix
    const std::vector<std::string> keys = {"AWS_ACCESS_KEY_ID=AKIDMILEPOSTTEST",
                                           "AWS_SECRET_ACCESS_KEY=not-a-real-secret",
                                           "AWS_REGION=eu-west-1"};
    const std::string db = (dir / "fleet.db").string();
    auto ingest = [&](const std::vector<std::string>& env) {
        return run(
            {MILEPOST_FLEET, "ingest", "s3://uploads/ingest/", "--endpoint", s3.url(), "--db", db},
            {}, env);
    };
    RunResult first = ingest(keys);
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    CHECK_MESSAGE(first.out.find("3 files: 3 read, 0 unchanged; 4 new plays, 0 already known; 1 "
                                 "status reports") != std::string::npos,
                  first.out);
    RunResult by_site = fleet({"plays", "--db", db, "--by", "site"});
    CHECK(by_site.out.find("Exit 42 Travel Center,3,") != std::string::npos);
    // Two list pages, three objects, each request signed for the region and for S3.
    int lists = 0, gets = 0;
    for (const std::string& r : s3.requests()) {
        lists += r.starts_with("GET /uploads?") ? 1 : 0;
        gets += r.starts_with("GET /uploads/ingest/") ? 1 : 0;
    }
    CHECK(lists == 2);
    CHECK(gets == 3);
    CHECK(s3.requests()[1].find("continuation-token=") != std::string::npos);
    for (const std::string& head : s3.heads()) {
        CHECK_MESSAGE(head.find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDMILEPOSTTEST/") !=
                          std::string::npos,
                      head);
        CHECK_MESSAGE(head.find("/eu-west-1/s3/aws4_request") != std::string::npos, head);
        CHECK(head.find("x-amz-content-sha256: e3b0c442") != std::string::npos);
        CHECK(head.find("not-a-real-secret") == std::string::npos);
    }

    // An object that cannot be fetched (a 500) is not marked read: the next run
    // fetches it.
    dir.write(bucket + "screen-c/plays/" + kLogB + "-1-1.ndjson",
              play_line("screen-c", kLogB, 1, "lot-fr", "2026-11-21T12:00:00.000Z", 10000));
    s3.set_fault("/uploads/ingest/screen-c/", FaultServer::Fault::Error500);
    RunResult failing = ingest(keys);
    CHECK(failing.exit_code == 0);
    CHECK_MESSAGE(failing.out.find("s3://uploads/ingest/screen-c/plays/" + kLogB +
                                   "-1-1.ndjson: HTTP 500") != std::string::npos,
                  failing.out);
    s3.set_fault("/uploads/ingest/screen-c/", FaultServer::Fault::None);
    RunResult fetched = ingest(keys);
    CHECK_MESSAGE(fetched.out.find("4 files: 1 read, 3 unchanged; 1 new plays") !=
                      std::string::npos,
                  fetched.out);

    // Unchanged ETags: listed, not read again. A batch rewritten: read again.
    const std::size_t before = s3.requests().size();
    RunResult again = ingest(keys);
    CHECK_MESSAGE(again.out.find("4 files: 0 read, 4 unchanged") != std::string::npos, again.out);
    CHECK(s3.requests().size() == before + 3); // the list's three pages only
    dir.write(bucket + "screen-b/plays/" + kLogB + "-1-1.ndjson",
              play_line("screen-b", kLogB, 1, "lot-es", "2026-11-21T11:00:00.000Z", 10000) +
                  play_line("screen-b", kLogB, 2, "lot-es", "2026-11-21T11:01:00.000Z", 10000));
    RunResult third = ingest(keys);
    CHECK_MESSAGE(third.out.find("4 files: 1 read, 3 unchanged; 1 new plays, 1 already known") !=
                      std::string::npos,
                  third.out);

    // No key, or a key over plain http to another machine: refused before anything.
    RunResult keyless = ingest({"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="});
    CHECK(keyless.exit_code == 2);
    CHECK(keyless.err.find("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") != std::string::npos);
    RunResult plain = run({MILEPOST_FLEET, "ingest", "s3://uploads/ingest/", "--endpoint",
                           "http://s3.example.org", "--db", db},
                          {}, keys);
    CHECK(plain.exit_code == 2);
    CHECK(plain.err.find("expected an https:// URL") != std::string::npos);
}

TEST_CASE("two players and their syncs upload through the real nginx: milepost-fleet counts "
          "each screen's plays once, and a screen that stops turns stale, then offline") {
    TempDir dir;
    const int port = free_port();
    Serve serve{dir / "server", port};
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/ingest/";
    // Three slides of a second each.
    dir.write("c/channel.toml", channel_toml("fleet-test", R"([[item]]
id = "sign-1"
type = "slide"
title = "Signs to watch for"
duration = 1
[[item]]
id = "sign-2"
type = "slide"
title = "Call the hotline"
duration = 1
[[item]]
id = "sign-3"
type = "slide"
title = "Text 233733"
duration = 1
)"));
    const std::vector<std::string> sites = {"Exit 42 Travel Center", "Union Bus Terminal"};
    std::vector<std::unique_ptr<Child>> players;
    for (int n = 1; n <= 2; ++n) {
        const std::string id = "screen-" + std::to_string(n);
        std::ofstream(dir / ("token-" + id)) << "tok-" << n << "\n";
        dir.write(id + "/device.toml",
                  "[device]\nid = \"" + id + "\"\nsite = \"" + sites[n - 1] +
                      "\"\nregion = \"US-TX\"\n[display]\nboot_info_seconds = 0\n"
                      "[logs]\nupload_url = \"" +
                      url + "\"\ntoken_file = \"" + (dir / ("token-" + id)).string() + "\"\n");
        players.push_back(std::make_unique<Child>(
            std::vector<std::string>{MILEPOST_PLAYER, "--config",
                                     (dir / id / "device.toml").string(), "--data-dir",
                                     (dir / id / "data").string(), "--headless", "320x180",
                                     "--content", (dir / "c/channel.toml").string(), "--exit-after",
                                     "4.5", "--clock-start", cycle_start_clock()},
            dir.path()));
    }
    std::vector<std::size_t> rows;
    for (int n = 1; n <= 2; ++n) {
        auto r = players[n - 1]->wait();
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        const fs::path screen = dir / ("screen-" + std::to_string(n));
        auto sync = run({MILEPOST_SYNC, "--config", (screen / "device.toml").string(), "--data-dir",
                         (screen / "data").string(), "--once"});
        REQUIRE_MESSAGE(sync.exit_code == 0, sync.err);
        auto log = PlayLog::open(screen / "data/playlog.db");
        REQUIRE(log.ok());
        auto json_rows = log->rows_json(1, 1000);
        REQUIRE(json_rows.ok());
        rows.push_back(json_rows->size());
        CHECK(json_rows->size() >= 4); // a slide a second for 4.5 s
    }

    const fs::path ingest = dir / "server/ingest";
    const std::string db = (dir / "fleet.db").string();
    RunResult first = run({MILEPOST_FLEET, "ingest", ingest.string(), "--db", db});
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    CHECK_MESSAGE(first.out.find("; " + std::to_string(rows[0] + rows[1]) +
                                 " new plays, 0 already known; 2 status reports") !=
                      std::string::npos,
                  first.out);
    CHECK(first.out.find("bad lines") == std::string::npos);
    RunResult by_site =
        run({MILEPOST_FLEET, "plays", "--db", db, "--by", "site", "--format", "json"});
    REQUIRE_MESSAGE(by_site.exit_code == 0, by_site.err);
    auto counted = nlohmann::json::parse(by_site.out);
    REQUIRE(counted.size() == 2);
    CHECK(counted[0]["site"] == sites[0]);
    CHECK(counted[0]["plays"] == rows[0]);
    CHECK(counted[1]["site"] == sites[1]);
    CHECK(counted[1]["plays"] == rows[1]);
    // Each row says the language it was shown in: the screens' only one, English.
    RunResult by_lang = run({MILEPOST_FLEET, "plays", "--db", db, "--by", "lang"});
    CHECK_MESSAGE(by_lang.out.find("\r\nen," + std::to_string(rows[0] + rows[1]) + ",") !=
                      std::string::npos,
                  by_lang.out);

    // Another poll uploads the status again, no plays: none is counted twice.
    for (int n = 1; n <= 2; ++n) {
        const fs::path screen = dir / ("screen-" + std::to_string(n));
        REQUIRE(run({MILEPOST_SYNC, "--config", (screen / "device.toml").string(), "--data-dir",
                     (screen / "data").string(), "--once"})
                    .exit_code == 0);
    }
    RunResult again = run({MILEPOST_FLEET, "ingest", ingest.string(), "--db", db});
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK_MESSAGE(again.out.find("; 0 new plays, 0 already known; 2 status reports") !=
                      std::string::npos,
                  again.out);

    // The report now: both screens playing. Then screen-2 stops while screen-1 goes on
    // polling (its status file's time moves on as its next polls would move it): with
    // --now moved on, screen-2 is stale, then offline.
    const auto real_now = std::chrono::system_clock::now();
    auto report_at = [&](std::chrono::minutes later) {
        const auto at = std::chrono::time_point_cast<std::chrono::milliseconds>(real_now + later);
        const auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
        const struct timeval times[2] = {{seconds - 60, 0}, {seconds - 60, 0}};
        REQUIRE(::utimes((ingest / "screen-1/status.json").c_str(), times) == 0);
        REQUIRE(run({MILEPOST_FLEET, "ingest", ingest.string(), "--db", db}).exit_code == 0);
        const fs::path out = dir / ("report-" + std::to_string(later.count()));
        RunResult r = run({MILEPOST_FLEET, "report", "--db", db, "--out", out.string(), "--now",
                           format_rfc3339_utc(at)});
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        return read_file(out / "screens.csv");
    };
    auto state_of = [](const std::string& csv, const std::string& device) {
        const auto at = csv.find("\r\n" + device + ",");
        REQUIRE_MESSAGE(at != std::string::npos, csv);
        const std::string row = csv.substr(at + 2, csv.find("\r\n", at + 2) - at - 2);
        // device,site,region,state,...
        std::string state = row;
        for (int i = 0; i < 3; ++i)
            state = state.substr(state.find(',') + 1);
        return state.substr(0, state.find(','));
    };
    const std::string now_csv = report_at(std::chrono::minutes(0));
    CHECK_MESSAGE(state_of(now_csv, "screen-1") == "playing", now_csv);
    CHECK_MESSAGE(state_of(now_csv, "screen-2") == "playing", now_csv);
    const std::string later = report_at(std::chrono::minutes(20));
    CHECK_MESSAGE(state_of(later, "screen-1") == "playing", later);
    CHECK_MESSAGE(state_of(later, "screen-2") == "stale", later);
    const std::string much_later = report_at(std::chrono::minutes(90));
    CHECK_MESSAGE(state_of(much_later, "screen-1") == "playing", much_later);
    CHECK_MESSAGE(state_of(much_later, "screen-2") == "offline", much_later);
}
