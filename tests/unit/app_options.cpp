#include "app/Options.hpp"

#include <doctest/doctest.h>

using namespace milepost;

TEST_CASE("player options as in the contract") {
    auto o = parse_options({"--config", "d.toml", "--data-dir=/tmp/x", "--content", "c.toml",
                            "--headless", "1920x1080", "--snapshot", "3:b.png", "--snapshot",
                            "1.5:a.png", "--exit-after", "4", "--trace", "t.ndjson",
                            "--clock-start", "2026-12-01T08:00:00Z"});
    REQUIRE(o.ok());
    CHECK(o->config == "d.toml");
    CHECK(o->data_dir == "/tmp/x");
    CHECK(o->content == "c.toml");
    CHECK(o->mode == OutputMode::Headless);
    CHECK(o->size == Size{1920, 1080});
    REQUIRE(o->snapshots.size() == 2);
    CHECK(o->snapshots[0].path == "a.png"); // sorted by time
    CHECK(o->snapshots[0].at == 1.5);
    CHECK(o->exit_after == 4.0);
    CHECK(o->trace == "t.ndjson");
    CHECK(o->clock_start);
    auto defaults = parse_options({});
    REQUIRE(defaults.ok());
    CHECK(defaults->mode == OutputMode::Fullscreen);
    CHECK(defaults->data_dir == "/var/lib/milepost");
}

TEST_CASE("bad options name the flag and what it expected") {
    struct Case {
        std::vector<std::string> args;
        const char* message;
    };
    const Case cases[] = {
        {{"--headless", "big"}, "--headless: expected WIDTHxHEIGHT"},
        {{"--headless"}, "--headless: expected a value"},
        {{"--snapshot", "2"}, "--snapshot: expected SECONDS:FILE.png"},
        {{"--snapshot", "x:a.png"}, "--snapshot: expected SECONDS:FILE.png"},
        {{"--exit-after", "-1"}, "--exit-after: expected a number of seconds"},
        {{"--clock-start", "yesterday"}, "--clock-start: expected an RFC 3339 time"},
        {{"--fullscreen", "--windowed", "800x600"},
         "--fullscreen, --windowed and --headless exclude each other"},
        {{"--fullscreen=yes"}, "--fullscreen: takes no value"},
        {{"--bogus"}, "unknown option \"--bogus\""},
    };
    for (const Case& c : cases) {
        auto r = parse_options(c.args);
        REQUIRE(!r.ok());
        CHECK_MESSAGE(r.error().message.starts_with(c.message), r.error().message);
    }
}

TEST_CASE("--test-pattern is a mode of its own") {
    auto o = parse_options({"--test-pattern", "--headless", "640x360"});
    REQUIRE(o);
    CHECK(o->test_pattern);
    auto both = parse_options({"--test-pattern", "--plan", "24h"});
    REQUIRE(!both);
    CHECK(both.error().message.find("--test-pattern") != std::string::npos);
}
