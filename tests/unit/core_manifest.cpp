#include "core/Manifest.hpp"
#include "core/Minisign.hpp"
#include "core/Result.hpp"

#include <doctest/doctest.h>

using namespace milepost;

TEST_CASE("minisign: sign and verify, and every way a signature fails") {
    auto [pub, sec] = minisign_generate();
    const std::string message = "{\"schema\": 1}\n";
    const std::string sig = minisign_sign(sec, message, "timestamp:1\tchannel:x");
    auto ok = minisign_verify(pub, message, sig);
    REQUIRE(ok.ok());
    CHECK(*ok == "timestamp:1\tchannel:x");

    CHECK(minisign_verify(pub, message + " ", sig).error().message.find("changed after signing") !=
          std::string::npos);
    std::string comment_changed = sig;
    comment_changed.replace(comment_changed.find("channel:x"), 9, "channel:y");
    CHECK(minisign_verify(pub, message, comment_changed).error().message.find("trusted comment") !=
          std::string::npos);
    auto [other, other_sec] = minisign_generate();
    CHECK(minisign_verify(other, message, sig).error().message.find("signed with another key") !=
          std::string::npos);
    CHECK(!minisign_verify(pub, message, "garbage").ok());
    CHECK(!minisign_verify(pub, message, "").ok());
    (void)other_sec;
}

TEST_CASE("minisign: keys survive their text form") {
    auto [pub, sec] = minisign_generate();
    auto pub2 = minisign_parse_public_key(minisign_format_public_key(pub));
    REQUIRE(pub2.ok());
    CHECK(pub2->key == pub.key);
    CHECK(pub2->key_id == pub.key_id);
    // The bare line, as device.toml holds it.
    auto line = minisign_parse_public_key(minisign_public_key_line(pub));
    REQUIRE(line.ok());
    CHECK(line->key == pub.key);
    auto sec2 = minisign_parse_secret_key(minisign_format_secret_key(sec));
    REQUIRE(sec2.ok());
    CHECK(sec2->key == sec.key);
    CHECK(minisign_key_id(pub.key_id).size() == 16);
    CHECK(!minisign_parse_public_key("RWQ").ok());
    CHECK(!minisign_parse_secret_key(minisign_format_public_key(pub)).ok());
    // A damaged secret key is caught by its checksum.
    std::string damaged = minisign_format_secret_key(sec);
    damaged[damaged.find('\n') + 100] = damaged[damaged.find('\n') + 100] == 'A' ? 'B' : 'A';
    CHECK(!minisign_parse_secret_key(damaged).ok());
}

TEST_CASE("a manifest reads back what was written") {
    Channel c;
    c.name = "trucking";
    c.title = "Trucking";
    c.sequence = 7;
    c.published = "2026-11-29T03:00:00Z";
    c.hotlines.push_back(
        {"US", "en", "Hotline", "1-888-373-7888", "233733", "HELP", "https://x.org", "911"});
    Item slide;
    slide.id = "lot-en";
    slide.lang = "en";
    slide.title = "On the lot";
    slide.bullets = {"a", "b"};
    slide.duration = 12;
    slide.schedule.from = TimeOfDay{6 * 60};
    slide.schedule.days = {std::chrono::Monday, std::chrono::Friday};
    slide.schedule.regions = {"US-TX"};
    slide.schedule.weight = 3;
    slide.schedule.start_date = parse_date("0991-01-01"); // an early year keeps its 4 digits
    slide.schedule.end_date = parse_date("2026-12-31");
    Item video;
    video.id = "clip";
    video.type = ItemType::Video;
    video.media = {std::string(64, 'a'), 1234, 30.5, "h264", 1920, 1080, 30, "aac"};
    c.items = {slide, video};
    Alert a;
    a.id = "storm";
    a.title = "Closed";
    a.every = std::chrono::minutes(10);
    a.until = *parse_rfc3339("2026-12-02T18:00:00Z");
    c.alerts = {a};

    Channel back = parse_manifest(manifest_json(c), "/data/objects", "m.json");
    CHECK(back.name == "trucking");
    CHECK(back.sequence == 7);
    REQUIRE(back.items.size() == 2);
    CHECK(back.items[0].bullets == slide.bullets);
    CHECK(back.items[0].duration == 12.0);
    CHECK(back.items[0].schedule.from->minutes == 360);
    CHECK(back.items[0].schedule.days.size() == 2);
    CHECK(back.items[0].schedule.weight == 3);
    CHECK(back.items[0].schedule.start_date == slide.schedule.start_date);
    CHECK(back.items[0].schedule.end_date == slide.schedule.end_date);
    CHECK(back.items[1].file == std::filesystem::path("/data/objects") / std::string(64, 'a'));
    CHECK(!back.items[1].duration); // its own length, not a publisher's cut
    CHECK(back.items[1].media.duration == 30.5);
    CHECK(back.items[1].media.audio == "aac");
    REQUIRE(back.alerts.size() == 1);
    CHECK(back.alerts[0].until == a.until);
    CHECK(back.hotlines[0].text_keyword == "HELP");
    // The highest sequence survives the trip exactly.
    c.sequence = kMaxSequence;
    CHECK(parse_manifest(manifest_json(c), "/o", "m").sequence == kMaxSequence);
}

TEST_CASE("a bad manifest is refused saying where") {
    const std::string hotline = R"("hotlines": [{"region": "*", "name": "n", "call": "1"}])";
    struct Case {
        std::string json;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"[]", "m: not a JSON object"},
        {"{", "m: not a JSON object"},
        {R"({"schema": 2})", "m: schema: expected 1"},
        {R"({"schema": 1, "channel": "x", "sequence": 0})", "m: sequence: expected a whole number"},
        {R"({"schema": 1, "channel": "x", "sequence": 1.5})",
         "m: sequence: expected a whole number"},
        // Sequences are bounded below 2^53: one manifest at 2^63 would otherwise make
        // every later one a "rollback" (and its int64 cast is undefined).
        {R"({"schema": 1, "channel": "x", "sequence": 9223372036854775807})",
         "m: sequence: expected a whole number from 1 to 9007199254740991"},
        {R"({"schema": 1, "channel": "x", "sequence": 18446744073709551615})",
         "m: sequence: expected a whole number from 1 to 9007199254740991"},
        {R"({"schema": 1, "channel": "x", "sequence": 9007199254740992})",
         "m: sequence: expected a whole number from 1 to 9007199254740991"},
        {R"({"schema": 1, "channel": "x", "sequence": 1e300})",
         "m: sequence: expected a whole number from 1 to 9007199254740991"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, "hotlines": []})",
         "m: hotlines: expected at least one"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "video", "object": "../../etc/passwd", "size": 1}]})",
         "m: item \"a\": object: expected 64 hexadecimal digits"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "slide", "title": "t"}, {"id": "a", "type": "slide", "title": "t"}]})",
         "m: item \"a\": id: duplicate"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "web"}]})",
         "m: item \"a\": type: expected slide, video or image"},
        // Found by the manifest fuzz target: numbers out of range were converted
        // to int before any check (undefined behaviour).
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "image", "object": ")" + std::string(64, 'a') +
             R"(", "size": 1, "width": 5.5e25}]})",
         "m: item \"a\": width: expected a width in pixels"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "image", "object": ")" + std::string(64, 'a') +
             R"(", "size": 1e30}]})",
         "m: item \"a\": size: expected a size in bytes"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "slide", "title": "t", "schedule": {"weight": 1e20}}]})",
         "m: item \"a\": schedule weight: expected 1 to 100"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [], "alerts": [{"id": "a", "title": "t", "every": 1e300, "until": "2026-12-02T18:00:00Z"}]})",
         "m: alert: every: expected 30 to 31536000 seconds"},
        // Found by the manifest fuzz target: a video's own length went unchecked,
        // and written back as its "duration" it was refused (over a day).
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "video", "object": ")" + std::string(64, 'a') +
             R"(", "size": 1, "media_duration": 5.5e25}]})",
         "m: item \"a\": media_duration: expected a length in seconds, at most 86400"},
        {R"({"schema": 1, "channel": "x", "sequence": 1, )" + hotline +
             R"(, "items": [{"id": "a", "type": "video", "object": ")" + std::string(64, 'a') +
             R"(", "size": 1, "media_duration": -3}]})",
         "m: item \"a\": media_duration: expected a length in seconds, at most 86400"},
    };
    for (const Case& c : cases) {
        std::string got;
        try {
            parse_manifest(c.json, "/o", "m");
            got = "(accepted)";
        } catch (const ConfigError& e) {
            got = e.message;
        }
        CHECK_MESSAGE(got.starts_with(c.message), c.json, " -> ", got);
    }
    CHECK_THROWS_AS(parse_manifest(std::string(kMaxManifestBytes + 1, ' '), "/o", "m"),
                    ConfigError);
    CHECK(is_object_name(std::string(64, 'f')));
    CHECK(!is_object_name(std::string(64, 'F')));
    CHECK(!is_object_name(std::string(63, 'a')));
}
