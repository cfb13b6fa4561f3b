// The built-in channels, one per kind of venue: a screen set to one by name, with
// no content server and nothing synced, plays it in its languages, with its
// region's hotline; read back by OCR.
#include "PlayerRun.hpp"
#include "core/Channel.hpp"

#include <doctest/doctest.h>

using namespace milepost;
using namespace milepost::test;

namespace {

// The first slide in `lang` of built-in channel `name`: what a player started at a
// cycle's start shows first.
Item first_slide(const std::string& name, const std::string& lang) {
    std::vector<std::string> warnings;
    Channel channel = load_channel_source(
        std::string(MILEPOST_BUILTIN_DIR) + "/" + name + "/channel.toml", warnings);
    for (const Item& item : channel.items)
        if (item.lang == lang)
            return item;
    FAIL("no slide in " << lang << " in the built-in channel " << name);
    throw 0;
}

bool reads(const std::string& text, const std::string& words) {
    return squeeze(text).find(squeeze(words)) != std::string::npos;
}

const char* tesseract_language(const std::string& lang) {
    return lang == "es" ? "spa" : lang == "fr" ? "fra" : "eng";
}

} // namespace

namespace {

// A screen set to [content] channel `configured` in `lang`, with no server and
// nothing synced: it plays built-in channel `shows`, its first slide in `lang`
// read by OCR under the US hotline.
void check_plays_builtin(const std::string& configured, const std::string& lang,
                         const std::string& shows) {
    CAPTURE(configured);
    CAPTURE(lang);
    TempDir dir;
    const Item expected = first_slide(shows, lang);
    RunResult r = run_player(
        dir,
        "[device]\nlanguages = [\"" + lang + "\"]\n[content]\nchannel = \"" + configured + "\"\n",
        {"--snapshot", "1:a.png", "--exit-after", "1.3", "--trace", "t.ndjson"}, "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.err.find("channel \"" + shows + "\"") != std::string::npos, r.err);
    CHECK(
        read_file(dir / "t.ndjson").find(R"("event":"item_start","item":")" + expected.id + "\"") !=
        std::string::npos);
    const std::string text = ocr(dir / "a.png", tesseract_language(lang));
    CHECK_MESSAGE(reads(text, expected.title), expected.title, " not in: ", text);
    CHECK_MESSAGE(reads(text, "1-888-373-7888"), text);
}

} // namespace

TEST_CASE("[content] channel = bus plays the built-in bus channel, read in English, Spanish and "
          "French") {
    for (const char* lang : {"en", "es", "fr"})
        check_plays_builtin("bus", lang, "bus");
}

TEST_CASE("[content] channel = weigh-station plays its built-in channel, read in English, "
          "Spanish and French") {
    for (const char* lang : {"en", "es", "fr"})
        check_plays_builtin("weigh-station", lang, "weigh-station");
}

TEST_CASE("[content] channel = licensing plays its built-in channel, read in English, Spanish "
          "and French, and default plays truckstop") {
    for (const char* lang : {"en", "es", "fr"})
        check_plays_builtin("licensing", lang, "licensing");
    check_plays_builtin("default", "en", "truckstop");
}

TEST_CASE("a screen set to bus in CA-QC shows French bus slides and the Canadian hotline") {
    TempDir dir;
    RunResult r = run_player(
        dir, "[device]\nregion = \"CA-QC\"\nlanguages = [\"fr\"]\n[content]\nchannel = \"bus\"\n",
        {"--snapshot", "1:a.png", "--exit-after", "1.3"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const std::string text = ocr(dir / "a.png", "fra");
    CHECK_MESSAGE(reads(text, first_slide("bus", "fr").title), text);
    CHECK_MESSAGE(reads(text, "1-833-900-1010"), text);
    CHECK(!reads(text, "1-888-373-7888"));
}

TEST_CASE("a channel name that is no built-in one, with no server, plays truckstop and says so") {
    TempDir dir;
    RunResult r = run_player(dir, "[content]\nchannel = \"buss\"\n",
                             {"--snapshot", "1:a.png", "--exit-after", "1.3"}, "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.err.find("[content] channel \"buss\" is not a built-in channel (truckstop, "
                             "bus, weigh-station, licensing) and there is no server: the screen "
                             "plays \"truckstop\"") != std::string::npos,
                  r.err);
    CHECK(reads(ocr(dir / "a.png"), first_slide("truckstop", "en").title));
}

TEST_CASE("every built-in channel passes milepost-pack's checks: built, signed and verified") {
    TempDir dir;
    RunResult keys = run({MILEPOST_PACK, "keygen", "--secret-key", (dir / "k.key").string(),
                          "--public-key", (dir / "k.pub").string()});
    REQUIRE_MESSAGE(keys.exit_code == 0, keys.err);
    for (std::string_view name : kBuiltinChannels) {
        CAPTURE(name);
        RunResult b =
            run({MILEPOST_PACK, "build",
                 std::string(MILEPOST_BUILTIN_DIR) + "/" + std::string(name) + "/channel.toml",
                 "--secret-key", (dir / "k.key").string(), "--out", (dir / "site").string()});
        CHECK_MESSAGE(b.exit_code == 0, b.err);
        CHECK(b.err.find("warning") == std::string::npos);
    }
    RunResult v = run({MILEPOST_PACK, "verify", (dir / "site").string(), "--public-key",
                       (dir / "k.pub").string()});
    CHECK_MESSAGE(v.exit_code == 0, v.err);
    for (std::string_view name : kBuiltinChannels)
        CHECK_MESSAGE(v.out.find("channel \"" + std::string(name) + "\"") != std::string::npos,
                      v.out);
}
