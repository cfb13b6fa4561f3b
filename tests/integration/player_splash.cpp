// The splash: the player keeps the hotline screen as DATA_DIR/splash.png for
// milepost-splash.service, which puts it on the framebuffer while the system
// starts and stops (`milepost-player --splash FB`).
#include "PlayerRun.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace milepost;
using namespace milepost::test;
namespace fs = std::filesystem;

TEST_CASE("the player keeps its hotline screen as the splash, writes it again only when it "
          "changes, and --splash draws it only on a framebuffer") {
    TempDir dir;
    const fs::path data = dir / "data";
    const fs::path splash = data / "splash.png";
    // A screen in Ontario: the Canadian hotline. The splash is checked 5 s after start
    // (again a second later when something was due then).
    const std::string config = "[device]\nregion = \"CA-ON\"\n";
    auto first = run_player(dir, config, {"--exit-after", "8"}, "960x540");
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    REQUIRE(fs::exists(splash));
    CHECK(first.err.find(splash.string() + ": written") != std::string::npos);
    const Picture picture = load_picture(splash);
    CHECK(picture.width == 960);
    CHECK(picture.height == 540);
    const std::string text = ocr(splash);
    INFO("OCR: " << text);
    CHECK(text.find("1-833-900-1010") != std::string::npos);
    CHECK(text.find("Canadian") != std::string::npos);
    CHECK(text.find("1-888-373-7888") == std::string::npos);

    // Started again with nothing changed: the card is not written again.
    const auto written = fs::last_write_time(splash);
    auto second = run_player(dir, config, {"--exit-after", "8"}, "960x540");
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    CHECK(fs::last_write_time(splash) == written);
    CHECK(second.err.find("splash.png: written") == std::string::npos);

    // Moved to Texas: what the splash shows changed, so it is written again.
    auto moved =
        run_player(dir, "[device]\nregion = \"US-TX\"\n", {"--exit-after", "8"}, "960x540");
    REQUIRE_MESSAGE(moved.exit_code == 0, moved.err);
    CHECK(moved.err.find(splash.string() + ": written") != std::string::npos);
    const std::string texas = ocr(splash);
    CHECK_MESSAGE(texas.find("1-888-373-7888") != std::string::npos, texas);
    CHECK(texas.find("1-833-900-1010") == std::string::npos);

    // --splash on a file that is no framebuffer, and with no splash yet: exit 1,
    // naming the file; with anything but --data-dir beside it: exit 2.
    const fs::path fake = dir.write("fb0", std::string(4096, '\0'));
    auto not_fb = run({MILEPOST_PLAYER, "--data-dir", data.string(), "--splash", fake.string()});
    CHECK(not_fb.exit_code == 1);
    CHECK_MESSAGE(not_fb.err.find(fake.string() + ": not a framebuffer device") !=
                      std::string::npos,
                  not_fb.err);
    CHECK(read_file(fake) == std::string(4096, '\0'));
    fs::remove(splash);
    auto none = run({MILEPOST_PLAYER, "--data-dir", data.string(), "--splash", fake.string()});
    CHECK(none.exit_code == 1);
    CHECK_MESSAGE(none.err.find(splash.string() + ": cannot read the splash") != std::string::npos,
                  none.err);
    auto usage = run({MILEPOST_PLAYER, "--splash", fake.string(), "--headless", "64x64"});
    CHECK(usage.exit_code == 2);
    CHECK_MESSAGE(usage.err.find("--splash takes only --data-dir") != std::string::npos, usage.err);
}
