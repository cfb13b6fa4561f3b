#include "core/DeviceConfig.hpp"
#include "core/Result.hpp"
#include "core/Url.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

using namespace milepost;

namespace {

DeviceConfig parse(const std::string& text, std::vector<std::string>* warnings = nullptr) {
    std::vector<std::string> w;
    DeviceConfig c;
    apply_device_config(c, text, "device.toml", warnings ? *warnings : w);
    finish_device_config(c, "device.toml", "0123456789abcdef0123456789abcdef");
    return c;
}

// The message a bad config is refused with.
std::string refusal(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.message;
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("an empty config is valid and every key has its default") {
    DeviceConfig c = parse("");
    CHECK(c.device.id == "milepost-0123456789ab");
    CHECK(c.device.region.empty());
    CHECK(c.device.languages == std::vector<std::string>{"en"});
    CHECK(c.content.server.empty());
    CHECK(c.content.poll_interval == std::chrono::minutes(5));
    CHECK(c.content.max_cache_mb == 0);
    CHECK(c.content.max_rate == 0);
    CHECK(!c.display.size);
    CHECK(c.display.rotation == 0);
    CHECK(!c.display.audio);
    CHECK(c.display.banner == BannerPosition::Bottom);
    CHECK(!c.display.power_on);
    CHECK(c.display.boot_info_seconds == 10);
    CHECK(c.logs.upload_url.empty());
    CHECK(!c.logs.s3);
    CHECK(c.logs.keep_days == 90);
    CHECK(c.logs.screenshot_minutes == 15);
    CHECK(c.logs.max_db_mb == 64);
}

TEST_CASE("every key of the contract is read") {
    std::vector<std::string> warnings;
    DeviceConfig c = parse(R"(
[device]
id = "us-tx-amarillo-ta42-lobby"
site = "Amarillo Travel Center #42"
region = "US-TX"
timezone = "America/Chicago"
languages = ["en", "es"]
[content]
server = "https://content.example.org/"
channel = "trucking"
public_key = "RWQMqyH66e/ir0GzqhrMAGEo5WkWHTzZg812Va+qaR0fatrXxsgaD6mp"
poll_interval = "10m"
max_cache_mb = 2000
max_rate = "2M"
ca_file = "/etc/milepost/ca.pem"
[display]
size = "1920x1080"
rotation = 270
audio = true
banner = "top"
power_on = "07:00"
power_off = "19:00"
boot_info_seconds = 0
[logs]
upload_url = "https://ingest.example.org/milepost/"
keep_days = 30
screenshot_minutes = 0
max_db_mb = 16
[logs.s3]
access_key_file = "/etc/milepost/s3.key"
secret_key_file = "/etc/milepost/s3.secret"
region = "us-east-1"
)",
                           &warnings);
    CHECK(warnings.empty());
    CHECK(c.device.id == "us-tx-amarillo-ta42-lobby");
    CHECK(c.device.site == "Amarillo Travel Center #42");
    CHECK(c.device.region == "US-TX");
    CHECK(c.device.timezone == "America/Chicago");
    CHECK(c.device.languages == std::vector<std::string>{"en", "es"});
    CHECK(c.content.server == "https://content.example.org/");
    CHECK(c.content.channel == "trucking");
    CHECK(c.content.poll_interval == std::chrono::minutes(10));
    CHECK(c.content.max_cache_mb == 2000);
    CHECK(c.content.max_rate == 2 * 1024 * 1024);
    CHECK(c.content.ca_file == "/etc/milepost/ca.pem");
    CHECK(c.display.size == Size{1920, 1080});
    CHECK(c.display.rotation == 270);
    CHECK(c.display.audio);
    CHECK(c.display.banner == BannerPosition::Top);
    CHECK(c.display.power_on->minutes == 7 * 60);
    CHECK(c.display.power_off->minutes == 19 * 60);
    CHECK(c.display.boot_info_seconds == 0);
    CHECK(c.logs.token_file.empty()); // S3 signs; a bearer token is the other way
    REQUIRE(c.logs.s3);
    CHECK(c.logs.s3->region == "us-east-1");
    CHECK(c.logs.keep_days == 30);
    CHECK(c.logs.screenshot_minutes == 0);
    CHECK(c.logs.max_db_mb == 16);
}

TEST_CASE("a bad value is refused naming the file, the key and what was expected") {
    struct Case {
        const char* toml;
        const char* message;
    };
    const Case cases[] = {
        {"[display]\nrotation = 45",
         "device.toml: [display] rotation: expected 0, 90, 180 or 270, got an integer (45)"},
        {"[display]\nrotation = \"90\"",
         "device.toml: [display] rotation: expected an integer, got \"90\""},
        {"[content]\nserver = \"ftp://x\"",
         "device.toml: [content] server: expected an https:// URL, got \"ftp://x\""},
        {"[content]\nserver = \"https://x/\"\nchannel = \"c\"",
         "device.toml: [content] public_key: required when server is set"},
        {"[logs]\ntoken_file = \"/t\"\n[logs.s3]\naccess_key_file = \"/a\"\nsecret_key_file = "
         "\"/s\"\nregion = \"us-east-1\"",
         "device.toml: [logs] token_file: expected either token_file or [logs.s3], not both"},
        {"[content]\npublic_key = \"RWQ...\"",
         "device.toml: [content] public_key: expected a minisign public key (the base64 line of a "
         ".pub file, RWQ...)"},
        {"[device]\nregion = \"texas\"", "device.toml: [device] region: expected an ISO 3166 code"},
        {"[device]\nregion = 1",
         "device.toml: [device] region: expected a string, got an integer (1)"},
        {"[device]\nlanguages = \"en\"",
         "device.toml: [device] languages: expected an array of strings, got \"en\""},
        {"[device]\nlanguages = []",
         "device.toml: [device] languages: expected at least one language"},
        {"[device]\nlanguages = [\"English\"]",
         "device.toml: [device] languages: expected lower-case ISO 639 codes"},
        {"[device]\nlanguages = [\"en\", 3]",
         "device.toml: [device] languages: expected an array of strings, got an integer (3)"},
        {"[device]\nid = \"Lobby 1\"", "device.toml: [device] id: expected 1 to 64 characters"},
        {"[device]\ntimezone = \"../../etc/passwd\"",
         "device.toml: [device] timezone: expected an IANA time zone name"},
        {"[display]\nsize = \"big\"",
         "device.toml: [display] size: expected \"auto\" or WIDTHxHEIGHT"},
        {"[display]\nbanner = \"off\"",
         "device.toml: [display] banner: expected \"bottom\" or \"top\""},
        {"[display]\naudio = \"yes\"", "device.toml: [display] audio: expected true or false"},
        {"[display]\npower_on = \"7am\"\npower_off = \"19:00\"",
         "device.toml: [display] power_on: expected a time of day"},
        {"[display]\npower_on = \"07:00\"",
         "device.toml: [display] power_off: expected power_on and power_off together"},
        {"[display]\nboot_info_seconds = -1",
         "device.toml: [display] boot_info_seconds: expected an integer from 0 to 3600"},
        {"[content]\npoll_interval = \"5\"",
         "device.toml: [content] poll_interval: expected a duration of at least 10s"},
        {"[content]\nmax_rate = \"fast\"",
         "device.toml: [content] max_rate: expected bytes per second"},
        {"[content]\nmax_cache_mb = -5",
         "device.toml: [content] max_cache_mb: expected 0 or more megabytes"},
        {"[logs]\nupload_url = \"https://ingest.example.org\"",
         "device.toml: [logs] upload_url: expected a URL ending in \"/\""},
        {"[logs]\nkeep_days = 0",
         "device.toml: [logs] keep_days: expected an integer from 1 to 3650"},
        {"[logs.s3]\nregion = \"us-east-1\"",
         "device.toml: [logs.s3]: expected access_key_file, secret_key_file and region"},
        {"display = 3", "device.toml: display: expected a table, got an integer (3)"},
        {"[display]\nrotation = 90\n[display]\nrotation = 0", "device.toml:3: TOML syntax error"},
        {"[device\nregion = \"US\"", "device.toml:1: TOML syntax error"},
        {"[device]\nregion = \"US", "device.toml:2: TOML syntax error"},
    };
    for (const Case& c : cases) {
        std::string got = refusal(c.toml);
        CHECK_MESSAGE(got.starts_with(c.message), c.toml, " -> ", got);
    }
}

TEST_CASE("a bearer token file for uploads") {
    DeviceConfig c = parse("[logs]\nupload_url = \"https://i.example.org/\"\ntoken_file = "
                           "\"/etc/milepost/token\"");
    CHECK(c.logs.token_file == "/etc/milepost/token");
    CHECK(!c.logs.s3);
}

TEST_CASE("a URL is logged without its userinfo and query") {
    CHECK(redact_url("https://content.example.org/channels/x/manifest.json") ==
          "https://content.example.org/channels/x/manifest.json");
    CHECK(redact_url("https://user:p%40ss@content.example.org:8443/c/") ==
          "https://***@content.example.org:8443/c/");
    CHECK(redact_url("https://a@b@host/") == "https://***@host/");
    CHECK(redact_url("https://bucket.s3.example.org/o?X-Amz-Signature=abc#top") ==
          "https://bucket.s3.example.org/o?***#top");
    CHECK(redact_url("https://u:secret@h/p?token=t") == "https://***@h/p?***");
    // An '@' in the path is not userinfo.
    CHECK(redact_url("https://h/a@b") == "https://h/a@b");
    CHECK(url_host("https://u:p@[::1]:80/") == "::1");
    CHECK(url_host("http://Example.ORG:8080") == "example.org");
}

TEST_CASE("a token or an S3 key never goes over plain http, except to this machine") {
    const std::string s3 = "[logs.s3]\naccess_key_file = \"/a\"\nsecret_key_file = \"/s\"\n"
                           "region = \"us-east-1\"\n";
    auto logs = [](const std::string& url, const std::string& rest) {
        return "[logs]\nupload_url = \"" + url + "\"\n" + rest;
    };
    const std::string token = "token_file = \"/etc/milepost/token\"\n";
    for (const std::string& secret : {token, s3}) {
        INFO(secret);
        const std::string got = refusal(logs("http://ingest.example.org/m/", secret));
        CHECK(got.starts_with("device.toml: [logs] upload_url: http://ingest.example.org/m/: "
                              "expected an https:// URL"));
        // Userinfo and a query are not repeated in the message.
        const std::string hidden = refusal(logs("http://u:pw@10.0.0.1/m/?sig=abc/", secret));
        CHECK(hidden.starts_with("device.toml: [logs] upload_url: http://***@10.0.0.1/m/?***"));
        CHECK(hidden.find("pw") == std::string::npos);
        CHECK(hidden.find("abc") == std::string::npos);
        // Lookalikes of a loopback address are not one.
        for (const char* url :
             {"http://127.0.0.1.example.org/", "http://localhost.example.org/",
              "http://127.0.0.1@evil.example.org/", "http://[::2]/", "http://127.0.0.256/"})
            CHECK_MESSAGE(
                refusal(logs(url, secret)).starts_with("device.toml: [logs] upload_url: "), url);
        for (const char* url : {"https://ingest.example.org/m/", "http://127.0.0.1:8080/m/",
                                "http://127.1.2.3/", "http://localhost:9000/", "http://[::1]:80/"})
            CHECK_MESSAGE(refusal(logs(url, secret)) == "(accepted)", url);
    }
    // Without a secret, plain http stays allowed (the rows are not secret).
    CHECK(refusal(logs("http://ingest.example.org/m/", "")) == "(accepted)");
    // The provisioning override that adds a token to an http URL is caught too.
    std::vector<std::string> warnings;
    DeviceConfig c;
    apply_device_config(c, logs("http://ingest.example.org/m/", ""), "device.toml", warnings);
    apply_device_config(c, "[logs]\n" + token, "milepost.toml", warnings);
    CHECK_THROWS_AS(finish_device_config(c, "milepost.toml", ""), ConfigError);
}

TEST_CASE("unknown keys and plain http are warned about, not refused") {
    std::vector<std::string> warnings;
    DeviceConfig c =
        parse("colour = 1\n[display]\nrotaton = 90\n[content]\nserver = \"http://x/\"\n"
              "channel = \"c\"\npublic_key = "
              "\"RWQMqyH66e/ir0GzqhrMAGEo5WkWHTzZg812Va+qaR0fatrXxsgaD6mp\"",
              &warnings);
    CHECK(c.display.rotation == 0);
    REQUIRE(warnings.size() == 3);
    CHECK(warnings[0].find("[content] server: plain http://") != std::string::npos);
    CHECK(warnings[1] == "device.toml: [display] rotaton: unknown key (ignored)");
    CHECK(warnings[2] == "device.toml: colour: unknown key (ignored)");
}

TEST_CASE("the provisioning override wins key by key") {
    test::TempDir dir;
    auto base = dir.write("device.toml", "[device]\nregion = \"US-TX\"\nsite = \"Lobby\"\n");
    auto over = dir.write("milepost.toml", "[device]\nregion = \"CA-ON\"\n");
    std::vector<std::string> warnings;
    DeviceConfig c = load_device_config(base, over, "", warnings);
    CHECK(c.device.region == "CA-ON");
    CHECK(c.device.site == "Lobby");
    CHECK(c.device.id == "milepost-unknown");

    DeviceConfig without = load_device_config(base, (dir / "absent.toml").string(), "", warnings);
    CHECK(without.device.region == "US-TX");

    auto bad = dir.write("bad.toml", "[display]\nrotation = 45\n");
    CHECK_THROWS_WITH_AS(load_device_config(base, bad, "", warnings),
                         doctest::Contains((bad.string() + ": [display] rotation").c_str()),
                         ConfigError);
    CHECK_THROWS_WITH_AS(load_device_config((dir / "missing.toml").string(), "", "", warnings),
                         doctest::Contains("missing.toml: cannot read: No such file"), ConfigError);
}
