#include "core/Channel.hpp"
#include "core/Result.hpp"
#include "core/Schedule.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace milepost;
namespace fs = std::filesystem;

namespace {

const char* kHotline = R"(
[[hotline]]
region = "*"
name = "National Human Trafficking Hotline"
call = "1-888-373-7888"
)";

// A channel source: `top` keys, the "*" hotline, then `body`.
Channel load(const test::TempDir& dir, const std::string& body,
             std::vector<std::string>* warnings = nullptr, const std::string& top = "") {
    std::vector<std::string> w;
    auto path = dir.write("channel.toml", "channel = \"test\"\n" + top + kHotline + body);
    return load_channel_source(path, warnings ? *warnings : w);
}

std::string refusal(const test::TempDir& dir, const std::string& body) {
    try {
        load(dir, body);
    } catch (const ConfigError& e) {
        return e.message.substr((dir / "channel.toml").string().size());
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("a channel source with slides, images, videos, a schedule and an alert") {
    test::TempDir dir;
    dir.write("media/logo.png", "not really a png; the player finds out when it loads it");
    std::vector<std::string> warnings;
    Channel c = load(dir, R"(
[[item]]
id = "lot-en"
type = "slide"
lang = "en"
title = "Signs to watch for on the lot"
bullets = ["One", "Two"]
duration = 12
[[item]]
id = "logo"
type = "image"
file = "media/logo.png"
[[item]]
id = "awareness-video-1"
type = "video"
file = "media/awareness-1.mp4"
lang = "es"
[item.schedule]
days = ["mon", "fri"]
from = "22:00"
until = "06:00"
start_date = "2026-12-01"
end_date = "2027-01-31"
regions = ["US-TX", "US-OK"]
weight = 2
[[alert]]
id = "storm-closure"
title = "I-40 closed"
body = "Stay safe"
every = "10m"
until = "2026-12-02T18:00:00Z"
)",
                     &warnings, "title = \"Trucking\"\n");
    CHECK(warnings.empty());
    CHECK(c.name == "test");
    CHECK(c.title == "Trucking");
    REQUIRE(c.items.size() == 3);
    CHECK(c.items[0].type == ItemType::Slide);
    CHECK(c.items[0].bullets.size() == 2);
    CHECK(c.items[0].duration == 12.0);
    CHECK(c.items[1].type == ItemType::Image);
    CHECK(c.items[1].file == fs::canonical(dir.path()) / "media/logo.png");
    CHECK(!c.items[1].duration);
    CHECK(c.items[2].type == ItemType::Video);
    CHECK(c.items[2].schedule.days.size() == 2);
    CHECK(c.items[2].schedule.from->minutes == 22 * 60);
    CHECK(c.items[2].schedule.regions.size() == 2);
    CHECK(c.items[2].schedule.weight == 2);
    REQUIRE(c.alerts.size() == 1);
    CHECK(c.alerts[0].id == "storm-closure");
    CHECK(c.alerts[0].every == std::chrono::minutes(10));
}

TEST_CASE("malformed channel sources are refused naming the item and the key") {
    test::TempDir dir;
    struct Case {
        const char* toml;
        const char* message;
    };
    const Case cases[] = {
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\n[[item]]\nid = \"a\"\ntype = "
         "\"slide\"\ntitle = \"y\"",
         ": item \"a\": id: duplicate of an earlier item"},
        {"[[item]]\nid = \"Lot EN\"\ntype = \"slide\"\ntitle = \"x\"",
         ": [[item]] #1 id: expected 1 to 128 characters of [a-z0-9._-]"},
        {"[[item]]\ntype = \"slide\"\ntitle = \"x\"", ": [[item]] #1 id: required"},
        {"[[item]]\nid = \"a\"\ntype = \"webpage\"",
         ": item \"a\" type: expected \"slide\", \"video\" or \"image\", got \"webpage\""},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"", ": item \"a\" title: required"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\nduration = 0",
         ": item \"a\" duration: expected a positive number of seconds"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\nduration = -3",
         ": item \"a\" duration: expected a positive number"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\nduration = \"12\"",
         ": item \"a\" duration: expected a number, got \"12\""},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\nbullets = \"one\"",
         ": item \"a\" bullets: expected an array of strings"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\nlang = \"EN\"",
         ": item \"a\" lang: expected a lower-case language code"},
        {"[[item]]\nid = \"a\"\ntype = \"image\"", ": item \"a\" file: required"},
        {"[[item]]\nid = \"a\"\ntype = \"image\"\nfile = \"../secret.png\"",
         ": item \"a\" file: \"../secret.png\" leaves the channel folder"},
        {"[[item]]\nid = \"a\"\ntype = \"image\"\nfile = \"media/../../x.png\"",
         ": item \"a\" file: \"media/../../x.png\" leaves the channel folder"},
        {"[[item]]\nid = \"a\"\ntype = \"video\"\nfile = \"/etc/passwd\"",
         ": item \"a\" file: \"/etc/passwd\" leaves the channel folder"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\n[item.schedule]\ndays = "
         "[\"monday\"]",
         ": item \"a\" schedule days: expected days such as \"mon\""},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\n[item.schedule]\nfrom = \"6am\"",
         ": item \"a\" schedule from: expected a time of day"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\n[item.schedule]\nstart_date = "
         "\"2027-01-02\"\nend_date = \"2027-01-01\"",
         ": item \"a\" schedule end_date: expected a date on or after start_date"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\n[item.schedule]\nweight = 0",
         ": item \"a\" schedule weight: expected an integer from 1 to 100"},
        {"[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\n[item.schedule]\nregions = "
         "[\"texas\"]",
         ": item \"a\" schedule regions: expected codes such as \"US-TX\""},
        {"[[alert]]\nid = \"a\"\ntitle = \"x\"\nevery = \"10m\"\nuntil = \"tomorrow\"",
         ": alert \"a\" until: expected an RFC 3339 time"},
        {"[[alert]]\nid = \"a\"\ntitle = \"x\"\nevery = \"1s\"\nuntil = \"2026-12-02T18:00:00Z\"",
         ": alert \"a\" every: expected a duration of at least 30s"},
        {"[[hotline]]\nregion = \"US\"\nname = \"x\"", ": [[hotline]] #2 call: required"},
        {"[[hotline]]\nregion = \"*\"\nname = \"x\"\ncall = \"1\"",
         ": [[hotline]] #2 region: a hotline for \"*\" is already defined"},
        {"[[hotline]]\nregion = \"usa\"\nname = \"x\"\ncall = \"1\"",
         ": [[hotline]] #2 region: expected \"*\" or an ISO 3166 code"},
    };
    for (const Case& c : cases) {
        std::string got = refusal(dir, c.toml);
        CHECK_MESSAGE(got.starts_with(c.message), c.toml, " -> ", got);
    }
}

TEST_CASE("a channel needs a name and a hotline") {
    test::TempDir dir;
    std::vector<std::string> w;
    auto nameless = dir.write("a.toml", kHotline);
    CHECK_THROWS_WITH_AS(load_channel_source(nameless, w),
                         doctest::Contains("a.toml: channel: required"), ConfigError);
    auto no_hotline = dir.write("b.toml", "channel = \"x\"\n");
    CHECK_THROWS_WITH_AS(load_channel_source(no_hotline, w),
                         doctest::Contains("expected at least one hotline"), ConfigError);
    CHECK_THROWS_WITH_AS(load_channel_source(dir / "none.toml", w),
                         doctest::Contains("cannot read"), ConfigError);
    auto item_not_table =
        dir.write("c.toml", "channel = \"x\"\nitem = 3\n" + std::string(kHotline));
    CHECK_THROWS_WITH_AS(
        load_channel_source(item_not_table, w),
        doctest::Contains(
            "c.toml: item: expected an array of tables ([[item]]), got an integer (3)"),
        ConfigError);
}

TEST_CASE("a symlink pointing out of the channel folder is refused") {
    test::TempDir outside, dir;
    auto secret = outside.write("secret.png", "x");
    fs::create_directories(dir / "media");
    fs::create_symlink(secret, dir / "media/link.png");
    std::string got =
        refusal(dir, "[[item]]\nid = \"a\"\ntype = \"image\"\nfile = \"media/link.png\"");
    CHECK(got.find("leaves the channel folder") != std::string::npos);
    // A link that stays inside is fine.
    dir.write("media/real.png", "x");
    fs::create_symlink(dir / "media/real.png", dir / "media/inside.png");
    CHECK(refusal(dir, "[[item]]\nid = \"a\"\ntype = \"image\"\nfile = \"media/inside.png\"") ==
          "(accepted)");
}

TEST_CASE("unknown keys are warned about") {
    test::TempDir dir;
    std::vector<std::string> warnings;
    load(dir, "[[item]]\nid = \"a\"\ntype = \"slide\"\ntitle = \"x\"\ncolour = \"red\"\n",
         &warnings);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].ends_with("item \"a\" colour: unknown key (ignored)"));
}

TEST_CASE("the playlist keeps the device's languages, in the channel's order") {
    test::TempDir dir;
    Channel c = load(dir, R"(
[[item]]
id = "en"
type = "slide"
lang = "en"
title = "x"
[[item]]
id = "fr"
type = "slide"
lang = "fr"
title = "x"
[[item]]
id = "all"
type = "slide"
title = "x"
[[item]]
id = "video"
type = "video"
lang = "en"
file = "v.mp4"
)");
    auto ids = [&](std::vector<std::string> languages) {
        PlanSettings settings;
        settings.languages = std::move(languages);
        std::vector<std::string> out;
        for (const auto& group : rotation_groups(c, settings))
            for (const Item* item : group)
                out.push_back(item->id);
        return out;
    };
    CHECK(ids({"fr"}) == std::vector<std::string>{"fr", "all"});
    CHECK(ids({"en"}) == std::vector<std::string>{"en", "all", "video"});
    CHECK(ids({"de"}) == std::vector<std::string>{"all"});
    CHECK(planned_seconds(c.items[0]) == kDefaultStillSeconds);
}
