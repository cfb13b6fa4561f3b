// Captions on the player's screen, read back by OCR and by pixels, and timed by
// the trace: the cue due with each frame, in the screen's language.
#include "PlayerRun.hpp"
#include "Trace.hpp"
#include "core/Units.hpp"
#include "render/HotlineScreen.hpp"
#include "store/PlayLog.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <sstream>

using namespace milepost;
using namespace milepost::test;

namespace {

constexpr double kCaptionFrame = 1.0 / 30; // the test video's frame period

// A 5-second 1280x720 30 fps video of one dark grey: OCR reads the captions alone.
std::filesystem::path grey_video() {
    return make_media("grey-5s.mp4", {"-f", "lavfi", "-i", "color=c=0x404040:size=1280x720:rate=30",
                                      "-t", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
}

// Three cues, 0-1.3 s, 1.5-2.8 s and 3-4.3 s, in each language: WebVTT for English
// and French, SubRip (with markup) for Spanish.
const char* kEnglishCues = R"(WEBVTT

00:00:00.000 --> 00:00:01.300
Look for a driver who is not free to leave

00:00:01.500 --> 00:00:02.800 align:start
<v Narrator>Call the hotline on this screen</v>

00:00:03.000 --> 00:00:04.300
Every call is <b>confidential</b>
)";
const char* kSpanishCues = R"(1
00:00:00,000 --> 00:00:01,300
¿Alguien que no puede irse?

2
00:00:01,500 --> 00:00:02,800
<i>Llame a la línea de esta pantalla</i>

3
00:00:03,000 --> 00:00:04,300
{\an2}Señales que no debe ignorar
)";
const char* kFrenchCues = R"(WEBVTT

00:00:00.000 --> 00:00:01.300
« Je ne peux pas partir »

00:00:01.500 --> 00:00:02.800
Appelez la ligne de cet écran

00:00:03.000 --> 00:00:04.300
Chaque appel reste confidentiel
)";

struct CueText {
    double start, end;
    std::string text;
};
const std::vector<CueText>& cues_in(const std::string& lang) {
    static const std::map<std::string, std::vector<CueText>> all{
        {"en",
         {{0, 1.3, "Look for a driver who is not free to leave"},
          {1.5, 2.8, "Call the hotline on this screen"},
          {3, 4.3, "Every call is confidential"}}},
        {"es",
         {{0, 1.3, "¿Alguien que no puede irse?"},
          {1.5, 2.8, "Llame a la línea de esta pantalla"},
          {3, 4.3, "Señales que no debe ignorar"}}},
        {"fr",
         {{0, 1.3, "« Je ne peux pas partir »"},
          {1.5, 2.8, "Appelez la ligne de cet écran"},
          {3, 4.3, "Chaque appel reste confidentiel"}}},
    };
    return all.at(lang);
}

// A channel source with the grey video captioned in English, Spanish and French
// (`captions` replaces that line when given), in `dir`/c.
std::filesystem::path captioned_channel(const TempDir& dir, const std::string& captions = "") {
    std::filesystem::create_directories(dir / "c/media");
    std::filesystem::copy_file(grey_video(), dir / "c/media/grey.mp4",
                               std::filesystem::copy_options::overwrite_existing);
    dir.write("c/media/grey.en.vtt", kEnglishCues);
    dir.write("c/media/grey.es.srt", kSpanishCues);
    dir.write("c/media/grey.fr.vtt", kFrenchCues);
    return dir.write(
        "c/channel.toml",
        channel_toml(
            "captioned",
            R"([[item]]
id = "captioned"
type = "video"
file = "media/grey.mp4"
)" +
                (captions.empty()
                     ? std::string(
                           R"(captions = { en = "media/grey.en.vtt", es = "media/grey.es.srt", fr = "media/grey.fr.vtt" })")
                     : captions) +
                "\n"));
}

std::string device_in(const std::string& lang, const std::string& display = "") {
    return "[device]\nlanguages = [\"" + lang + "\"]\n[display]\n" + display;
}

void keep_caption_snapshot(const std::filesystem::path& png, const std::string& name) {
    std::filesystem::create_directories(MILEPOST_SNAPSHOT_DIR);
    std::filesystem::copy_file(png, std::filesystem::path(MILEPOST_SNAPSHOT_DIR) / name,
                               std::filesystem::copy_options::overwrite_existing);
}

bool reads(const std::string& ocr_text, const std::string& cue) {
    return squeeze(ocr_text).find(squeeze(cue)) != std::string::npos;
}

std::vector<nlohmann::json> trace_events(const std::filesystem::path& file,
                                         const std::string& event) {
    std::vector<nlohmann::json> out;
    std::istringstream lines(read_file(file));
    for (std::string line; std::getline(lines, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.value("event", "") == event)
            out.push_back(j);
    }
    return out;
}

std::string ocr_language(const std::string& lang) {
    return lang == "es" ? "spa" : lang == "fr" ? "fra" : "eng";
}

} // namespace

TEST_CASE("captions in English, Spanish and French read right at three cue times, each cue on "
          "from the frame that reaches its start to the frame that reaches its end") {
    for (const std::string lang : {"en", "es", "fr"}) {
        CAPTURE(lang);
        TempDir dir;
        const auto channel = captioned_channel(dir);
        RunResult r = run_player(dir, device_in(lang),
                                 {"--content", channel.string(), "--snapshot", "0.8:a.png",
                                  "--snapshot", "2.3:b.png", "--snapshot", "3.8:c.png", "--trace",
                                  "t.ndjson", "--exit-after", "4.6"},
                                 "1280x720");
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        const auto& cues = cues_in(lang);
        int n = 0;
        for (const std::string shot : {"a.png", "b.png", "c.png"}) {
            // Read in the band above the banner, where the captions are: tesseract
            // finds no text at all in some frames that are mostly one grey.
            load_picture(dir / shot).crop(0, 480, 1280, 133).save(dir / ("band-" + shot));
            const std::string text = ocr(dir / ("band-" + shot), ocr_language(lang));
            CHECK_MESSAGE(reads(text, cues[n].text), shot, ": ", text);
            // The box: dark (black at 80% over the grey), just above the banner (its
            // top at y 613 on a 720-line screen), and nothing dark higher up.
            Picture p = load_picture(dir / shot);
            const SDL_Color box{13, 13, 13, 255};
            CHECK(p.fraction_near(box, 0, 500, 1280, 113, 12) > 0.1);
            CHECK(p.fraction_near(box, 0, 0, 1280, 400, 12) < 0.01);
            keep_caption_snapshot(dir / shot,
                                  "captions-" + lang + "-" + std::to_string(++n) + ".png");
        }
        // Each cue came with the first frame at or after its start, and went with the
        // first at or after its end (a frame's time either way at most).
        const auto on = trace_events(dir / "t.ndjson", "caption");
        const auto off = trace_events(dir / "t.ndjson", "caption_end");
        REQUIRE(on.size() == 3);
        REQUIRE(off.size() >= 2);
        for (std::size_t i = 0; i < 3; ++i) {
            const double pts = on[i]["pts"];
            CHECK_MESSAGE(pts >= cues[i].start - 1e-3, i, ": ", pts);
            CHECK_MESSAGE(pts <= cues[i].start + kCaptionFrame + 1e-3, i, ": ", pts);
            CHECK(on[i]["detail"].get<std::string>().starts_with(lang + ": "));
        }
        for (std::size_t i = 0; i < 2; ++i) {
            const double pts = off[i]["pts"];
            CHECK_MESSAGE(pts >= cues[i].end - 1e-3, i, ": ", pts);
            CHECK_MESSAGE(pts <= cues[i].end + kCaptionFrame + 1e-3, i, ": ", pts);
        }
        // The video played on through its cues.
        const auto frames = trace_events(dir / "t.ndjson", "frame");
        CHECK(frames.size() >= 90);
        // The play row says which captions were shown.
        const auto rows = play_rows(dir / "data");
        REQUIRE(!rows.empty());
        CHECK(rows[0]["item_id"] == "captioned");
        CHECK(rows[0]["captions"] == lang);
    }
}

TEST_CASE("captions at rotation 90 read upright once the picture is turned back") {
    TempDir dir;
    // One cue the whole video long: the snapshot finds it however late a player
    // slowed by the sanitizers on a loaded machine puts up its first frame.
    captioned_channel(dir);
    dir.write("c/media/long.en.vtt",
              "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n" + cues_in("en")[1].text + "\n");
    const auto channel = captioned_channel(dir, R"(captions = { en = "media/long.en.vtt" })");
    RunResult r = run_player(
        dir, device_in("en", "rotation = 90\n"),
        {"--content", channel.string(), "--snapshot", "2.3:a.png", "--exit-after", "2.5"},
        "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Picture upright = load_picture(dir / "a.png").turned_back(90);
    REQUIRE(upright.width == 720);
    upright.save(dir / "upright.png");
    keep_caption_snapshot(dir / "upright.png", "captions-rotation-90.png");
    const std::string text = ocr(dir / "upright.png");
    // On a portrait canvas 720 wide the cue wraps; its words all read.
    for (const char* word : {"Call", "hotline", "screen"})
        CHECK_MESSAGE(text.find(word) != std::string::npos, word, ": ", text);
}

TEST_CASE("a video joined part way shows the cue due at the join") {
    TempDir dir;
    // Cue 2 runs on to 4.8 s here, so that a player slowed by the sanitizers on a
    // loaded machine, whose first frame comes a second or more after the join,
    // still shows it at the snapshot.
    captioned_channel(dir);
    dir.write("c/media/join.en.vtt",
              "WEBVTT\n\n00:00:00.000 --> 00:00:01.300\n" + cues_in("en")[0].text +
                  "\n\n00:00:01.500 --> 00:00:04.800\n" + cues_in("en")[1].text + "\n");
    const auto channel = captioned_channel(dir, R"(captions = { en = "media/join.en.vtt" })");
    auto start = parse_rfc3339(cycle_start_clock());
    REQUIRE(start);
    const std::string joined = format_rfc3339_utc(*start + std::chrono::milliseconds(1900));
    RunResult r = run_player(dir, device_in("en"),
                             {"--content", channel.string(), "--clock-start", joined, "--snapshot",
                              "1.6:a.png", "--trace", "t.ndjson", "--exit-after", "1.8"},
                             "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto starts = trace_events(dir / "t.ndjson", "item_start");
    REQUIRE(!starts.empty());
    CHECK_MESSAGE(starts[0].value("detail", "").starts_with("joined at"), starts[0].dump());
    load_picture(dir / "a.png").crop(0, 480, 1280, 133).save(dir / "band.png");
    const std::string text = ocr(dir / "band.png");
    CHECK_MESSAGE(reads(text, cues_in("en")[1].text), text);
    // The first cue shown is the one due at the join, on the join's first frame.
    const auto on = trace_events(dir / "t.ndjson", "caption");
    REQUIRE(!on.empty());
    CHECK(on[0]["detail"] == "en: " + cues_in("en")[1].text);
}

TEST_CASE("a caption file that is missing or broken keeps the video playing without captions, "
          "and says so in the journal and the play row") {
    TempDir dir;
    captioned_channel(dir);
    // Latin-1, not UTF-8, and a file that is not there.
    dir.write("c/media/broken.fr.vtt",
              "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nt\xe9l\xe9phone\n");
    const auto channel = captioned_channel(
        dir, R"(captions = { fr = "media/broken.fr.vtt", es = "media/gone.es.vtt" })");
    RunResult r = run_player(
        dir, "[device]\nlanguages = [\"fr\", \"es\"]\n",
        {"--content", channel.string(), "--trace", "t.ndjson", "--exit-after", "3"}, "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.err.find("plays without them") != std::string::npos, r.err);
    CHECK_MESSAGE(r.err.find("broken.fr.vtt") != std::string::npos, r.err);
    CHECK(trace_events(dir / "t.ndjson", "caption").empty());
    // A second of it at least, in 3 s: a loaded sanitizer pass once showed 25 frames in 2 s.
    CHECK(trace_events(dir / "t.ndjson", "frame").size() >= 30);
    const auto rows = play_rows(dir / "data");
    REQUIRE(!rows.empty());
    CHECK(rows[0]["captions"].is_null());
    const std::string detail = rows[0]["detail"].is_string() ? rows[0]["detail"] : "";
    CHECK_MESSAGE(detail.find("captions fr") != std::string::npos, detail);
    CHECK_MESSAGE(detail.find("captions es") != std::string::npos, detail);
}

TEST_CASE("captions = off shows none, and when-muted shows them while the player is muted") {
    for (const auto& mode_shown : {std::pair{"off", false}, {"when-muted", true}}) {
        const std::string mode = mode_shown.first;
        const bool shown = mode_shown.second;
        CAPTURE(mode);
        TempDir dir;
        const auto channel = captioned_channel(dir);
        RunResult r = run_player(
            dir, device_in("en", std::string("captions = \"") + mode + "\"\n"),
            {"--content", channel.string(), "--trace", "t.ndjson", "--exit-after", "1.6"},
            "1280x720");
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        CHECK(trace_events(dir / "t.ndjson", "caption").empty() == !shown);
        const auto rows = play_rows(dir / "data");
        REQUIRE(!rows.empty());
        CHECK(rows[0]["captions"] == (shown ? nlohmann::json("en") : nlohmann::json()));
    }
}

TEST_CASE("preview draws each captioned video once more per caption language, its first cue on "
          "the frame it starts on") {
    TempDir dir;
    const auto channel = captioned_channel(dir);
    RunResult r = run({MILEPOST_PACK, "preview", channel.string(), "--out",
                       (dir / "sheet.png").string(), "--size", "1280x720"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.out.find("4 pictures") != std::string::npos, r.out);
    // One row of four tiles 480x270, 24 px apart: the video, then en, es, fr. The
    // caption tiles have the dark box above the banner; the plain one has none.
    Picture sheet = load_picture(dir / "sheet.png");
    const SDL_Color box{13, 13, 13, 255};
    for (int tile = 0; tile < 4; ++tile) {
        const int x = 24 + tile * (480 + 24), y = 24;
        const double dark = sheet.fraction_near(box, x, y + 180, 480, 49, 16);
        CAPTURE(tile);
        if (tile == 0)
            CHECK(dark < 0.01);
        else
            CHECK(dark > 0.1);
    }
    const std::string labels = squeeze(ocr(dir / "sheet.png"));
    for (const char* label : {"captions en", "captions es", "captions fr"})
        CHECK_MESSAGE(labels.find(label) != std::string::npos, label, " not in: ", labels);
}

TEST_CASE("a looping video shows its cues again on each pass") {
    TempDir dir;
    // 6.6 s of a 5-s video: the second pass begins at 5 s on the item's clock.
    const auto channel = captioned_channel(dir);
    std::string source = read_file(channel);
    source.replace(source.find("file = \"media/grey.mp4\""), 23,
                   "file = \"media/grey.mp4\"\nduration = 6.6");
    dir.write("c/channel.toml", source);
    RunResult r = run_player(
        dir, device_in("en"),
        {"--content", channel.string(), "--trace", "t.ndjson", "--exit-after", "5.8"}, "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto on = trace_events(dir / "t.ndjson", "caption");
    REQUIRE(on.size() >= 4);
    CHECK(on[3]["detail"] == "en: " + cues_in("en")[0].text);
    // Each trace line carries the wall clock (Unix seconds, microseconds) beside
    // the monotonic `t`: the system's, not --clock-start's, and taken at `t` (a
    // frame's present, an item's boundary), not when the line is written: from line
    // to line both move alike, to well under a millisecond (a clock NTP slews moves
    // at most 0.5 ms a second against the monotonic one).
    const double now = static_cast<double>(std::time(nullptr));
    CHECK(std::abs(on[3]["wall"].get<double>() - now) < 60);
    const auto lines = read_trace(dir / "t.ndjson");
    REQUIRE(lines.size() > 100);
    for (size_t i = 1; i < lines.size(); ++i) {
        const double dt = lines[i]["t"].get<double>() - lines[i - 1]["t"].get<double>();
        const double dwall = lines[i]["wall"].get<double>() - lines[i - 1]["wall"].get<double>();
        CHECK_MESSAGE(std::abs(dwall - dt) < 0.5e-3 + std::abs(dt) * 0.5e-3, lines[i].dump());
    }
    const double pts = on[3]["pts"];
    CHECK_MESSAGE(pts >= 5.0 - 1e-3, pts);
    CHECK_MESSAGE(pts <= 5.0 + kCaptionFrame + 1e-3, pts);
}

TEST_CASE("the tap screen's language button switches the captions too") {
    TempDir dir;
    const auto channel = captioned_channel(dir);
    const Rect button = language_button({1280, 720});
    const std::string press =
        std::to_string(button.x + button.w / 2) + "," + std::to_string(button.y + button.h / 2);
    // A tap shows the hotline screen; its button then switches English to Spanish. The
    // press comes 1.4 s in: a player slow to start (the sanitizers on a loaded machine)
    // has shown the video, with its English caption, by then.
    RunResult r = run_player(
        dir, "[device]\nlanguages = [\"en\", \"es\", \"fr\"]\n",
        {"--content", channel.string(), "--trace", "t.ndjson", "--exit-after", "2.4"}, "1280x720",
        {"MILEPOST_TEST_EVENTS=1:down:600,300 1.1:up:600,300 1.4:down:" + press +
         " 1.5:up:" + press});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto on = trace_events(dir / "t.ndjson", "caption");
    REQUIRE(!on.empty());
    CHECK(on[0]["detail"] == "en: " + cues_in("en")[0].text);
    // Which Spanish cue shows first depends on how far the video is at the press.
    const auto spanish = std::find_if(on.begin(), on.end(), [](const nlohmann::json& e) {
        return e["detail"].get<std::string>().rfind("es: ", 0) == 0;
    });
    REQUIRE(spanish != on.end());
    CHECK((*spanish)["t"].get<double>() >= 1.4);
    const std::string text = (*spanish)["detail"].get<std::string>().substr(4);
    CHECK_MESSAGE(std::any_of(cues_in("es").begin(), cues_in("es").end(),
                              [&](const CueText& c) { return c.text == text; }),
                  text);
    CHECK(std::all_of(spanish, on.end(), [](const nlohmann::json& e) {
        return e["detail"].get<std::string>().rfind("es: ", 0) == 0;
    }));
    CHECK_MESSAGE(r.err.find("captions in es") != std::string::npos, r.err);
}

TEST_CASE("on a screen in English and Spanish the captions take turns, showing after showing") {
    TempDir dir;
    const auto channel = captioned_channel(dir);
    // The one video, cut to its first 2 s, plays again and again: English, then
    // Spanish, then English. Showings at 0, 2 and 4 s leave 3 s for a player slow
    // to start under the sanitizers on a loaded machine.
    std::string source = read_file(channel);
    source.replace(source.find("file = \"media/grey.mp4\""), 23,
                   "file = \"media/grey.mp4\"\nduration = 2");
    dir.write("c/channel.toml", source);
    RunResult r = run_player(
        dir, "[device]\nlanguages = [\"en\", \"es\"]\n",
        {"--content", channel.string(), "--trace", "t.ndjson", "--exit-after", "7"}, "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto starts = trace_events(dir / "t.ndjson", "item_start");
    REQUIRE(starts.size() >= 3);
    const auto on = trace_events(dir / "t.ndjson", "caption");
    std::vector<std::string> langs;
    for (const auto& e : on)
        if (e["detail"].get<std::string>().ends_with(cues_in("en")[0].text) ||
            e["detail"].get<std::string>().ends_with(cues_in("es")[0].text))
            langs.push_back(e["detail"].get<std::string>().substr(0, 2));
    REQUIRE(langs.size() >= 3);
    CHECK(langs[0] == "en");
    CHECK(langs[1] == "es");
    CHECK(langs[2] == "en");
    const auto rows = play_rows(dir / "data");
    REQUIRE(rows.size() >= 3);
    CHECK(rows[0]["captions"] == "en");
    CHECK(rows[1]["captions"] == "es");
    CHECK(rows[2]["captions"] == "en");
}
