// The player's screen as a person sees it: snapshots read back by pixels and OCR.
#include "PlayerRun.hpp"
#include "core/Channel.hpp"
#include "render/HotlineScreen.hpp"
#include "render/Painter.hpp"
#include "render/TestPattern.hpp"
#include "store/PlayLog.hpp"

#include <SDL_image.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace milepost;
using namespace milepost::test;

namespace {

const Item& default_item(const std::string& id) {
    static std::vector<std::string> warnings;
    static Channel channel = load_channel_source(MILEPOST_DEFAULT_CHANNEL, warnings);
    for (const Item& item : channel.items)
        if (item.id == id)
            return item;
    FAIL("no item " << id << " in the default channel");
    throw 0;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return squeeze(haystack).find(squeeze(needle)) != std::string::npos;
}

// Makes a solid-colour picture file (PNG, or JPEG when the name ends in .jpg).
void make_picture(const std::filesystem::path& path, int w, int h, SDL_Color c) {
    std::filesystem::create_directories(path.parent_path());
    SurfacePtr s(SDL_CreateRGBSurfaceWithFormat(0, w, h, 24, SDL_PIXELFORMAT_RGB24));
    SDL_FillRect(s.get(), nullptr, SDL_MapRGB(s->format, c.r, c.g, c.b));
    int rc = path.extension() == ".jpg" ? IMG_SaveJPG(s.get(), path.c_str(), 95)
                                        : IMG_SavePNG(s.get(), path.c_str());
    REQUIRE(rc == 0);
}

// The US hotline's text, web and emergency contacts, as keys of its [[hotline]]: the
// banner shows the text line and 911.
const char* kUsHotlineContacts = R"(text = "233733"
text_keyword = "HELP"
url = "https://humantraffickinghotline.org"
emergency = "911"
)";

// channel_toml with kUsHotlineContacts in the US hotline.
std::string contacts_channel_toml(const std::string& name, const std::string& rest) {
    return channel_header(name) + us_hotline_toml(kUsHotlineContacts) + rest;
}

} // namespace

TEST_CASE("an empty config shows an English slide and the US hotline, legible by OCR") {
    TempDir dir;
    RunResult r =
        run_player(dir, "", {"--snapshot", "2:a.png", "--exit-after", "3", "--trace", "t.ndjson"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Picture shot = load_picture(dir / "a.png");
    CHECK(shot.width == 1920);
    CHECK(shot.height == 1080);
    const std::string text = ocr(dir / "a.png");
    CHECK_MESSAGE(contains(text, "1-888-373-7888"), text);
    CHECK_MESSAGE(contains(text, default_item("intro-en").title), text);
    // The banner is the yellow strip along the bottom; the slide above is navy.
    CHECK(shot.fraction_near(palette::kBanner, 0, 1060, 1920, 20) > 0.5);
    CHECK(shot.fraction_near(palette::kBackground, 0, 0, 1920, 20) > 0.9);
    const std::string trace = read_file(dir / "t.ndjson");
    CHECK(trace.find(R"("event":"item_start","item":"intro-en")") != std::string::npos);
    CHECK(trace.find(R"("event":"item_end","item":"intro-en")") != std::string::npos);
}

TEST_CASE("region CA-ON with French shows a French slide and the Canadian hotline") {
    TempDir dir;
    RunResult r = run_player(dir, "[device]\nregion = \"CA-ON\"\nlanguages = [\"fr\"]\n",
                             {"--snapshot", "2:a.png", "--exit-after", "2.5"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const std::string text = ocr(dir / "a.png", "fra");
    CHECK_MESSAGE(contains(text, "1-833-900-1010"), text);
    CHECK_MESSAGE(contains(text, default_item("intro-fr").title), text);
    CHECK_MESSAGE(contains(text, "Appelez le"), text);
    CHECK(!contains(text, "1-888-373-7888"));
}

TEST_CASE("rotation 90: the text reads upright once the picture is turned back") {
    TempDir dir;
    RunResult r = run_player(dir, "[display]\nrotation = 90\n",
                             {"--snapshot", "1:a.png", "--exit-after", "1.5"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Picture shot = load_picture(dir / "a.png");
    REQUIRE(shot.width == 1920);
    // Turned 90 degrees clockwise, the canvas's bottom banner lies along the panel's left edge.
    CHECK(shot.fraction_near(palette::kBanner, 0, 0, 20, 1080) > 0.5);
    CHECK(shot.fraction_near(palette::kBanner, 0, 1060, 1920, 20) < 0.5);
    Picture upright = shot.turned_back(90);
    CHECK(upright.width == 1080);
    CHECK(upright.height == 1920);
    upright.save(dir / "upright.png");
    const std::string text = ocr(dir / "upright.png");
    CHECK_MESSAGE(contains(text, "1-888-373-7888"), text);
    CHECK_MESSAGE(contains(text, default_item("intro-en").title), text);
}

TEST_CASE("rotation 180 and 270 read upright once turned back") {
    for (int rotation : {180, 270}) {
        TempDir dir;
        RunResult r = run_player(dir, "[display]\nrotation = " + std::to_string(rotation) + "\n",
                                 {"--snapshot", "1:a.png", "--exit-after", "1.2"}, "1280x720");
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        Picture upright = load_picture(dir / "a.png").turned_back(rotation);
        upright.save(dir / "upright.png");
        const std::string text = ocr(dir / "upright.png");
        CHECK_MESSAGE(contains(text, "1-888-373-7888"), rotation, ": ", text);
    }
}

TEST_CASE("French accents and guillemets render as letters, not boxes") {
    TempDir dir;
    dir.write("c/channel.toml", contacts_channel_toml("accents", R"([[item]]
id = "accents"
type = "slide"
lang = "fr"
title = "Café à l'aéroport"
bullets = ["Le garçon reçoit « l'élève » après la fête", "¿Dónde está el niño? Señal"]
)"));
    RunResult r =
        run_player(dir, "[device]\nlanguages = [\"fr\"]\n",
                   {"--content", "c/channel.toml", "--snapshot", "1:a.png", "--exit-after", "1.2"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const std::string text = ocr(dir / "a.png", "fra+spa");
    for (const char* word :
         {"Café", "aéroport", "garçon", "reçoit", "«", "»", "l'élève", "fête", "¿Dónde", "niño"})
        CHECK_MESSAGE(contains(text, word), word, " not in: ", text);
}

TEST_CASE("images keep their aspect: letterboxed and pillarboxed") {
    TempDir dir;
    make_picture(dir / "c/wide.png", 400, 100, {220, 20, 20, 255});
    make_picture(dir / "c/tall.jpg", 100, 400, {20, 20, 220, 255});
    dir.write("c/channel.toml", contacts_channel_toml("images", R"([[item]]
id = "wide"
type = "image"
file = "wide.png"
duration = 1
[[item]]
id = "tall"
type = "image"
file = "tall.jpg"
duration = 1
)"));
    RunResult r = run_player(dir, "",
                             {"--content", "c/channel.toml", "--snapshot", "0.5:wide.png",
                              "--snapshot", "1.5:tall.png", "--exit-after", "1.7"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const SDL_Color red{220, 20, 20, 255}, blue{20, 20, 220, 255}, black{0, 0, 0, 255};

    Picture wide = load_picture(dir / "wide.png");
    // Full width, a quarter as tall, centred in the area above the banner: bars above and below.
    CHECK(wide.fraction_near(red, 0, 400, 1920, 40) > 0.95);
    CHECK(wide.fraction_near(black, 0, 0, 1920, 20) > 0.95);
    int red_rows = 0;
    for (int y = 0; y < 1080; ++y)
        red_rows += wide.fraction_near(red, 960, y, 1, 1) > 0 ? 1 : 0;
    CHECK(red_rows == doctest::Approx(480).epsilon(0.02));
    CHECK(wide.fraction_near(palette::kBanner, 0, 1060, 1920, 20) > 0.5);

    Picture tall = load_picture(dir / "tall.png");
    CHECK(tall.fraction_near(blue, 940, 200, 40, 400, 40) > 0.95);
    CHECK(tall.fraction_near(black, 0, 0, 200, 800) > 0.95); // a bar at the left
    CHECK(tall.fraction_near(black, 1720, 0, 200, 800) > 0.95);
}

TEST_CASE("nothing playable shows the fallback slide with the hotline, never black") {
    TempDir dir;
    dir.write("c/channel.toml", contacts_channel_toml("broken", R"([[item]]
id = "missing-image"
type = "image"
file = "nowhere.png"
[[item]]
id = "spanish-only"
type = "slide"
lang = "es"
title = "Solo en español"
)"));
    RunResult r = run_player(dir, "",
                             {"--content", "c/channel.toml", "--snapshot", "1:a.png",
                              "--exit-after", "1.2", "--trace", "t.ndjson"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("nowhere.png") != std::string::npos);
    const std::string text = ocr(dir / "a.png");
    CHECK_MESSAGE(contains(text, "Human trafficking happens here"), text);
    CHECK_MESSAGE(contains(text, "1-888-373-7888"), text);
    const std::string trace = read_file(dir / "t.ndjson");
    CHECK(trace.find(R"("event":"error","item":"missing-image")") != std::string::npos);
    Picture shot = load_picture(dir / "a.png");
    CHECK(shot.fraction_near({0, 0, 0, 255}, 0, 0, 1920, 1080, 8) < 0.05);
}

TEST_CASE("a channel with no hotline for the region borrows the built-in one") {
    TempDir dir;
    dir.write("c/channel.toml", R"(
channel = "mexico-only"
[[hotline]]
region = "MX"
name = "Línea Nacional contra la Trata de Personas"
call = "800 5533 000"
[[item]]
id = "a"
type = "slide"
title = "Signs to watch for"
)");
    RunResult r =
        run_player(dir, "[device]\nregion = \"CA-QC\"\n",
                   {"--content", "c/channel.toml", "--snapshot", "1:a.png", "--exit-after", "1.2"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const std::string text = ocr(dir / "a.png");
    CHECK_MESSAGE(contains(text, "1-833-900-1010"), text);
}

TEST_CASE("the banner can sit at the top, and slides advance on time") {
    TempDir dir;
    dir.write("c/channel.toml",
              contacts_channel_toml("two", slide_item("first", "First slide", 1) +
                                               slide_item("second", "Second slide", 1)));
    RunResult r =
        run_player(dir, "[display]\nbanner = \"top\"\n",
                   {"--content", "c/channel.toml", "--snapshot", "0.5:a.png", "--snapshot",
                    "1.5:b.png", "--exit-after", "2.2", "--trace", "t.ndjson"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Picture a = load_picture(dir / "a.png");
    CHECK(a.fraction_near(palette::kBanner, 0, 0, 1920, 20) > 0.5);
    CHECK(a.fraction_near(palette::kBackground, 0, 1060, 1920, 20) > 0.9);
    CHECK(contains(ocr(dir / "a.png"), "First slide"));
    CHECK(contains(ocr(dir / "b.png"), "Second slide"));
    const std::string trace = read_file(dir / "t.ndjson");
    // first at 0, second at 1, first again at 2: the loop is paced by the clock.
    const auto start_of = [&trace](const std::string& item) {
        auto at = trace.find(R"("event":"item_start","item":")" + item + "\"");
        REQUIRE(at != std::string::npos);
        return std::stod(trace.substr(trace.rfind("{\"t\":", at) + 5));
    };
    CHECK(start_of("second") - start_of("first") == doctest::Approx(1.0).epsilon(0.1));
}

namespace {

// Keeps a test's snapshot in build/snapshots/, for people to look at.
void keep_snapshot(const std::filesystem::path& png, const std::string& name) {
    std::filesystem::create_directories(MILEPOST_SNAPSHOT_DIR);
    std::filesystem::copy_file(png, std::filesystem::path(MILEPOST_SNAPSHOT_DIR) / name,
                               std::filesystem::copy_options::overwrite_existing);
}

// The x of the sweeping bar: the middle of the white run on the sweep band's middle row.
int sweep_x(const Picture& shot, Size canvas) {
    const Rect band = test_pattern::sweep_area(canvas);
    const int y = band.y + band.h / 2;
    int first = -1, last = -1;
    for (int x = band.x; x < band.x + band.w; ++x)
        if (shot.at(x, y).r > 240 && shot.at(x, y).g > 240 && shot.at(x, y).b > 240) {
            if (first < 0)
                first = x;
            last = x;
        }
    return first < 0 ? -1 : (first + last) / 2;
}

} // namespace

TEST_CASE("the test pattern shows bars, a grey ramp, overscan marks, a moving bar and the mode") {
    TempDir dir;
    RunResult r = run_player(dir, "",
                             {"--test-pattern", "--snapshot", "0.5:a.png", "--snapshot",
                              "1.5:b.png", "--exit-after", "1.7"},
                             "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    keep_snapshot(dir / "a.png", "test-pattern.png");
    const Size canvas{1280, 720};
    Picture a = load_picture(dir / "a.png");
    REQUIRE(a.width == 1280);
    const std::string text = ocr(dir / "a.png");
    CHECK_MESSAGE(contains(text, "1280x720"), text);
    CHECK_MESSAGE(contains(text, "Milepost test pattern"), text);
    CHECK_MESSAGE(contains(text, "2.5%"), text);

    // Each bar is its colour across its middle.
    const Rect bars = test_pattern::bars_area(canvas);
    const int n = int(std::size(test_pattern::kBars));
    for (int i = 0; i < n; ++i) {
        const int cx = bars.x + bars.w * (2 * i + 1) / (2 * n);
        CHECK_MESSAGE(a.fraction_near(test_pattern::kBars[i], cx - 10, bars.y + 10, 20, bars.h - 20,
                                      8) > 0.99,
                      "bar " << i);
    }
    // The ramp climbs from black to white in 16 even steps.
    const Rect ramp = test_pattern::ramp_area(canvas);
    int previous = -1;
    for (int i = 0; i < test_pattern::kRampSteps; ++i) {
        const int cx = ramp.x + ramp.w * (2 * i + 1) / (2 * test_pattern::kRampSteps);
        const SDL_Color c = a.at(cx, ramp.y + ramp.h / 2);
        CHECK(c.r == c.g);
        CHECK(c.g == c.b);
        CHECK(std::abs(int(c.r) - 255 * i / 15) <= 2);
        CHECK(int(c.r) > previous);
        previous = c.r;
    }
    // The overscan frames sit 2.5% and 5% in from the edges.
    for (auto [fraction, colour] :
         {std::pair{0.025, test_pattern::kOuterMark}, std::pair{0.05, test_pattern::kInnerMark}}) {
        const Rect mark = test_pattern::overscan_rect(canvas, fraction);
        CHECK(mark.x == int(std::lround(1280 * fraction)));
        CHECK(a.fraction_near(colour, mark.x + mark.w / 4, mark.y, 40, 1, 8) == 1.0);
        CHECK(a.fraction_near(colour, mark.x, mark.y + mark.h / 3, 1, 40, 8) == 1.0);
    }
    // The bar moves: a second later it is a quarter of the band further on.
    Picture b = load_picture(dir / "b.png");
    const int xa = sweep_x(a, canvas), xb = sweep_x(b, canvas);
    REQUIRE(xa > 0);
    REQUIRE(xb > 0);
    const double quarter = test_pattern::sweep_area(canvas).w / test_pattern::kSweepSeconds;
    CHECK_MESSAGE(std::abs((xb - xa) - quarter) < quarter * 0.25, xa << " -> " << xb);
}

namespace {

const char* kSiteConfig = R"([device]
id = "site-42"
site = "Exit 42 Travel Center"
region = "US-TX"
)";

// What milepost-sync would have written: the network and the last sync.
void write_sync_news(const TempDir& dir) {
    std::filesystem::create_directories(dir / "data");
    dir.write("data/sync.json",
              R"({"server": true, "last_sync": "2026-11-29T14:03:00Z",
                  "last_sync_result": "ok: sequence 12", "rows_pending": 42,
                  "network": [{"interface": "wlan0", "kind": "wifi",
                               "addresses": ["10.0.0.5"], "signal_dbm": -61}]})");
}

} // namespace

TEST_CASE("the boot card shows the screen's facts over the content, then goes, the banner kept") {
    TempDir dir;
    write_sync_news(dir);
    RunResult r =
        run_player(dir, std::string(kSiteConfig) + "[display]\nboot_info_seconds = 3\n",
                   {"--snapshot", "1:a.png", "--snapshot", "4.5:b.png", "--exit-after", "5"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    keep_snapshot(dir / "a.png", "boot-card.png");
    const std::string text = ocr(dir / "a.png");
    for (const char* want :
         {"Milepost screen site-42", "Exit 42 Travel Center, US-TX", "10.0.0.5", "Wi-Fi -61 dBm",
          "built-in", "ok: sequence 12", "No content key", "1-888-373-7888"})
        CHECK_MESSAGE(contains(text, want), std::string(want) << " in:\n" << text);
    CHECK_MESSAGE(!contains(text, "Plays pending"), text); // diagnostics only
    // The banner is not covered: its yellow strip is whole along the bottom.
    Picture a = load_picture(dir / "a.png");
    CHECK(a.fraction_near(palette::kBanner, 0, 1060, 1920, 20) > 0.5);
    const std::string after = ocr(dir / "b.png");
    CHECK_MESSAGE(!contains(after, "Milepost screen"), after);
    CHECK_MESSAGE(contains(after, "1-888-373-7888"), after);
}

TEST_CASE("F1 and a 5-second press in the top-left corner show the diagnostics") {
    TempDir dir;
    write_sync_news(dir);
    RunResult r = run_player(
        dir, kSiteConfig,
        {"--snapshot", "1.5:f1.png", "--snapshot", "2.8:short.png", "--snapshot", "6.5:waiting.png",
         "--snapshot", "8:long.png", "--exit-after", "8.3"},
        "1920x1080", {"MILEPOST_TEST_EVENTS=1:key:F1 2:key:F1 2.6:down:40,50 8.5:up:40,50"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    keep_snapshot(dir / "long.png", "diagnostics.png");
    const std::string f1 = ocr(dir / "f1.png");
    for (const char* want : {"Milepost diagnostics", "site-42", "Plays pending", "42 not yet",
                             "Decoder", "Disk free", "1920x1080, headless", "Frames"})
        CHECK_MESSAGE(contains(f1, want), std::string(want) << " in:\n" << f1);
    // F1 again hid it; the press held in the corner shows it at 5 s, not before.
    CHECK_MESSAGE(!contains(ocr(dir / "short.png"), "diagnostics"), "after F1 again");
    CHECK_MESSAGE(!contains(ocr(dir / "waiting.png"), "diagnostics"), "3.9 s into the press");
    const std::string held = ocr(dir / "long.png");
    CHECK_MESSAGE(contains(held, "Milepost diagnostics"), held);
    CHECK_MESSAGE(contains(held, "1-888-373-7888"), held);
}

TEST_CASE("a tap shows the hotline full screen for 20 s, and its button switches the language") {
    TempDir dir;
    const Rect button = language_button({1920, 1080});
    const std::string press =
        std::to_string(button.x + button.w / 2) + "," + std::to_string(button.y + button.h / 2);
    RunResult r =
        run_player(dir, "[device]\nlanguages = [\"en\", \"es\", \"fr\"]\n",
                   {"--snapshot", "1.5:en.png", "--snapshot", "3.5:es.png", "--snapshot",
                    "23:after.png", "--exit-after", "23.3", "--trace", "t.ndjson"},
                   "1920x1080",
                   {"MILEPOST_TEST_EVENTS=0.5:down:900,500 0.6:up:900,500 2.5:down:" + press +
                    " 2.6:up:" + press});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    keep_snapshot(dir / "es.png", "hotline-touch.png");
    Picture en = load_picture(dir / "en.png");
    // The whole screen is the hotline.
    CHECK(en.fraction_near(palette::kBanner, 0, 0, 1920, 40) > 0.9);
    const std::string t1 = ocr(dir / "en.png");
    for (const char* want : {"Call", "1-888-373-7888", "Text HELP to 233733", "Call 911"})
        CHECK_MESSAGE(contains(t1, want), std::string(want) << " in:\n" << t1);
    // The button, white on black, read on its own: it offers the next language.
    en.crop(button.x, button.y, button.w, button.h).save(dir / "button-en.png");
    CHECK_MESSAGE(contains(ocr(dir / "button-en.png", "spa"), "Español"), "button");
    const std::string t2 = ocr(dir / "es.png", "spa");
    for (const char* want : {"Llame al", "1-888-373-7888", "al 911"})
        CHECK_MESSAGE(contains(t2, want), std::string(want) << " in:\n" << t2);
    load_picture(dir / "es.png")
        .crop(button.x, button.y, button.w, button.h)
        .save(dir / "button-es.png");
    CHECK_MESSAGE(contains(ocr(dir / "button-es.png", "fra"), "Français"), "button");
    // 20 s after the last tap the content is back, with its banner.
    Picture after = load_picture(dir / "after.png");
    CHECK(after.fraction_near(palette::kBackground, 0, 0, 1920, 20) > 0.9);
    // The item the tap covered is logged interrupted.
    auto log = PlayLog::open(dir / "data/playlog.db");
    REQUIRE(log.ok());
    auto rows = log->rows_json(1, 100);
    REQUIRE(rows.ok());
    REQUIRE(!rows->empty());
    auto first = nlohmann::json::parse(rows->front());
    CHECK(first["outcome"] == "interrupted");
    CHECK(first["detail"] == "covered by the hotline screen (a tap)");
}
