// The play log on a real SQLite file: schema, interrupted rows, upload batches
// that never change once named, pruning and the loss counter, the clock's trust.
#include "app/PlayRecorder.hpp"
#include "service/ClockTrust.hpp"
#include "store/PlayLog.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fstream>
#include <thread>

using namespace milepost;
using namespace milepost::test;
using namespace std::chrono_literals;

namespace {

const WallTime kT0 = *parse_rfc3339("2026-12-01T08:00:00Z");

std::int64_t play(PlayLog& log, const std::string& item, WallTime at,
                  const char* outcome = "completed") {
    auto id = log.insert_start({item, "", "trucking", 7, at, true, "", ""});
    REQUIRE(id.ok());
    if (outcome)
        REQUIRE(log.finish(*id, {at + 10s, 10000, outcome, ""}).ok());
    return *id;
}

// `n` finished plays, ten seconds apart from kT0, of 40 items.
void fill(PlayLog& log, int n) {
    REQUIRE(log.begin().ok());
    for (int i = 0; i < n; ++i)
        play(log, "item-with-a-longer-name-" + std::to_string(i % 40),
             kT0 + std::chrono::seconds(10 * i));
    REQUIRE(log.commit().ok());
}

} // namespace

TEST_CASE(
    "the play log has the contract's columns and the language shown, versioned, in WAL mode") {
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
    CHECK(j["lang"].is_null());     // shown in no language recorded
    CHECK(j["captions"].is_null()); // and without captions
    // The language a play was shown in.
    auto es = log->insert_start({"lot-es", "", "trucking", 7, kT0 + 20s, true, "es", "es"});
    REQUIRE(es.ok());
    REQUIRE(log->finish(*es, {kT0 + 30s, 10000, "completed", ""}).ok());
    CHECK(nlohmann::json::parse(log->rows_json(*es, *es)->front())["lang"] == "es");
    CHECK(nlohmann::json::parse(log->rows_json(*es, *es)->front())["captions"] == "es");
    // Opening it again (the other process, the next start) keeps everything.
    auto again = PlayLog::open(dir / "playlog.db");
    REQUIRE(again.ok());
    CHECK(again->stats()->rows == 2);
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
    CHECK((*first)->name() == log->log_id() + "-1-3.ndjson");
    const std::string body = *log->batch_body(**first, "screen-1");
    CHECK(std::count(body.begin(), body.end(), '\n') == 3);
    // More rows meanwhile, a failed PUT, a crash: the retry is the same batch.
    play(*log, "later", kT0 + 100s);
    auto reopened = PlayLog::open(dir / "playlog.db");
    auto retry = reopened->next_batch(3);
    REQUIRE(retry->has_value());
    CHECK((*retry)->name() == log->log_id() + "-1-3.ndjson");
    CHECK(*reopened->batch_body(**retry, "screen-1") == body);
    REQUIRE(reopened->mark_uploaded(**retry).ok());
    auto next = reopened->next_batch(100);
    REQUIRE(next->has_value());
    CHECK((*next)->name() == log->log_id() + "-4-5.ndjson"); // stops short of the open row 6
    REQUIRE(reopened->mark_uploaded(**next).ok());
    CHECK(reopened->stats()->pending == 1); // "later", after the open row
    CHECK(!reopened->next_batch(100)->has_value());
}

TEST_CASE("pruning: old uploaded rows go, then over the cap the oldest, counted as lost") {
    TempDir dir;
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    fill(*log, 20000);
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

TEST_CASE("a full play log read whole (the check at open, pruning) holds at most 512 KiB of "
          "SQLite's cache in memory") {
    TempDir dir;
    {
        auto log = PlayLog::open(dir / "playlog.db");
        REQUIRE(log.ok());
        fill(*log, 40000);
    }
    REQUIRE(std::filesystem::file_size(dir / "playlog.db") > 4u << 20); // twice the default cache
    sqlite3_int64 before = 0, peak = 0;
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &before, &peak, 0);
    auto log = PlayLog::open(dir / "playlog.db"); // its quick_check reads every page
    REQUIRE(log.ok());
    REQUIRE(log->next_batch(1000).ok());
    REQUIRE(log->prune(kT0 + std::chrono::days(100), 90, 1ull << 40).ok());
    REQUIRE(log->stats().ok());
    sqlite3_int64 now = 0;
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &now, &peak, 0);
    MESSAGE("SQLite's memory with the log open: ", (now - before) / 1024, " KiB");
    // The cache's 512 KiB, and the connection's own (its schema, statements).
    CHECK(now - before < 768 * 1024);
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

namespace {

// A SQLite VFS over the default one that counts the fsyncs of WAL files: what a
// power cut cannot take away. Registered as the default for the test's life.
struct SyncCounter {
    static inline int wal_syncs = 0;
    static inline sqlite3_vfs* real = nullptr;
    static inline sqlite3_vfs vfs{};
    static inline sqlite3_io_methods methods{};
    static inline int (*real_sync)(sqlite3_file*, int) = nullptr;

    static int sync(sqlite3_file* f, int flags) {
        ++wal_syncs;
        return real_sync(f, flags);
    }
    static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
        const int rc = real->xOpen(real, name, f, flags, out);
        // Only the WAL's syncs are counted: in WAL mode a commit is durable
        // when its frames are synced there.
        if (rc == SQLITE_OK && f->pMethods && (flags & SQLITE_OPEN_WAL)) {
            if (!real_sync) {
                methods = *f->pMethods;
                real_sync = methods.xSync;
                methods.xSync = &SyncCounter::sync;
            }
            f->pMethods = &methods;
        }
        return rc;
    }
    SyncCounter() {
        real = sqlite3_vfs_find(nullptr);
        vfs = *real;
        vfs.zName = "milepost-sync-counter";
        vfs.xOpen = &SyncCounter::open;
        sqlite3_vfs_register(&vfs, 1);
    }
    ~SyncCounter() {
        sqlite3_vfs_unregister(&vfs);
        sqlite3_vfs_register(real, 1);
    }
};

// 16 lower-case hex digits. (No std::regex: GCC 12 warns inside it at -O1.)
bool is_log_id(const std::string& id) {
    return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

TEST_CASE("each play log has its own log_id: a re-created one never reuses an upload name") {
    TempDir dir;
    std::string first_id, first_name;
    {
        auto log = PlayLog::open(dir / "playlog.db");
        REQUIRE(log.ok());
        CHECK(is_log_id(log->log_id()));
        play(*log, "a", kT0);
        auto batch = log->next_batch(10);
        REQUIRE(batch->has_value());
        first_id = log->log_id();
        first_name = (*batch)->name();
        CHECK(first_name == first_id + "-1-1.ndjson");
        // Every row carries the device and the log: (device_id, log_id, id).
        auto j = nlohmann::json::parse(*log->batch_body(**batch, "screen-1"));
        CHECK(j["device_id"] == "screen-1");
        CHECK(j["log_id"] == first_id);
        CHECK(j["id"] == 1);
    }
    // The same file opened again keeps its identity.
    CHECK(PlayLog::open(dir / "playlog.db")->log_id() == first_id);
    // The data partition re-created: a new database, ids from 1 again, a new name.
    for (const char* f : {"playlog.db", "playlog.db-wal", "playlog.db-shm"})
        std::filesystem::remove(dir / f);
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    CHECK(is_log_id(log->log_id()));
    CHECK(log->log_id() != first_id);
    play(*log, "a", kT0);
    auto batch = log->next_batch(10);
    REQUIRE(batch->has_value());
    CHECK((*batch)->first == 1);
    CHECK((*batch)->name() != first_name);
}

TEST_CASE(
    "a play log of schema 1 gets a log_id, a lang and a captions column, and keeps its rows") {
    TempDir dir;
    {
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open((dir / "playlog.db").c_str(), &raw) == SQLITE_OK);
        const char* v1 = R"(
PRAGMA journal_mode = WAL;
CREATE TABLE plays (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL, object TEXT,
  channel TEXT, sequence INTEGER, started_at TEXT, ended_at TEXT, duration_ms INTEGER,
  outcome TEXT, detail TEXT, clock_trusted INTEGER, uploaded INTEGER NOT NULL DEFAULT 0);
CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO plays (item_id, channel, sequence, started_at, ended_at, duration_ms, outcome,
  clock_trusted) VALUES ('old', 'trucking', 3, '2026-01-01T00:00:00.000Z',
  '2026-01-01T00:00:10.000Z', 10000, 'completed', 1);
PRAGMA user_version = 1;)";
        REQUIRE(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(raw);
    }
    auto log = PlayLog::open(dir / "playlog.db");
    REQUIRE(log.ok());
    CHECK(is_log_id(log->log_id()));
    CHECK(log->stats()->rows == 1);
    auto batch = log->next_batch(10);
    REQUIRE(batch->has_value());
    CHECK((*batch)->name() == log->log_id() + "-1-1.ndjson");
    // Schema 3's and 4's columns, empty for the old row.
    auto row = nlohmann::json::parse(log->rows_json(1, 1)->front());
    CHECK(row["item_id"] == "old");
    CHECK(row["lang"].is_null());
    CHECK(row["captions"].is_null());
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open((dir / "playlog.db").c_str(), &raw) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_int(st, 0) == kPlayLogSchema);
    CHECK(kPlayLogSchema == 4);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

TEST_CASE("the record of the batch about to be sent is on the card before the PUT") {
    TempDir dir;
    SyncCounter counter;
    // milepost-sync's connection: synchronous=NORMAL for its other writes.
    auto log = PlayLog::open(dir / "playlog.db", PlayLog::Durability::Normal);
    REQUIRE(log.ok());
    for (int i = 0; i < 5; ++i)
        play(*log, "a", kT0 + std::chrono::seconds(10 * i));
    // NORMAL: a commit does not wait for the card (the rows above did not).
    const int before = SyncCounter::wal_syncs;
    CHECK(log->mark_uploaded(UploadBatch{log->log_id(), 1000, 1000}).ok());
    CHECK(SyncCounter::wal_syncs == before);
    // The batch record, though, is synced before next_batch returns: a power
    // cut after the PUT cannot lose it and name the rows again.
    auto batch = log->next_batch(3);
    REQUIRE(batch->has_value());
    CHECK(SyncCounter::wal_syncs > before);
    // And the connection is back to NORMAL afterwards.
    const int after = SyncCounter::wal_syncs;
    play(*log, "b", kT0 + 100s);
    CHECK(SyncCounter::wal_syncs == after);
}

TEST_CASE("a damaged play log is set aside and a new one started, with a new log_id") {
    TempDir dir;
    const auto db = dir / "playlog.db";
    std::string old_id;
    {
        auto log = PlayLog::open(db);
        REQUIRE(log.ok());
        old_id = log->log_id();
        REQUIRE(log->begin().ok());
        for (int i = 0; i < 3000; ++i)
            play(*log, "item-with-a-longer-name-" + std::to_string(i % 40),
                 kT0 + std::chrono::seconds(10 * i));
        REQUIRE(log->commit().ok());
        REQUIRE(log->checkpoint().ok());
    }
    std::filesystem::remove(dir / "playlog.db-wal");
    std::filesystem::remove(dir / "playlog.db-shm");
    // A page in the middle of the table scribbled over (a bad SD card block).
    const auto size = std::filesystem::file_size(db);
    {
        std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096 + 8));
        const std::string junk(3000, '\x5a');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    const std::string damaged = read_file(db);
    // Opened as it is, the damage is not looked for.
    CHECK(PlayLog::open(db).ok());
    auto log = PlayLog::open(db, PlayLog::Durability::EachCommit, PlayLog::Check::Quick);
    REQUIRE(log.ok());
    CHECK(log->replaced_now());
    CHECK(log->log_id() != old_id);
    CHECK(log->stats()->rows == 0);
    CHECK(log->replaced().find("playlog.db was damaged") != std::string::npos);
    CHECK(log->replaced().find("set aside as playlog.db.broken-") != std::string::npos);
    std::vector<std::filesystem::path> aside;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        if (e.path().filename().string().starts_with("playlog.db.broken-"))
            aside.push_back(e.path());
    REQUIRE(aside.size() == 1);
    CHECK(read_file(aside.front()) == damaged); // kept for a person to read
    // The new log is remembered as a replacement, and is not replaced again.
    auto again = PlayLog::open(db, PlayLog::Durability::Normal, PlayLog::Check::Quick);
    REQUIRE(again.ok());
    CHECK(!again->replaced_now());
    CHECK(again->replaced() == log->replaced());
    CHECK(again->log_id() == log->log_id());
}

TEST_CASE("a file that is no database at all is set aside too, a missing folder is an error") {
    TempDir dir;
    dir.write("playlog.db", std::string(10000, 'x'));
    auto log =
        PlayLog::open(dir / "playlog.db", PlayLog::Durability::Normal, PlayLog::Check::Quick);
    REQUIRE(log.ok());
    CHECK(log->replaced_now());
    CHECK(is_log_id(log->log_id()));
    // Not damage: nothing to set aside, the error says why.
    auto none = PlayLog::open(dir / "no/such/folder/playlog.db", PlayLog::Durability::Normal,
                              PlayLog::Check::Quick);
    CHECK(!none.ok());
}

namespace {
// A 64x32 picture of one colour, as the splash is drawn (XRGB8888).
SurfacePtr plain_picture(Uint32 rgb) {
    SurfacePtr s(SDL_CreateRGBSurfaceWithFormat(0, 64, 32, 32, SDL_PIXELFORMAT_XRGB8888));
    REQUIRE(s);
    SDL_FillRect(s.get(), nullptr, rgb);
    return s;
}
} // namespace

TEST_CASE("the play recorder writes a picture (the splash) only when its pixels changed") {
    // Its thread calls SDL_image: the first save looks at a file that is not there
    // yet, which leaves SDL's error text for that thread. Under the sanitizers, the
    // program's exit would report it as a leak had the thread not cleaned it up.
    TempDir dir;
    const auto png = dir / "splash.png";
    auto save = [&](Uint32 rgb) {
        auto recorder = PlayRecorder::open(dir / "playlog.db");
        recorder->save_picture(plain_picture(rgb), png);
    }; // the recorder's destructor writes what is queued
    save(0x00ff0000);
    REQUIRE(std::filesystem::exists(png));
    Picture red = load_picture(png);
    CHECK(red.width == 64);
    CHECK(red.height == 32);
    CHECK(red.fraction_near({255, 0, 0, 255}, 0, 0, 64, 32, 2) == 1.0);
    const auto written = std::filesystem::last_write_time(png);
    std::filesystem::last_write_time(png, written - 1h); // a rewrite would show
    save(0x00ff0000);
    CHECK(std::filesystem::last_write_time(png) == written - 1h);
    save(0x000000ff);
    CHECK(std::filesystem::last_write_time(png) != written - 1h);
    CHECK(load_picture(png).fraction_near({0, 0, 255, 255}, 0, 0, 64, 32, 2) == 1.0);
}

TEST_CASE("the recorder held by the render loop writes its plays once released, not before") {
    TempDir dir;
    auto recorder = PlayRecorder::open(dir / "playlog.db");
    REQUIRE(recorder);
    // The rows the writer has committed, read as milepost-sync would.
    auto rows = [&] {
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open_v2((dir / "playlog.db").c_str(), &raw, SQLITE_OPEN_READONLY,
                                nullptr) == SQLITE_OK);
        sqlite3_stmt* count = nullptr;
        REQUIRE(sqlite3_prepare_v2(raw, "SELECT count(*) FROM plays", -1, &count, nullptr) ==
                SQLITE_OK);
        REQUIRE(sqlite3_step(count) == SQLITE_ROW);
        const int n = sqlite3_column_int(count, 0);
        sqlite3_finalize(count);
        sqlite3_close(raw);
        return n;
    };
    auto rows_within = [&](int want, std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (rows() != want && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(5ms);
        return rows();
    };
    // Not held: written at once.
    recorder->ended(recorder->started({"a", "", "trucking", 7, kT0, true, "", ""}),
                    {kT0 + 10s, 10000, "completed", ""});
    CHECK(rows_within(1, 5s) == 1);
    // Held (an item's change, before its first frame is presented): not yet.
    recorder->hold_wakes();
    recorder->ended(recorder->started({"b", "", "trucking", 7, kT0 + 10s, true, "", ""}),
                    {kT0 + 20s, 10000, "completed", ""});
    std::this_thread::sleep_for(300ms);
    CHECK(rows() == 1);
    recorder->release_wakes();
    CHECK(rows_within(2, 5s) == 2);
}
