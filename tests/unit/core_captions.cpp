// Captions without FFmpeg: which cue shows when, which language, wrapping, the
// rules a caption file is held to, WebVTT out, UTF-8 in; and `captions` in the
// channel source and the manifest.
#include "core/Captions.hpp"
#include "core/Channel.hpp"
#include "core/Manifest.hpp"
#include "core/Result.hpp"
#include "media/Captions.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace milepost;
namespace fs = std::filesystem;

namespace {

Cue timed_cue(double start, double end, const std::string& text, int line = 0) {
    Cue c;
    c.start = start;
    c.end = end;
    c.text = text;
    c.line = line;
    return c;
}

// A video item with caption files in `langs`.
Item captioned_item(const std::string& lang, const std::vector<std::string>& langs) {
    Item item;
    item.id = "clip";
    item.type = ItemType::Video;
    item.lang = lang;
    for (const std::string& l : langs)
        item.captions.push_back({l, "/objects/" + l, std::string(64, 'a'), 10});
    return item;
}

// The refusal of a channel source with `items`, after the file's name; "(accepted)" when none.
std::string caption_source_refusal(const test::TempDir& dir, const std::string& items) {
    std::vector<std::string> warnings;
    const fs::path file = dir.write("channel.toml", test::channel_toml("captions", items));
    try {
        load_channel_source(file, warnings);
    } catch (const ConfigError& e) {
        return e.message.substr(file.string().size());
    }
    return "(accepted)";
}

const char* kCaptionedVideo = R"([[item]]
id = "clip"
type = "video"
file = "media/clip.mp4"
)";

} // namespace

TEST_CASE("cue_at: the latest cue started and not ended, through gaps, overlaps and ends") {
    const std::vector<Cue> cues = {timed_cue(1, 3, "a"),      timed_cue(3, 5, "b"),
                                   timed_cue(6, 8, "c"),      timed_cue(7, 9, "d"),
                                   timed_cue(10, 20, "long"), timed_cue(12, 13, "short")};
    CHECK(!cue_at(cues, 0));
    CHECK(!cue_at(cues, 0.999));
    CHECK(cue_at(cues, 1) == 0u); // a cue shows from its start...
    CHECK(cue_at(cues, 2.999) == 0u);
    CHECK(cue_at(cues, 3) == 1u); // ...until its end, which is the next one's start
    CHECK(!cue_at(cues, 5));      // a gap: nothing
    CHECK(!cue_at(cues, 5.5));
    CHECK(cue_at(cues, 6.5) == 2u);
    CHECK(cue_at(cues, 7.5) == 3u); // two overlap: the later one
    CHECK(cue_at(cues, 8.5) == 3u);
    CHECK(!cue_at(cues, 9));
    CHECK(cue_at(cues, 11) == 4u);
    CHECK(cue_at(cues, 12.5) == 5u); // a short cue inside a long one
    CHECK(cue_at(cues, 13) == 4u);   // and the long one again after it
    CHECK(cue_at(cues, 19.999) == 4u);
    CHECK(!cue_at(cues, 20)); // after the last
    CHECK(!cue_at(cues, 1e9));
    CHECK(!cue_at({}, 1));
}

TEST_CASE(
    "caption_language: the screen's turn, else the item's language, else English, else none") {
    const Item both = captioned_item("es", {"en", "es"});
    CHECK(caption_language(both, "en") == "en");
    CHECK(caption_language(both, "es") == "es");
    CHECK(caption_language(both, "fr") == "es"); // no French: the item's own
    CHECK(caption_language(both, "") == "es");
    const Item no_lang = captioned_item("", {"en", "fr"});
    CHECK(caption_language(no_lang, "fr") == "fr");
    CHECK(caption_language(no_lang, "de") == "en"); // nor German nor an item language: English
    const Item item_lang_missing = captioned_item("vi", {"en", "es"});
    CHECK(caption_language(item_lang_missing, "ko") == "en");
    const Item french = captioned_item("", {"fr"});
    CHECK(caption_language(french, "fr") == "fr");
    CHECK(caption_language(french, "de").empty()); // none fits
    CHECK(caption_language(captioned_item("en", {}), "en").empty());
}

TEST_CASE("wrap_characters counts characters, not bytes, cuts long words and keeps line breaks") {
    CHECK(wrap_characters("Hello world", 42) == std::vector<std::string>{"Hello world"});
    // 9 characters (11 bytes) fit in 10.
    CHECK(wrap_characters("café déjà vu señor", 10) ==
          std::vector<std::string>{"café déjà", "vu señor"});
    CHECK(wrap_characters("¿Dónde está? « Très bien »", 12) ==
          std::vector<std::string>{"¿Dónde está?", "« Très bien", "»"});
    // A word longer than a line is cut, between characters.
    const std::string long_word(100, 'a');
    CHECK(wrap_characters(long_word, 42) == std::vector<std::string>{std::string(42, 'a'),
                                                                     std::string(42, 'a'),
                                                                     std::string(16, 'a')});
    const auto accents = wrap_characters("éééééé", 4);
    CHECK(accents == std::vector<std::string>{"éééé", "éé"});
    CHECK(wrap_characters("Call now hotline", 5) ==
          std::vector<std::string>{"Call", "now", "hotli", "ne"});
    // The text's own breaks stay; empty lines and runs of spaces go.
    CHECK(wrap_characters("one\ntwo three", 42) == std::vector<std::string>{"one", "two three"});
    CHECK(wrap_characters("one\n\n  two   three  ", 42) ==
          std::vector<std::string>{"one", "two three"});
    CHECK(wrap_characters("a b c", 3) == std::vector<std::string>{"a b", "c"});
    CHECK(wrap_characters("", 42).empty());
}

TEST_CASE("caption_problem names the file, the line, the cue and each reason") {
    const std::string f = "media/x.en.vtt";
    const std::vector<Cue> good = {timed_cue(0.5, 2, "One", 3), timed_cue(2, 4, "Two", 6)};
    CHECK(caption_problem(good, 4, f).empty());
    // A frame's slack at the end: times are rounded to milliseconds.
    CHECK(caption_problem({timed_cue(0, 4.04, "x", 3)}, 4, f).empty());

    CHECK(caption_problem({}, 4, f) == "media/x.en.vtt: no cues in it");
    CHECK(caption_problem({timed_cue(2, 2, "x", 3)}, 4, f) ==
          "media/x.en.vtt:3: cue at 00:00:02.000: it ends before it starts");
    CHECK(caption_problem({timed_cue(3, 1, "x", 3)}, 4, f) ==
          "media/x.en.vtt:3: cue at 00:00:03.000: it ends before it starts");
    CHECK(caption_problem({timed_cue(31, 45, "x", 14)}, 40, f) ==
          "media/x.en.vtt:14: cue at 00:00:31.000: it ends at 00:00:45.000, after the video "
          "(00:00:40.000)");
    CHECK(caption_problem({timed_cue(2, 3, "a", 3), timed_cue(1, 2, "b", 6)}, 4, f) ==
          "media/x.en.vtt:6: cue at 00:00:01.000: it starts before the cue before it");
    const std::string four_lines = "one\ntwo\nthree\nfour";
    CHECK(caption_problem({timed_cue(3661.5, 3662, four_lines, 9)}, 4000, f) ==
          "media/x.en.vtt:9: cue at 01:01:01.500: over 3 lines of 42 characters: split it in "
          "two cues");
    // Three lines that wrap into four are too many too; three of 42 are not.
    const std::string line42(42, 'x');
    CHECK(
        caption_problem({timed_cue(0, 1, line42 + " " + line42 + " " + line42, 3)}, 4, f).empty());
    CHECK(caption_problem({timed_cue(0, 1, line42 + " " + line42 + " " + line42 + " y", 3)}, 4, f)
              .find("over 3 lines") != std::string::npos);
    CHECK(caption_problem({timed_cue(0, 1, " \n ", 3)}, 4, f) ==
          "media/x.en.vtt:3: cue at 00:00:00.000: it has no text");
    // Without a line (a stream inside a video), the cue alone.
    CHECK(caption_problem({timed_cue(1, 9, "x")}, 4, "clip.mp4 (its es captions)") ==
          "clip.mp4 (its es captions): cue at 00:00:01.000: it ends at 00:00:09.000, after the "
          "video (00:00:04.000)");
}

TEST_CASE("to_webvtt writes what read_caption_file reads back") {
    const std::vector<Cue> cues = {timed_cue(0.5, 2.25, "¿Ves algo raro?\nLlama ahora."),
                                   timed_cue(2.25, 4, "« Appelez » le 1-888-373-7888"),
                                   timed_cue(3723.004, 3724, "one\n\ntwo")};
    const std::string vtt = to_webvtt(cues);
    CHECK(vtt == "WEBVTT\n\n00:00:00.500 --> 00:00:02.250\n¿Ves algo raro?\nLlama ahora.\n\n"
                 "00:00:02.250 --> 00:00:04.000\n« Appelez » le 1-888-373-7888\n\n"
                 "01:02:03.004 --> 01:02:04.000\none\ntwo\n");
    test::TempDir dir;
    auto back = read_caption_file(dir.write("round.vtt", vtt));
    REQUIRE_MESSAGE(back, back.error().message);
    REQUIRE(back->size() == 3);
    for (std::size_t i = 0; i < cues.size(); ++i) {
        CHECK((*back)[i].start == doctest::Approx(cues[i].start));
        CHECK((*back)[i].end == doctest::Approx(cues[i].end));
    }
    CHECK((*back)[0].text == cues[0].text);
    CHECK((*back)[1].text == cues[1].text);
    CHECK((*back)[2].text == "one\ntwo"); // a blank line would have ended the cue
    CHECK((*back)[0].line == 3);
    CHECK((*back)[1].line == 7);
    CHECK((*back)[2].line == 10);
    CHECK(to_webvtt(*back) == vtt);
    // Published, the object's name has no extension: it is read as WebVTT.
    auto object = read_caption_file(dir.write(std::string(64, 'a'), vtt));
    REQUIRE_MESSAGE(object, object.error().message);
    CHECK(to_webvtt(*object) == vtt);
    CHECK(to_webvtt({}) == "WEBVTT\n");

    // "<", ">" and "&" travel as entities: a "-->" in the text cannot end the cue,
    // a "<" is not taken for a tag (found by the captions fuzz target: ">" was lost).
    const std::vector<Cue> marks = {timed_cue(0, 1, "a < b & c --> d, ¿Algi>")};
    const std::string escaped = to_webvtt(marks);
    CHECK(escaped ==
          "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\na &lt; b &amp; c --&gt; d, ¿Algi&gt;\n");
    auto marks_back = read_caption_file(dir.write("marks.vtt", escaped));
    REQUIRE_MESSAGE(marks_back, marks_back.error().message);
    REQUIRE(marks_back->size() == 1);
    CHECK((*marks_back)[0].text == marks[0].text);
}

TEST_CASE("valid_utf8 names the line of the first fault") {
    int line = 0;
    CHECK(valid_utf8("WEBVTT\n\ncafé « ¿sí? » 中文 😀\n", line));
    CHECK(valid_utf8("", line));
    CHECK(!valid_utf8("WEBVTT\n\ncaf\xe9\n", line)); // Latin-1
    CHECK(line == 3);
    CHECK(!valid_utf8("a\nb\nc\nd\xff", line));
    CHECK(line == 4);
    CHECK(!valid_utf8("ok \xe2\x82", line)); // cut short at the end
    CHECK(line == 1);
    CHECK(!valid_utf8("x\n\xc0\xaf", line)); // an overlong '/'
    CHECK(line == 2);
    CHECK(!valid_utf8("x\n\xe2\x28\xa1", line)); // a continuation byte missing
    CHECK(line == 2);
    CHECK(!valid_utf8("\x80", line)); // a continuation byte first
    CHECK(line == 1);
}

TEST_CASE("a channel source's captions: per language, inside the folder, on videos only") {
    test::TempDir dir;
    std::vector<std::string> warnings;
    const fs::path file =
        dir.write("channel.toml",
                  test::channel_toml("captions",
                                     std::string(kCaptionedVideo) +
                                         "captions = { fr = \"media/clip.fr.vtt\", en = "
                                         "\"media/clip.en.vtt\", es = \"media/clip.es.srt\" }\n"));
    Channel c = load_channel_source(file, warnings);
    CHECK(warnings.empty());
    REQUIRE(c.items.size() == 1);
    const auto& captions = c.items[0].captions;
    REQUIRE(captions.size() == 3);
    CHECK(captions[0].lang == "en"); // in language order
    CHECK(captions[1].lang == "es");
    CHECK(captions[2].lang == "fr");
    CHECK(captions[0].file == dir / "media/clip.en.vtt");
    CHECK(captions[1].file == dir / "media/clip.es.srt");
    CHECK(captions[0].object.empty());
    REQUIRE(caption_in(c.items[0], "es"));
    CHECK(caption_in(c.items[0], "es")->file == captions[1].file);
    CHECK(!caption_in(c.items[0], "de"));
    CHECK(item_objects(c.items[0]).empty()); // nothing published yet

    CHECK(caption_source_refusal(dir, "[[item]]\nid = \"s\"\ntype = \"slide\"\ntitle = \"x\"\n"
                                      "captions = { en = \"media/s.en.vtt\" }\n") ==
          ": item \"s\" captions: expected no captions: only videos have them, got a table");
    CHECK(caption_source_refusal(dir, "[[item]]\nid = \"i\"\ntype = \"image\"\nfile = "
                                      "\"media/a.png\"\ncaptions = { en = \"media/a.vtt\" }\n")
              .find("only videos have them") != std::string::npos);
    CHECK(caption_source_refusal(dir, std::string(kCaptionedVideo) +
                                          "captions = { EN = \"media/clip.en.vtt\" }\n") ==
          ": item \"clip\" captions EN: expected a lower-case language code such as \"en\"");
    CHECK(caption_source_refusal(dir, std::string(kCaptionedVideo) +
                                          "captions = { english = \"media/clip.en.vtt\" }\n")
              .starts_with(": item \"clip\" captions english: expected a lower-case language"));
    CHECK(caption_source_refusal(dir, std::string(kCaptionedVideo) +
                                          "captions = { en = \"../secret.vtt\" }\n") ==
          ": item \"clip\" captions en: \"../secret.vtt\" leaves the channel folder; expected a "
          "path inside it");
    CHECK(caption_source_refusal(dir, std::string(kCaptionedVideo) +
                                          "captions = { en = \"/etc/passwd\" }\n")
              .find("leaves the channel folder") != std::string::npos);
    CHECK(caption_source_refusal(dir, std::string(kCaptionedVideo) + "captions = { en = 3 }\n") ==
          ": item \"clip\" captions en: expected a file name such as \"media/video.en.vtt\", "
          "got an integer (3)");
}

TEST_CASE("a manifest keeps each caption's object and size, and refuses bad ones") {
    Channel c;
    c.name = "trucking";
    c.sequence = 3;
    c.published = "2026-11-29T03:00:00Z";
    c.hotlines.push_back({"*", "", "Hotline", "1-888-373-7888", "", "", "", ""});
    Item video;
    video.id = "clip";
    video.type = ItemType::Video;
    video.media = {std::string(64, 'a'), 1234, 30.5, "h264", 1920, 1080, 30, ""};
    video.captions = {{"en", "/src/clip.en.vtt", std::string(64, 'b'), 120},
                      {"es", "/src/clip.es.srt", std::string(64, 'c'), 130}};
    c.items = {video};
    const std::string json = manifest_json(c);
    CHECK(json.find("\"captions\"") != std::string::npos);
    Channel back = parse_manifest(json, "/data/objects", "m.json");
    REQUIRE(back.items.size() == 1);
    const auto& captions = back.items[0].captions;
    REQUIRE(captions.size() == 2);
    CHECK(captions[0].lang == "en");
    CHECK(captions[0].object == std::string(64, 'b'));
    CHECK(captions[0].size == 120);
    CHECK(captions[0].file == fs::path("/data/objects") / std::string(64, 'b'));
    CHECK(captions[1].lang == "es");
    CHECK(captions[1].size == 130);
    // Its objects: the video's, then its captions'.
    const auto objects = item_objects(back.items[0]);
    REQUIRE(objects.size() == 3);
    CHECK(objects[0].object == std::string(64, 'a'));
    CHECK(objects[1].object == std::string(64, 'b'));
    CHECK(objects[2].size == 130);
    // Without captions, no "captions" key.
    c.items[0].captions.clear();
    CHECK(manifest_json(c).find("\"captions\"") == std::string::npos);

    // One thing changed in the first item's "captions": the refusal, or "(accepted)".
    auto refusal = [&](const std::function<void(nlohmann::json&)>& change) {
        auto j = nlohmann::json::parse(json);
        change(j["items"][0]["captions"]);
        try {
            parse_manifest(j.dump(), "/o", "m");
        } catch (const ConfigError& e) {
            return e.message;
        }
        return std::string("(accepted)");
    };
    CHECK(refusal([](nlohmann::json&) {}) == "(accepted)");
    CHECK(refusal([](nlohmann::json& cj) { cj["en"]["object"] = "../../etc/passwd"; }) ==
          "m: item \"clip\": captions en: object: expected 64 hexadecimal digits");
    CHECK(refusal([](nlohmann::json& cj) { cj["en"]["size"] = 0; }) ==
          "m: item \"clip\": captions en: size: expected a size in bytes, at most 1048576");
    // No screen reads a caption object over 1 MiB: sync is not made to fetch one.
    CHECK(refusal([](nlohmann::json& cj) { cj["en"]["size"] = 1048577; }) ==
          "m: item \"clip\": captions en: size: expected a size in bytes, at most 1048576");
    CHECK(refusal([](nlohmann::json& cj) {
              for (char a = 'a'; a <= 'z'; ++a)
                  for (char b : {'a', 'b'})
                      cj[std::string{a, b}] = cj["en"];
          }) == "m: item \"clip\": captions: expected at most 32 languages");
    CHECK(refusal([](nlohmann::json& cj) {
              cj["EN"] = cj["en"];
          }).starts_with("m: item \"clip\": captions: expected languages such as \"en\""));
    CHECK(refusal([](nlohmann::json& cj) {
              cj = "media/clip.en.vtt";
          }).starts_with("m: item \"clip\": captions: expected an object of languages"));
}
