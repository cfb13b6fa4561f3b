// milepost-sync's pure parts: its command line and when it polls next.
#include "support/TestSupport.hpp"
#include "sync/Backoff.hpp"
#include "sync/ChannelUpdate.hpp"
#include "sync/LogUpload.hpp"
#include "sync/SyncOptions.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

using namespace milepost;
using namespace std::chrono_literals;

TEST_CASE("sync options as in the contract") {
    auto o = parse_sync_options({"--config", "d.toml", "--data-dir=/tmp/x", "--once"});
    REQUIRE(o.ok());
    CHECK(o->config == "d.toml");
    CHECK(o->data_dir == "/tmp/x");
    CHECK(o->mode == SyncMode::Once);
    auto d = parse_sync_options({});
    REQUIRE(d.ok());
    CHECK(d->mode == SyncMode::Daemon);
    CHECK(d->data_dir == "/var/lib/milepost");
    CHECK(!d->config);
    CHECK(parse_sync_options({"--check"})->mode == SyncMode::Check);
    CHECK(parse_sync_options({"--once", "--check"}).error().message ==
          "--once and --check exclude each other");
    CHECK(parse_sync_options({"--config"}).error().message == "--config: expected a value");
    CHECK(parse_sync_options({"--once=yes"}).error().message == "--once: takes no value");
    CHECK(parse_sync_options({"--fetch"}).error().message == "unknown option \"--fetch\"");
}

TEST_CASE("polls come every interval, give or take 20 percent, spread evenly") {
    CHECK(next_poll_delay(5min, 0.0) == 240s);
    CHECK(next_poll_delay(5min, 0.5) == 300s);
    CHECK(next_poll_delay(5min, 0.999999) <= 360s);
    // Ten thousand screens: no second of the window gets much more than its share.
    std::mt19937_64 random(1);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<int> per_second(121, 0);
    for (int i = 0; i < 10000; ++i) {
        const auto d =
            std::chrono::duration_cast<std::chrono::seconds>(next_poll_delay(5min, u(random)));
        REQUIRE(d >= 240s);
        REQUIRE(d < 360s);
        ++per_second[static_cast<size_t>((d - 240s).count())];
    }
    CHECK(*std::max_element(per_second.begin(), per_second.end()) < 10000 / 120 * 2);
    // The first poll after a boot comes within 10 s, sooner for short intervals.
    CHECK(first_poll_delay(5min, 0.999) < 10s);
    CHECK(first_poll_delay(5min, 0.5) == 5s);
    CHECK(first_poll_delay(10s, 0.0) == 0s);
}

TEST_CASE("after failures the wait doubles with full jitter up to 30 minutes") {
    CHECK(backoff_delay(1, 0.999) < 30s);
    CHECK(backoff_delay(1, 0.5) == 15s);
    CHECK(backoff_delay(2, 0.5) == 30s);
    CHECK(backoff_delay(3, 0.5) == 60s);
    CHECK(backoff_delay(7, 0.999) <= 30min);
    CHECK(backoff_delay(7, 0.5) == 15min); // 30 s * 64 = 32 min, capped at 30 min
    CHECK(backoff_delay(1000, 0.5) == 15min);
    CHECK(backoff_delay(5, 0.0) == 1s); // never a busy loop
}

TEST_CASE("server URLs are joined with exactly one slash") {
    CHECK(join_url("https://c.example.org/", "channels/t/manifest.json") ==
          "https://c.example.org/channels/t/manifest.json");
    CHECK(join_url("https://c.example.org/milepost", "objects/ab") ==
          "https://c.example.org/milepost/objects/ab");
}

TEST_CASE("status.json leaves out what player.json has of another shape") {
    // Found by the player_json fuzz target: value() threw out of status_json on a
    // player.json that was not an object, or had a value of another type, and
    // ended milepost-sync before its status upload.
    test::TempDir dir;
    const DeviceConfig config;
    for (const char* text : {"18446744073709551616", "[1, 2]", "null",
                             R"({"current_item": 5, "frames_dropped_last_hour": "x"})"}) {
        CAPTURE(text);
        std::ofstream(dir.path() / "player.json") << text;
        const auto j = nlohmann::json::parse(status_json(dir.path(), config, {}, {}));
        CHECK(j["current_item"] == "");
        CHECK(j["frames_dropped_last_hour"] == 0);
    }
    std::ofstream(dir.path() / "player.json")
        << R"({"current_item": "lot-en", "frames_dropped_last_hour": 3})";
    const auto j = nlohmann::json::parse(status_json(dir.path(), config, {}, {}));
    CHECK(j["current_item"] == "lot-en");
    CHECK(j["frames_dropped_last_hour"] == 3);
}
