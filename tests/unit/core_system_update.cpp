// System updates: the [update] section, the manifest's "system" bundle, the order
// of versions and which bundle a screen takes.
#include "core/DeviceConfig.hpp"
#include "core/Manifest.hpp"
#include "core/Result.hpp"
#include "core/SystemUpdate.hpp"

#include <doctest/doctest.h>

using namespace milepost;

namespace {

DeviceConfig update_config(const std::string& text) {
    std::vector<std::string> warnings;
    DeviceConfig c;
    apply_device_config(c, text, "device.toml", warnings);
    finish_device_config(c, "device.toml", "0123456789abcdef");
    CHECK_MESSAGE(warnings.empty(), text);
    return c;
}

std::string update_refusal(const std::string& text) {
    try {
        update_config(text);
    } catch (const ConfigError& e) {
        return e.message;
    }
    return "(accepted)";
}

Channel channel_with_system() {
    Channel c;
    c.name = "trucking";
    c.sequence = 3;
    c.hotlines.push_back({"*", "", "Hotline", "1-888-373-7888", "", "", "", ""});
    c.system =
        SystemBundle{"0.2.0", "milepost-rpi-arm64", std::string(64, 'b'), 123456789, false, {}};
    return c;
}

} // namespace

TEST_CASE("[update]: channel and window, and the window's defaults") {
    DeviceConfig none = update_config("");
    CHECK(none.update.channel == UpdateChannel::Stable);
    CHECK(format_update_window(update_window(none)) == "03:00-04:00");
    // The screen is dark from power_off: the hour after it is the window.
    DeviceConfig dark = update_config("[display]\npower_on = \"07:00\"\npower_off = \"23:30\"");
    CHECK(format_update_window(update_window(dark)) == "23:30-00:30");
    DeviceConfig set = update_config("[display]\npower_on = \"07:00\"\npower_off = \"19:00\"\n"
                                     "[update]\nchannel = \"off\"\nwindow = \"01:15-02:45\"");
    CHECK(set.update.channel == UpdateChannel::Off);
    CHECK(format_update_window(update_window(set)) == "01:15-02:45");

    CHECK(update_refusal("[update]\nchannel = \"beta\"") ==
          "device.toml: [update] channel: expected \"stable\" or \"off\", got \"beta\"");
    for (const char* bad : {"03:00", "03:00-03:00", "3:00-4:00", "03:00-24:00", "03:00 - 04:00"})
        CHECK_MESSAGE(update_refusal(std::string("[update]\nwindow = \"") + bad + "\"")
                          .starts_with("device.toml: [update] window: expected two different "
                                       "times of day such as \"03:00-04:00\""),
                      bad);
}

TEST_CASE("in_update_window: inside, at the edges, and across midnight") {
    const UpdateWindow night = *parse_update_window("03:00-04:00");
    CHECK(!in_update_window(night, 2 * 60 + 59));
    CHECK(in_update_window(night, 3 * 60));
    CHECK(in_update_window(night, 3 * 60 + 59));
    CHECK(!in_update_window(night, 4 * 60));
    const UpdateWindow late = *parse_update_window("23:30-00:30");
    CHECK(in_update_window(late, 23 * 60 + 45));
    CHECK(in_update_window(late, 0));
    CHECK(in_update_window(late, 29));
    CHECK(!in_update_window(late, 30));
    CHECK(!in_update_window(late, 12 * 60));
}

TEST_CASE("compare_versions orders versions as dpkg does") {
    struct Case {
        const char* older;
        const char* newer;
    };
    const Case cases[] = {
        {"0.1.0", "0.2.0"},
        {"0.9", "0.10"},
        {"1.0", "1.0.1"},
        {"1.0~rc1", "1.0"},
        {"1.0", "1.0a"},
        {"1.0a", "1.0+b1"},
        {"0.1.0-12-gabc", "0.1.0-13-gabc"},
        {"0.1.0", "0.1.0-1-gdeadbee"},
        {"2026.1", "2026.01.1"},
        {"007", "8"},
    };
    for (const Case& c : cases) {
        CHECK_MESSAGE(compare_versions(c.older, c.newer) < 0, c.older, " < ", c.newer);
        CHECK_MESSAGE(compare_versions(c.newer, c.older) > 0, c.newer, " > ", c.older);
    }
    CHECK(compare_versions("1.02", "1.2") == 0);
    CHECK(compare_versions("0.2.0", "0.2.0") == 0);
    CHECK(compare_versions("", "") == 0);
    CHECK(compare_versions("~", "") < 0);
}

TEST_CASE(
    "choose_system_update: newer installs, and the same, off, another board or older do not") {
    SystemBundle b = *channel_with_system().system;
    DeviceConfig::Update stable;
    using Action = SystemUpdateChoice::Action;
    auto newer = choose_system_update(b, stable, "0.1.9", "milepost-rpi-arm64");
    CHECK(newer.action == Action::Install);
    CHECK(newer.reason == "system 0.2.0 replaces 0.1.9");
    CHECK(choose_system_update(b, stable, "0.2.0", "milepost-rpi-arm64").action == Action::None);
    auto older = choose_system_update(b, stable, "0.3.0", "milepost-rpi-arm64");
    CHECK(older.action == Action::Refuse);
    CHECK(older.reason ==
          "system 0.2.0 is older than the running 0.3.0: refused (a downgrade the manifest does "
          "not allow)");
    auto other = choose_system_update(b, stable, "0.1.0", "milepost-rpi-armhf");
    CHECK(other.action == Action::Refuse);
    CHECK(other.reason ==
          "system 0.2.0 is for \"milepost-rpi-arm64\", this screen is \"milepost-rpi-armhf\": "
          "refused");
    DeviceConfig::Update off;
    off.channel = UpdateChannel::Off;
    CHECK(choose_system_update(b, off, "0.1.0", "milepost-rpi-arm64").action == Action::None);
    b.downgrade = true; // the publisher's explicit way back
    CHECK(choose_system_update(b, stable, "0.3.0", "milepost-rpi-arm64").action == Action::Install);
}

TEST_CASE("a manifest's system bundle reads back, and a bad one is refused saying where") {
    Channel c = channel_with_system();
    Channel back = parse_manifest(manifest_json(c), "/data/objects", "m.json");
    REQUIRE(back.system);
    CHECK(back.system->version == "0.2.0");
    CHECK(back.system->compatible == "milepost-rpi-arm64");
    CHECK(back.system->object == std::string(64, 'b'));
    CHECK(back.system->size == 123456789);
    CHECK(!back.system->downgrade);
    CHECK(back.system->file == std::filesystem::path("/data/objects") / std::string(64, 'b'));
    c.system->downgrade = true;
    CHECK(parse_manifest(manifest_json(c), "/o", "m").system->downgrade);
    c.system.reset();
    CHECK(manifest_json(c).find("\"system\"") == std::string::npos);
    CHECK(!parse_manifest(manifest_json(c), "/o", "m").system);

    const std::string head =
        R"({"schema": 1, "channel": "x", "sequence": 1, "hotlines": [{"region": "*", "name": "n", "call": "1"}], "items": [], "system": )";
    const std::string object = std::string(64, 'c');
    struct Case {
        std::string system;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"[]", "m: system: expected an object"},
        {R"({"compatible": "b", "object": ")" + object + R"(", "size": 1})",
         "m: system: version: expected a string (it is missing)"},
        {R"({"version": "1 0", "compatible": "b", "object": ")" + object + R"(", "size": 1})",
         "m: system: version: expected a version such as \"0.2.0\""},
        {R"({"version": "1", "compatible": "", "object": ")" + object + R"(", "size": 1})",
         "m: system: compatible: expected a name such as \"milepost-rpi-arm64\""},
        {R"({"version": "1", "compatible": "b", "object": "../x", "size": 1})",
         "m: system: object: expected 64 hexadecimal digits"},
        {R"({"version": "1", "compatible": "b", "object": ")" + object + R"(", "size": 1e12})",
         "m: system: size: expected a size in bytes, at most 4294967296"},
        {R"({"version": "1", "compatible": "b", "object": ")" + object +
             R"(", "size": 1, "downgrade": "yes"})",
         "m: system: downgrade: expected true or false"},
    };
    for (const Case& k : cases) {
        std::string got;
        try {
            parse_manifest(head + k.system + "}", "/o", "m");
            got = "(accepted)";
        } catch (const ConfigError& e) {
            got = e.message;
        }
        CHECK_MESSAGE(got.starts_with(k.message), k.system, " -> ", got);
    }
}
