// milepost-fleet's pure parts: a screen's state from its status, a play row read
// from a line, where an uploaded file belongs.
#include "Ingest.hpp"
#include "Plays.hpp"
#include "Report.hpp"
#include "Source.hpp"

#include <doctest/doctest.h>

using namespace milepost;
using namespace milepost::fleet;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const WallTime kNow = *parse_rfc3339("2026-12-01T12:00:00Z");

json healthy() {
    return json::parse(R"({"last_sync_result": "ok: sequence 12", "poll_interval_s": 300,
        "frames_dropped_last_hour": 0, "throttled": "0x0", "cpu_temp_c": 55.0,
        "disk_free_mb": 9000, "disk_total_mb": 14000, "rows_lost": 0, "rows_pending": 0})");
}

} // namespace

TEST_CASE("a screen's state follows the rules the report prints") {
    CHECK(classify_screen(nullptr, 0s, 0, kNow).state == "never reported");
    CHECK(classify_screen(healthy(), 2min, 0, kNow).state == "playing");
    CHECK(classify_screen(healthy(), 14min, 0, kNow).state == "playing");
    CHECK(classify_screen(healthy(), 16min, 0, kNow).state == "stale");
    CHECK(classify_screen(healthy(), 61min, 0, kNow).state == "offline");
    // Polling every minute: 3 polls missed is stale before 15 minutes.
    json fast = healthy();
    fast["poll_interval_s"] = 60;
    const ScreenState late = classify_screen(fast, 4min, 0, kNow);
    CHECK(late.state == "stale");
    CHECK(late.reasons == std::vector<std::string>{"no report for 4 min (polls every 60 s)"});

    struct Case {
        const char* key;
        json value;
        std::string reason;
    };
    const std::vector<Case> cases = {
        {"last_sync_result", "error: timeout", "sync failed: error: timeout"},
        {"config_problem", "milepost.toml: [device] id", "settings: milepost.toml: [device] id"},
        {"frames_dropped_last_hour", 12, "12 frames dropped in the last hour"},
        {"throttled", "0x50005", "throttled (0x50005)"},
        {"cpu_temp_c", 81.4, "temperature 81 °C"},
        {"disk_free_mb", 1000, "disk 7% free"},
        {"rows_lost", 3, "3 play rows lost"},
        {"rows_pending_since", "2026-11-30T11:00:00.000Z",
         "play rows waiting for upload since 2026-11-30T11:00:00.000Z"},
    };
    for (const Case& c : cases) {
        json status = healthy();
        status[c.key] = c.value;
        const ScreenState s = classify_screen(status, 1min, 0, kNow);
        CHECK_MESSAGE(s.state == "attention", c.key);
        CHECK_MESSAGE(s.reasons == std::vector<std::string>{c.reason}, c.key);
    }
    // Pending, but for under a day: nothing wrong.
    json pending = healthy();
    pending["rows_pending_since"] = "2026-12-01T10:00:00.000Z";
    CHECK(classify_screen(pending, 1min, 0, kNow).state == "playing");
    const ScreenState failing = classify_screen(healthy(), 1min, 2, kNow);
    CHECK(failing.reasons == std::vector<std::string>{"2 failed plays today or yesterday"});
}

TEST_CASE("a play row is read from its line, or refused saying which column is wrong") {
    auto row = parse_play_line(
        R"({"device_id":"s-1","log_id":"0123456789abcdef","id":7,"item_id":"lot-es",)"
        R"("started_at":"2026-12-01T06:00:00-06:00","duration_ms":10000,"outcome":"completed",)"
        R"("lang":"es","clock_trusted":true,"uploaded":0,"later":[1,{"a":[2]}],"more":{"b":[]}})",
        "s-1");
    // Columns the reader does not know, even lists and objects, are passed over.
    REQUIRE_MESSAGE(row, (row ? "" : row.error().message));
    CHECK(row->id == 7);
    CHECK(row->started_at == "2026-12-01T12:00:00.000Z"); // UTC, its day first
    CHECK(row->lang == std::optional<std::string>("es"));
    CHECK(row->clock_trusted == std::optional<std::int64_t>(1));
    CHECK(!row->object);

    const std::string base =
        R"("device_id":"s-1","log_id":"0123456789abcdef","item_id":"x","started_at":"2026-12-01T06:00:00Z","outcome":"completed")";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"{" + base + R"(,"id":1.5,"duration_ms":1})", "id: expected a whole number"},
        {"{" + base + R"(,"id":true,"duration_ms":1})", "id: expected a whole number"},
        {"{" + base + R"(,"id":1,"duration_ms":{"ms":1}})",
         "duration_ms: expected a plain value, not an object"},
        {"{" + base + R"(,"id":1})", "duration_ms: expected a whole number of milliseconds"},
        {"{" + base + R"(,"id":0,"duration_ms":1})", "id: expected a row number from 1"},
        {"{" + base + R"(,"id":1,"duration_ms":1,"detail":")" + std::string(5000, 'x') + "\"}",
         "detail: expected text of up to 4096 bytes"},
        {R"({"device_id":"s-1","id":1})", "no \"log_id\": a row of another schema version"},
        {"[1, 2]", "not a JSON object"},
        {"{\"device_id\": \"s-1\"", "not JSON"},
    };
    for (const auto& line_message : bad) {
        const auto& line = line_message.first;
        const auto& message = line_message.second;
        auto r = parse_play_line(line, "s-1");
        REQUIRE_MESSAGE(!r, line);
        CHECK_MESSAGE(r.error().message.starts_with(message), line, " -> ", r.error().message);
    }
}

TEST_CASE("an uploaded file belongs where the ingest store puts it, or is passed over") {
    auto plays = classify_path("screen-1/plays/0123456789abcdef-1-500.ndjson");
    REQUIRE(plays);
    CHECK(plays->kind == SourceFile::Kind::Plays);
    CHECK(plays->device == "screen-1");
    CHECK(classify_path("screen-1/status.json")->kind == SourceFile::Kind::Status);
    CHECK(classify_path("screen-1/screenshot.png")->kind == SourceFile::Kind::Screenshot);
    for (const char* other :
         {"screen-1/notes.txt", "Screen 1/status.json", "status.json", "screen-1/plays/.ndjson",
          "screen-1/plays/a/b.ndjson", "../status.json", "screen-1/plays/x.json"})
        CHECK_MESSAGE(!classify_path(other), other);
}

TEST_CASE("CSV quotes what needs quoting, and a reported name that starts like a formula stays "
          "text") {
    Table t;
    t.columns = {"site", "plays"};
    t.numeric = {false, true};
    t.rows = {{"Exit 42, \"North\"", "3"}, {"=HYPERLINK(\"http://x\")", "1"}, {"-", "0"}};
    CHECK(format_csv(t) == "site,plays\r\n\"Exit 42, \"\"North\"\"\",3\r\n"
                           "\"'=HYPERLINK(\"\"http://x\"\")\",1\r\n'-,0\r\n");
}
