// The boot card and diagnostics overlay: what they say, from what the player knows.
#include "app/StatusCard.hpp"
#include "sync/Network.hpp"

#include <doctest/doctest.h>

using namespace milepost;

namespace {

std::string row(const InfoCard& card, const std::string& label) {
    for (const auto& [l, v] : card.rows)
        if (l == label)
            return v;
    return "(no row " + label + ")";
}

} // namespace

TEST_CASE("the boot card warns of a screen not provisioned, a config error and no content key") {
    DeviceConfig config;
    config.device.id = "milepost-abc";
    StatusInputs in;
    in.config = &config;
    in.version = "1.2.3";
    in.config_problem = "/boot/firmware/milepost.toml: [device] region: expected ISO 3166";
    InfoCard card = status_card(in, false);
    CHECK(card.title == "Milepost screen milepost-abc");
    REQUIRE(card.warnings.size() == 3);
    CHECK(card.warnings[0].starts_with("Not provisioned"));
    CHECK(card.warnings[1].find("[device] region") != std::string::npos);
    CHECK(card.warnings[2].starts_with("No content key"));
    CHECK(row(card, "Site") == "(not set)");
    CHECK(row(card, "Network").starts_with("not known yet"));
    CHECK(row(card, "Channel") == "built-in");
    CHECK(row(card, "Last sync") == "no content server set");
    CHECK(row(card, "Clock").starts_with("not synchronised"));
    CHECK(row(card, "Decoder") == "(no row Decoder)"); // diagnostics only
}

TEST_CASE("the boot card says when the data partition is read-only (data-setup's note)") {
    DeviceConfig config;
    config.device.id = "site-9";
    config.device.site = "Exit 9";
    config.content.public_key = "RWQ...";
    StatusInputs in;
    in.config = &config;
    in.data_problem = "Data partition read-only: /dev/mmcblk0p3 could not be checked "
                      "(e2fsck exit 8)\tnew plays are not recorded\nsecond line\n";
    InfoCard card = status_card(in, false);
    REQUIRE(card.warnings.size() == 1);
    CHECK(card.warnings[0] == "Data partition read-only: /dev/mmcblk0p3 could not be checked "
                              "(e2fsck exit 8) new plays are not recorded");
    in.data_problem.clear();
    CHECK(status_card(in, false).warnings.empty());
}

TEST_CASE("the card reads the network and the last sync from milepost-sync's sync.json") {
    DeviceConfig config;
    config.device.id = "site-42";
    config.device.site = "Exit 42";
    config.device.region = "US-TX";
    config.content.public_key = "RWQ...";
    config.content.server = "https://content.example.org";
    SyncFacts facts;
    facts.last_sync = "2026-11-29T14:03:00Z";
    facts.last_sync_result = "ok: sequence 12";
    facts.rows_pending = 42;
    NetInterface wifi{"wlan0", true, {"10.0.0.5", "2001:db8::5"}, -61};
    NetInterface wired{"eth0", false, {"192.168.1.20"}, std::nullopt};
    StatusInputs in;
    in.config = &config;
    in.channel = "trucking";
    in.sequence = 12;
    in.clock_trusted = true;
    in.sync_json = sync_status_json(facts, true, {wifi, wired}, WallTime{});
    in.decoder = "h264_v4l2m2m";
    in.frames_dropped_last_hour = 3;
    in.cpu_temp_c = 61.5;
    in.throttled = "0x50000";
    in.disk_free_mb = 20480;
    in.output = "1920x1080 at 60 Hz";
    InfoCard card = status_card(in, true);
    CHECK(card.warnings.empty());
    CHECK(row(card, "Site") == "Exit 42, US-TX");
    CHECK(row(card, "Network") ==
          "wlan0 10.0.0.5 2001:db8::5, Wi-Fi -61 dBm; eth0 192.168.1.20, wired");
    CHECK(row(card, "Channel") == "trucking, sequence 12");
    CHECK(row(card, "Last sync") == "2026-11-29T14:03:00Z: ok: sequence 12");
    CHECK(row(card, "Clock") == "synchronised");
    CHECK(row(card, "Plays pending") == "42 not yet uploaded");
    CHECK(row(card, "Frames") == "3 dropped in the last hour");
    CHECK(row(card, "CPU") == "61.5 °C, not now; since boot: under-voltage, throttled");
    CHECK(row(card, "Disk free") == "20480 MB");
    CHECK(row(card, "Decoder") == "h264_v4l2m2m");
    // A sync.json cut short by a power cut reads as none.
    in.sync_json = "{\"network\": [";
    CHECK(row(status_card(in, false), "Network").starts_with("not known yet"));
}

TEST_CASE("throttling bits and the Wi-Fi signal are read as the kernel writes them") {
    CHECK(throttled_text("0x0") == "not throttled");
    CHECK(throttled_text("0x5") == "now: under-voltage, throttled");
    CHECK(throttled_text("garbage").starts_with("unknown"));
    const std::string proc =
        "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n"
        " face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n"
        "wlan0: 0000   54.  -56.  -256        0      0      0      0     12        0\n";
    CHECK(wireless_signal(proc, "wlan0") == -56);
    CHECK(!wireless_signal(proc, "wlan1"));
}

TEST_CASE("a sync.json of another shape than milepost-sync writes leaves out what does not fit") {
    // Found by the sync_json fuzz target: each of these threw out of status_card
    // (nlohmann's value() and get()), ending the player at its boot card.
    DeviceConfig config;
    config.content.server = "https://content.example.org";
    StatusInputs in;
    in.config = &config;
    for (const char* text : {"5", "[1, 2]", "\"text\"", "null", "{\"network\": \"eth0\"}"}) {
        CAPTURE(text);
        in.sync_json = text;
        const InfoCard card = status_card(in, true);
        CHECK(row(card, "Network").starts_with("not known yet"));
        CHECK(row(card, "Last sync") == "not yet");
        CHECK(row(card, "Plays pending") == "unknown");
    }
    in.sync_json = R"({"network": [{"interface": 7, "kind": "wifi", "addresses": [1, "10.0.0.5"],
                       "signal_dbm": "strong"}, 3],
                       "server": "yes", "last_sync": 5, "rows_pending": "many"})";
    const InfoCard card = status_card(in, true);
    CHECK(row(card, "Network") == "? 10.0.0.5, Wi-Fi; ?, wired");
    CHECK(row(card, "Last sync") == "not yet");
    CHECK(row(card, "Plays pending") == "unknown");
}
