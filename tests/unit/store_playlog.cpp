// The play log on a real SQLite file: schema, interrupted rows, upload batches
// that never change once named, pruning and the loss counter, the clock's trust.
#include "store/PlayLog.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace milepost;
using namespace milepost::test;
using namespace std::chrono_literals;

namespace {

const WallTime kT0 = *parse_rfc3339("2026-12-01T08:00:00Z");

std::int64_t play(PlayLog& log, const std::string& item, WallTime at,
                  const char* outcome = "completed") {
    auto id = log.insert_start({item, "", "trucking", 7, at, true});
    REQUIRE(id.ok());
    if (outcome)
        REQUIRE(log.finish(*id, {at + 10s, 10000, outcome, ""}).ok());
    return *id;
}

} // namespace

TEST_CASE("the play log has the contract's columns, versioned, in WAL mode") {
    TempDir dir;
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    const auto id = play(*log, "lot-en", kT0);
    auto rows = log->rows_json(id, id);
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 1);
    auto j = nlohmann::json::parse(rows->front());
    CHECK(j["item_id"] == "lot-en");
    CHECK(j["object"].is_null());
    CHECK(j["channel"] == "trucking");
    CHECK(j["sequence"] == 7);
    CHECK(j["started_at"] == "2026-12-01T08:00:00.000Z");
    CHECK(j["ended_at"] == "2026-12-01T08:00:10.000Z");
    CHECK(j["duration_ms"] == 10000);
    CHECK(j["outcome"] == "completed");
    CHECK(j["detail"].is_null());
    CHECK(j["clock_trusted"] == 1);
    CHECK(j["uploaded"] == 0);
    // Opening it again (the other process, the next start) keeps everything.
    auto again = PlayLog::open(dir / "playlog.db");
    REQUIRE(again.ok());
    CHECK(again->stats()->rows == 1);
    CHECK(*again->integrity_check() == "ok");
}

TEST_CASE("rows left open by a killed player become interrupted at the next start") {
    TempDir dir;
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    play(*log, "a", kT0);
    const auto open_row = play(*log, "b", kT0 + 10s, nullptr);
    auto closed = log->close_interrupted("power cut");
    REQUIRE(closed.ok());
    CHECK(*closed == 1);
    auto j = nlohmann::json::parse(log->rows_json(open_row, open_row)->front());
    CHECK(j["outcome"] == "interrupted");
    CHECK(j["detail"] == "power cut");
}

TEST_CASE("an upload batch keeps its name and body until the server took it") {
    TempDir dir;
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    for (int i = 0; i < 5; ++i)
        play(*log, "item-" + std::to_string(i), kT0 + std::chrono::seconds(10 * i));
    play(*log, "on-screen", kT0 + 60s, nullptr); // still open: never in a batch
    auto first = log->next_batch(3);
    REQUIRE(first.ok());
    REQUIRE(first->has_value());
    CHECK((*first)->name() == "1-3.ndjson");
    const std::string body = *log->batch_body(**first);
    CHECK(std::count(body.begin(), body.end(), '\n') == 3);
    // More rows meanwhile, a failed PUT, a crash: the retry is the same batch.
    play(*log, "later", kT0 + 100s);
    auto reopened = PlayLog::open(dir / "playlog.db");
    auto retry = reopened->next_batch(3);
    REQUIRE(retry->has_value());
    CHECK((*retry)->name() == "1-3.ndjson");
    CHECK(*reopened->batch_body(**retry) == body);
    REQUIRE(reopened->mark_uploaded(**retry).ok());
    auto next = reopened->next_batch(100);
    REQUIRE(next->has_value());
    CHECK((*next)->name() == "4-5.ndjson"); // stops short of the open row 6
    REQUIRE(reopened->mark_uploaded(**next).ok());
    CHECK(reopened->stats()->pending == 1); // "later", after the open row
    CHECK(!reopened->next_batch(100)->has_value());
}

TEST_CASE("pruning: old uploaded rows go, then over the cap the oldest, counted as lost") {
    TempDir dir;
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    REQUIRE(log->begin().ok());
    for (int i = 0; i < 20000; ++i)
        play(*log, "item-with-a-longer-name-" + std::to_string(i % 40),
             kT0 + std::chrono::seconds(10 * i));
    REQUIRE(log->commit().ok());
    // The first 1000 uploaded.
    auto batch = log->next_batch(1000);
    REQUIRE(log->mark_uploaded(**batch).ok());
    // 100 days later with keep_days 90 and no cap to speak of: only uploaded, old rows go.
    auto pruned = log->prune(kT0 + std::chrono::days(100), 90, 1ull << 40);
    REQUIRE(pruned.ok());
    CHECK(pruned->old_uploaded == 1000);
    CHECK(pruned->lost == 0);
    CHECK(log->stats()->rows == 19000);
    // Under the cap, even close to it, nothing more goes.
    const auto before = log->stats()->bytes;
    pruned = log->prune(kT0, 90, before + before / 20);
    REQUIRE(pruned.ok());
    CHECK(pruned->over_cap == 0);
    CHECK(log->stats()->rows == 19000);
    // A cap well under the size: the oldest rows go, and each is counted lost.
    const std::uint64_t cap = before / 2;
    pruned = log->prune(kT0, 90, cap);
    REQUIRE(pruned.ok());
    auto stats = log->stats();
    CHECK(stats->bytes <= cap);
    CHECK(pruned->lost == pruned->over_cap);
    CHECK(stats->lost == pruned->lost);
    CHECK(stats->rows == 19000 - pruned->over_cap);
    CHECK(std::filesystem::file_size(dir / "playlog.db") <= cap + 64 * 1024);
    CHECK(*log->integrity_check() == "ok");
}

TEST_CASE("the clock is trusted only when synchronised and not before the build year") {
    CHECK(clock_is_trusted(true, kT0, 2026));
    CHECK(!clock_is_trusted(false, kT0, 2026));
    CHECK(!clock_is_trusted(true, *parse_rfc3339("1970-01-01T00:00:00Z"), 2026));
    CHECK(!clock_is_trusted(true, kT0, 2027));
}

TEST_CASE("row ids are never used twice, even after every row was pruned") {
    TempDir dir;
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    for (int i = 0; i < 3; ++i)
        play(*log, "a", kT0);
    REQUIRE(log->mark_uploaded(**log->next_batch(10)).ok());
    REQUIRE(log->prune(kT0 + std::chrono::days(400), 90, 1ull << 40).ok());
    CHECK(log->stats()->rows == 0);
    // The next batch must not be named 1-1.ndjson again: that file is on the server.
    CHECK(play(*log, "b", kT0 + std::chrono::days(400)) == 4);
}
