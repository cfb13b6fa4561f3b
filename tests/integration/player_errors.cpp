// Bad input gets a clear message and exit status 2; nothing crashes.
#include "PlayerRun.hpp"
#include "store/PlayLog.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

using namespace milepost::test;

TEST_CASE("a bad config exits 2 naming the file and the key") {
    TempDir dir;
    RunResult r = run_player(dir, "[display]\nrotation = 45\n", {"--exit-after", "1"});
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(
        r.err.find((dir / "device.toml").string() +
                   ": [display] rotation: expected 0, 90, 180 or 270, got an integer (45)") !=
            std::string::npos,
        r.err);
}

TEST_CASE("a TOML syntax error exits 2 naming the file and the line") {
    TempDir dir;
    RunResult r = run_player(dir, "[device]\nregion = \"US\n", {"--exit-after", "1"});
    CHECK(r.exit_code == 2);
    CHECK_MESSAGE(r.err.find((dir / "device.toml").string() + ":2: TOML syntax error") !=
                      std::string::npos,
                  r.err);
}

TEST_CASE("a missing config file, channel or bad option exits 2") {
    TempDir dir;
    RunResult missing =
        run({MILEPOST_PLAYER, "--config", "/nonexistent/device.toml", "--headless", "320x180"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("/nonexistent/device.toml: cannot read") != std::string::npos);

    RunResult channel = run_player(dir, "", {"--content", "nowhere.toml"});
    CHECK(channel.exit_code == 2);
    CHECK(channel.err.find("nowhere.toml: cannot read") != std::string::npos);

    dir.write("bad.toml",
              "channel = \"x\"\n[[hotline]]\nregion = \"*\"\nname = \"n\"\ncall = \"1\"\n"
              "[[item]]\nid = \"lot\"\ntype = \"slide\"\ntitle = \"t\"\nduration = -1\n");
    RunResult bad = run_player(dir, "", {"--content", "bad.toml"});
    CHECK(bad.exit_code == 2);
    CHECK_MESSAGE(bad.err.find("bad.toml: item \"lot\" duration: expected a positive number") !=
                      std::string::npos,
                  bad.err);

    RunResult option = run({MILEPOST_PLAYER, "--headless", "huge"});
    CHECK(option.exit_code == 2);
    CHECK(option.err.find("--headless: expected WIDTHxHEIGHT") != std::string::npos);
}

TEST_CASE("--help and --version") {
    RunResult help = run({MILEPOST_PLAYER, "--help"});
    CHECK(help.exit_code == 0);
    for (const char* flag :
         {"--config", "--data-dir", "--content", "--fullscreen", "--windowed", "--headless",
          "--snapshot", "--exit-after", "--trace", "--clock-start", "Exit status"})
        CHECK_MESSAGE(help.out.find(flag) != std::string::npos, flag);
    RunResult version = run({MILEPOST_PLAYER, "--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.starts_with("milepost-player 0."));
}

TEST_CASE("each program's man page is made from its --help, and man reads it without a warning") {
    // The man pages are made by the build beside bin/: build/man/NAME.1.gz.
    const std::filesystem::path man =
        std::filesystem::path(MILEPOST_PLAYER).parent_path().parent_path() / "man";
    for (const std::string& program :
         {MILEPOST_PLAYER, MILEPOST_SYNC, MILEPOST_PACK, MILEPOST_PROVISION}) {
        const std::string name = std::filesystem::path(program).filename().string();
        const std::filesystem::path page = man / (name + ".1.gz");
        REQUIRE_MESSAGE(std::filesystem::exists(page), page.string());
        RunResult help = run({program, "--help"});
        REQUIRE(help.exit_code == 0);
        RunResult shown =
            run({"man", "--warnings", "-E", "UTF-8", "-l", page.string()}, {}, {"MANWIDTH=200"});
        CHECK_MESSAGE(shown.exit_code == 0, name, shown.err);
        CHECK_MESSAGE(shown.err.empty(), name, ": ", shown.err);
        CHECK_MESSAGE(shown.out.find("NAME") != std::string::npos, name);
        // Every option line of --help is in the page, as it reads there.
        std::istringstream lines(help.out);
        std::string line;
        int options = 0;
        while (std::getline(lines, line)) {
            const auto at = line.find("--");
            if (line.rfind("  --", 0) != 0 || at == std::string::npos)
                continue;
            const std::string flag = line.substr(at, line.find(' ', at) - at);
            CHECK_MESSAGE(shown.out.find(flag) != std::string::npos, name, ": ", flag);
            ++options;
        }
        CHECK_MESSAGE(options >= 2, name, ": no option lines read from --help");
    }
}

TEST_CASE("unknown keys are warned about and the player runs") {
    TempDir dir;
    RunResult r = run_player(dir, "[display]\nrotaton = 90\n", {"--exit-after", "0.3"}, "320x180");
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("[display] rotaton: unknown key (ignored)") != std::string::npos);
}

TEST_CASE("malformed configs and channels never crash the player") {
    TempDir dir;
    std::vector<std::string> inputs = {
        "\xff\xfe\x00\x01 binary",
        "[device]\nlanguages = [[\"en\"]]\n",
        "[display]\nrotation = 99999999999999999999\n",
        "[display]\nrotation = 9223372036854775807\n",
        "[display]\nsize = \"99999999999x1\"\n",
        "[[device]]\nid = \"a\"\n",
        "[device.region]\nx = 1\n",
        "a = " + std::string(5000, '[') + "\n",
        "[logs]\nkeep_days = 1e400\n",
        "[display]\nboot_info_seconds = 1.5\n",
        "[device]\nregion = \"\"\n",
    };
    // And some random bytes, seeded so that a failure reproduces.
    std::mt19937 random(42);
    for (int i = 0; i < 5; ++i) {
        std::string s;
        for (int j = 0; j < 200; ++j)
            s += static_cast<char>(random() % 128);
        inputs.push_back(s);
    }
    for (const auto& input : inputs) {
        RunResult r = run_player(dir, input, {"--exit-after", "0.2"}, "320x180");
        CHECK_MESSAGE(r.signal == 0, "crashed on: ", input);
        CHECK_MESSAGE((r.exit_code == 2 || r.exit_code == 0), "exit ", r.exit_code, " on: ", input,
                      " ", r.err);
    }
    const std::vector<std::string> channels = {
        "channel = \"x\"\n[[hotline]]\nregion = \"*\"\nname = \"n\"\ncall = \"1\"\n[[item]]\nid = "
        "\"a\"\ntype = "
        "\"slide\"\ntitle = \"" +
            std::string(20000, 'W') + "\"\n",
        "channel = \"x\"\n[[hotline]]\nregion = \"*\"\nname = \"" + std::string(3000, 'N') +
            "\"\ncall = \"1\"\nurl = \"https://example.org/" + std::string(400, 'q') + "\"\n",
        "channel = \"x\"\nitem = [1, 2]\n",
        "channel = \"x\"\n[[hotline]]\nregion = 5\n",
    };
    for (const auto& c : channels) {
        dir.write("c.toml", c);
        RunResult r =
            run_player(dir, "", {"--content", "c.toml", "--exit-after", "0.3"}, "320x180");
        CHECK_MESSAGE(r.signal == 0, "crashed on: ", c.substr(0, 200));
        CHECK((r.exit_code == 2 || r.exit_code == 0));
    }
}

TEST_CASE("as a service, a bad provisioning file is set aside and its error shown on screen") {
    TempDir dir;
    const auto good = dir.write("etc/device.toml",
                                "[device]\nregion = \"CA-ON\"\n[display]\nboot_info_seconds = 0\n");
    const auto bad = dir.write("boot/milepost.toml", "[device]\ntimezone = \"Mars/Olympus\"\n");
    const std::vector<std::string> env{"MILEPOST_DEFAULT_CONFIG=" + good.string(),
                                       "MILEPOST_PROVISIONING_CONFIG=" + bad.string()};
    // --check-config (milepost-firstboot.service) names the file and the key: exit 2.
    RunResult check = run({MILEPOST_PLAYER, "--check-config"}, {}, env);
    CHECK(check.exit_code == 2);
    CHECK_MESSAGE(check.err.find(bad.string() + ": [device] timezone: \"Mars/Olympus\"") !=
                      std::string::npos,
                  check.err);
    // Without --config, as systemd starts it: the screen plays, with device.toml
    // alone, and says what is wrong.
    RunResult r = run({MILEPOST_PLAYER, "--data-dir", (dir / "data").string(), "--headless",
                       "1280x720", "--snapshot", "1.5:shot.png", "--exit-after", "2",
                       "--clock-start", cycle_start_clock()},
                      dir.path(), env);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("set aside") != std::string::npos);
    CHECK(r.err.find("running with " + good.string() + " alone") != std::string::npos);
    const std::string text = squeeze(ocr(dir / "shot.png"));
    CHECK_MESSAGE(text.find("settings have an error") != std::string::npos, text);
    CHECK_MESSAGE(text.find("Mars/Olympus") != std::string::npos, text);
    // The hotline of device.toml's region (CA-ON) in the banner, read on its own.
    load_picture(dir / "shot.png").crop(0, 576, 1280, 144).save(dir / "banner.png");
    const std::string banner = squeeze(ocr(dir / "banner.png"));
    CHECK_MESSAGE(banner.find("1-833-900-1010") != std::string::npos, banner);
    // The error slide is not content: it is not in the play log. The item under it
    // is, interrupted (the player stopped while the slide covered it).
    auto log = PlayLog::open(dir / "data/playlog.db");
    REQUIRE(log.ok());
    auto rows = log->rows_json(1, 100);
    REQUIRE(rows.ok());
    REQUIRE(!rows->empty());
    for (const std::string& row : *rows) {
        const auto j = nlohmann::json::parse(row);
        CHECK(j["item_id"] != "config-error");
        CHECK(j["outcome"] == "interrupted");
    }
    RunResult good_check = run({MILEPOST_PLAYER, "--check-config"}, {},
                               {"MILEPOST_DEFAULT_CONFIG=" + good.string(),
                                "MILEPOST_PROVISIONING_CONFIG=" + (dir / "none.toml").string()});
    CHECK(good_check.exit_code == 0);
    CHECK(good_check.out.find("region CA-ON") != std::string::npos);
}
