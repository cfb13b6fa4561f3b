// [display] power_on / power_off: the plan shows the screen's power changes, the
// screen goes black (the TV to standby over a fake HDMI-CEC adapter) with nothing
// played or logged while off, and comes back joining the plan.
#include "PlayerRun.hpp"
#include "Trace.hpp"
#include "core/Units.hpp"
#include "render/Painter.hpp"
#include "store/PlayLog.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace milepost;
using namespace milepost::test;
using namespace std::chrono_literals;

namespace {

const char* kPowerConfig = R"([device]
timezone = "America/Chicago"
[display]
power_on = "07:00"
power_off = "19:00"
)";

const nlohmann::json* display_event(const std::vector<nlohmann::json>& trace, const char* state) {
    for (const auto& e : trace)
        if (e.value("event", "") == "display" && e.value("item", "") == state)
            return &e;
    return nullptr;
}

} // namespace

TEST_CASE("--plan shows the screen going off at power_off and on at power_on, nothing between") {
    TempDir dir;
    auto cfg = dir.write("device.toml", kPowerConfig);
    // One 7-second slide: 15 hours after the 04:00 cycle start is no whole number of
    // them, so one is on screen when 19:00 comes.
    auto channel =
        dir.write("c/channel.toml", channel_toml("power", slide_item("seven", "Seven seconds", 7)));
    // 06:00 in Chicago on Monday, for 36 hours.
    RunResult r = run({MILEPOST_PLAYER, "--config", cfg.string(), "--data-dir",
                       (dir / "data").string(), "--content", channel.string(), "--plan", "36h",
                       "--clock-start", "2026-11-30T12:00:00Z"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::vector<nlohmann::json> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
        lines.push_back(nlohmann::json::parse(line));
    REQUIRE(lines.size() > 10);
    std::vector<std::string> changes;
    for (const auto& l : lines)
        if (l.contains("display"))
            changes.push_back(l["at"].get<std::string>() + " " + l["display"].get<std::string>());
    CHECK(changes == std::vector<std::string>{
                         "2026-11-30T06:00:00-06:00 off", "2026-11-30T07:00:00-06:00 on",
                         "2026-11-30T19:00:00-06:00 off", "2026-12-01T07:00:00-06:00 on"});
    // Every item starts while the screen is on; the one the 19:00 change cuts says so.
    bool on = false;
    int crossing = 0;
    for (const auto& l : lines) {
        if (l.contains("display")) {
            on = l["display"] == "on";
            continue;
        }
        CHECK_MESSAGE(on, l.dump());
        const std::string at = l["at"];
        const int hh = std::stoi(at.substr(11, 2));
        CHECK_MESSAGE((hh >= 7 && hh < 19), at);
        const double start =
            hh * 3600 + std::stoi(at.substr(14, 2)) * 60 + std::stod(at.substr(17, 2));
        const bool crosses = start + l["duration"].get<double>() > 19 * 3600 && start < 19 * 3600;
        crossing += crosses;
        CHECK_MESSAGE(l.value("interrupted", false) == crosses, l.dump());
    }
    CHECK(crossing == 1);
}

TEST_CASE("at power_off the TV is put in standby, the screen is black and nothing more is logged") {
    TempDir dir;
    // 18:59:57 in Chicago: off three seconds in.
    RunResult r =
        run_player(dir, kPowerConfig,
                   {"--clock-start", "2026-12-01T00:59:57Z", "--trace", "t.ndjson", "--snapshot",
                    "1:on.png", "--snapshot", "5:off.png", "--exit-after", "6"},
                   "640x360", {"MILEPOST_TEST_CEC=ack"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("screen off (power schedule): HDMI-CEC Standby, the TV acknowledged") !=
          std::string::npos);
    const auto trace = read_trace(dir / "t.ndjson");
    const auto* off = display_event(trace, "off");
    REQUIRE(off);
    CHECK((*off)["t"].get<double>() == doctest::Approx(3.0).epsilon(0.1));
    for (const auto& e : trace)
        if (e.value("event", "") == "item_start")
            CHECK_MESSAGE(e["t"].get<double>() < (*off)["t"].get<double>(), e.dump());
    Picture before = load_picture(dir / "on.png"), after = load_picture(dir / "off.png");
    CHECK(before.fraction_near(palette::kBanner, 0, 340, 640, 20) > 0.5);
    CHECK(after.fraction_near(SDL_Color{0, 0, 0, 255}, 0, 0, 640, 360, 2) == 1.0);
    // The play log: the item the change cut is interrupted, and none started after.
    const auto rows = play_rows(dir / "data");
    REQUIRE(!rows.empty());
    CHECK(rows.back()["outcome"] == "interrupted");
    CHECK(rows.back()["detail"].get<std::string>().find("power schedule") != std::string::npos);
    for (const auto& row : rows)
        CHECK(*parse_rfc3339(row["started_at"].get<std::string>()) <
              *parse_rfc3339("2026-12-01T01:00:00Z"));
}

TEST_CASE("a TV that does not answer CEC is blanked, and at power_on the plan is joined") {
    TempDir dir;
    // Off for one minute only, 19:00 to 19:01; started at 19:00:57, on three seconds in.
    RunResult r =
        run_player(dir,
                   "[device]\ntimezone = \"America/Chicago\"\n[display]\n"
                   "power_on = \"19:01\"\npower_off = \"19:00\"\n",
                   {"--clock-start", "2026-12-01T01:00:57Z", "--trace", "t.ndjson", "--snapshot",
                    "1.5:off.png", "--snapshot", "5:on.png", "--exit-after", "6"},
                   "1280x720", {"MILEPOST_TEST_CEC=silent"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("screen off (power schedule): blanked; the TV did not acknowledge") !=
          std::string::npos);
    const auto trace = read_trace(dir / "t.ndjson");
    const auto* on = display_event(trace, "on");
    REQUIRE(on);
    CHECK((*on)["t"].get<double>() == doctest::Approx(3.0).epsilon(0.1));
    bool started = false;
    for (const auto& e : trace)
        if (e.value("event", "") == "item_start") {
            CHECK_MESSAGE(e["t"].get<double>() >= (*on)["t"].get<double>(), e.dump());
            started = true;
        }
    CHECK(started);
    Picture off = load_picture(dir / "off.png");
    CHECK(off.fraction_near(SDL_Color{0, 0, 0, 255}, 0, 0, 1280, 720, 2) == 1.0);
    const std::string text = squeeze(ocr(dir / "on.png"));
    CHECK_MESSAGE(text.find("1-888-373-7888") != std::string::npos, text);
    const auto rows = play_rows(dir / "data");
    REQUIRE(!rows.empty());
    CHECK(*parse_rfc3339(rows.front()["started_at"].get<std::string>()) >=
          *parse_rfc3339("2026-12-01T01:01:00Z"));
}

TEST_CASE(
    "a screen plugged back in another mode restarts the player, in the same mode it plays on") {
    TempDir dir;
    // A sysfs of one HDMI connector, as the kernel lays it out.
    std::filesystem::create_directories(dir / "drm/card0");
    dir.write("drm/card0-HDMI-A-1/status", "connected\n");
    dir.write("drm/card0-HDMI-A-1/modes", "1280x720\n1024x768\n");
    auto cfg = dir.write("device.toml", "[display]\nboot_info_seconds = 0\n");
    Child player({MILEPOST_PLAYER, "--config", cfg.string(), "--data-dir", (dir / "data").string(),
                  "--headless", "1280x720", "--exit-after", "30", "--clock-start",
                  cycle_start_clock()},
                 dir.path(), {"MILEPOST_TEST_DRM_SYSFS=" + (dir / "drm").string()});
    auto step = [&](const char* status, const char* modes) {
        std::this_thread::sleep_for(2500ms);
        dir.write("drm/card0-HDMI-A-1/modes", modes);
        dir.write("drm/card0-HDMI-A-1/status", status);
    };
    step("disconnected\n", "");
    step("connected\n", "1280x720\n1024x768\n"); // the same screen back
    CHECK(!player.ended());
    step("disconnected\n", "");
    step("connected\n", "1920x1080\n1280x720\n"); // another screen
    const auto waited_from = std::chrono::steady_clock::now();
    RunResult r = player.wait();
    CHECK(std::chrono::steady_clock::now() - waited_from < 5s);
    CHECK(r.exit_code == 75);
    CHECK_MESSAGE(r.err.find("card0-HDMI-A-1 disconnected (cable out?): playing on") !=
                      std::string::npos,
                  r.err);
    CHECK(r.err.find("card0-HDMI-A-1 connected again, same mode") != std::string::npos);
    CHECK(r.err.find("connected again at 1920x1080, drawn at 1280x720: starting again") !=
          std::string::npos);
}
