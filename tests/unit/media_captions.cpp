// Caption files and streams read with FFmpeg (media/Captions): markup dropped,
// each cue's line found, bad files refused naming the line; the subtitle
// streams of videos made with the ffmpeg CLI.
#include "core/Captions.hpp"
#include "media/Captions.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace milepost;
namespace fs = std::filesystem;

namespace {

// The cues of `text` written to `name` in a new folder; the test fails when refused.
std::vector<Cue> read_captions_text(const std::string& name, const std::string& text) {
    test::TempDir dir;
    auto cues = read_caption_file(dir.write(name, text));
    REQUIRE_MESSAGE(cues, cues.error().message);
    return *cues;
}

// Why `text` written to `name` is refused, the folder's path left out.
std::string caption_file_refusal(const std::string& name, const std::string& text) {
    test::TempDir dir;
    auto cues = read_caption_file(dir.write(name, text));
    if (cues)
        return "(accepted)";
    const std::string& message = cues.error().message;
    return message.starts_with(dir.path().string() + "/")
               ? message.substr(dir.path().string().size() + 1)
               : message;
}

// A 2-second video with the subtitle streams of `extra` (ffmpeg arguments after
// the video input), made once.
fs::path video_with_streams(const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::make_media(name, args);
}

// ffmpeg arguments written as one line, split at its spaces.
std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

const char* kSpanishSrt = "1\n00:00:00,200 --> 00:00:00,900\n<i>¿Ves algo raro?</i>\n"
                          "Llama ahora.\n\n2\n00:00:01,200 --> 00:00:01,800\n{\\an8}Señal « "
                          "niño »\n";

} // namespace

TEST_CASE("WebVTT: voices, <i>, <b>, classes, cue settings and entities go, each cue knows its "
          "line") {
    const auto cues = read_captions_text("signs.en.vtt", "WEBVTT - Signs on the lot\n"
                                                         "Kind: captions\n"
                                                         "\n"
                                                         "NOTE written by the outreach team\n"
                                                         "\n"
                                                         "intro\n"
                                                         "00:00:00.500 --> 00:00:02.000 "
                                                         "align:start line:10%\n"
                                                         "<v Roger>Someone going <i>from "
                                                         "truck</i> to <b>truck</b></v>\n"
                                                         "\n"
                                                         "00:00:02.000 --> 00:00:04.000 "
                                                         "position:10%,line-left\n"
                                                         "<c.yellow>Call</c> 1-888-373-7888 "
                                                         "&amp; text &lt;HELP&gt;\n"
                                                         "<u>now</u>\n"
                                                         "\n"
                                                         "01:04.000 --> 01:05.500\n"
                                                         "Short <01:04.500>times\n");
    REQUIRE(cues.size() == 3);
    CHECK(cues[0].text == "Someone going from truck to truck");
    CHECK(cues[0].start == doctest::Approx(0.5));
    CHECK(cues[0].end == doctest::Approx(2.0));
    CHECK(cues[0].line == 7);
    CHECK(cues[1].text == "Call 1-888-373-7888 & text <HELP>\nnow");
    CHECK(cues[1].line == 10);
    CHECK(cues[2].text == "Short times"); // minutes and seconds only, and a karaoke time
    CHECK(cues[2].start == doctest::Approx(64.0));
    CHECK(cues[2].end == doctest::Approx(65.5));
    CHECK(cues[2].line == 14);
}

TEST_CASE("SubRip: <i>, {\\an8}, <font>, positions and CRLF go, and it is stored as WebVTT") {
    const auto cues = read_captions_text(
        "signs.es.srt",
        "1\r\n00:00:00,500 --> 00:00:02,000\r\n<i>¿Ves algo raro?</i>\r\n{\\an8}Llama ahora.\r\n"
        "\r\n2\r\n00:00:02,000 --> 00:00:04,250 X1:40 X2:600 Y1:20 Y2:50\r\n<font "
        "color=\"#ffff00\">« Appelez »</font> <b>maintenant</b> ¡Sí!\r\n");
    REQUIRE(cues.size() == 2);
    CHECK(cues[0].text == "¿Ves algo raro?\nLlama ahora.");
    CHECK(cues[0].line == 2);
    CHECK(cues[1].text == "« Appelez » maintenant ¡Sí!");
    CHECK(cues[1].line == 7);
    CHECK(cues[1].end == doctest::Approx(4.25));
    CHECK(to_webvtt(cues) == "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n¿Ves algo raro?\nLlama "
                             "ahora.\n\n00:00:02.000 --> 00:00:04.250\n« Appelez » maintenant "
                             "¡Sí!\n");
}

TEST_CASE("Spanish and French text keeps its accents, ¿ ¡ and « »") {
    const std::string es = "¿Necesita ayuda? ¡Llame ya! Señal, niño, acción, pingüino";
    const std::string fr = "« Ça coûte très cher ? » Non, c'est gratuit — appelez maintenant.";
    const auto cues = read_captions_text("accents.vtt", "\xEF\xBB\xBFWEBVTT\n\n00:00:01.000 --> "
                                                        "00:00:02.000\n" +
                                                            es +
                                                            "\n\n00:00:02.000 --> "
                                                            "00:00:03.000\n" +
                                                            fr + "\n");
    REQUIRE(cues.size() == 2);
    CHECK(cues[0].text == es);
    CHECK(cues[1].text == fr);
    const auto srt = read_captions_text("accents.srt", "1\n00:00:01,000 --> 00:00:02,000\n" + es +
                                                           "\n\n2\n00:00:02,000 --> "
                                                           "00:00:03,000\n" +
                                                           fr + "\n");
    REQUIRE(srt.size() == 2);
    CHECK(srt[0].text == es);
    CHECK(srt[1].text == fr);
}

TEST_CASE("a caption file is refused naming its line: a broken timing, Latin-1, a STYLE block") {
    const std::string good = "00:00:01.000 --> 00:00:02.000\nOne\n\n";
    // A timing FFmpeg cannot read: the WebVTT demuxer stops there, the SubRip
    // demuxer reads past it; both name it.
    CHECK(caption_file_refusal("a.vtt", "WEBVTT\n\n" + good +
                                            "00:00:0x.000 --> 00:00:03.000\nTwo\n\n"
                                            "00:00:03.000 --> 00:00:04.000\nThree\n") ==
          "a.vtt:6: not a cue timing (HH:MM:SS.mmm --> HH:MM:SS.mmm)");
    // SubRip's comma in a WebVTT file.
    CHECK(caption_file_refusal("a.vtt", "WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nOne\n") ==
          "a.vtt:3: not a cue timing (HH:MM:SS.mmm --> HH:MM:SS.mmm)");
    CHECK(caption_file_refusal("b.srt", "1\n00:00:01,000 --> 00:00:02,000\nOne\n\n"
                                        "2\n00:00:02,000 --> 00:00:0x,000\nTwo\n\n"
                                        "3\n00:00:03,000 --> 00:00:04,000\nThree\n") ==
          "b.srt:6: not a cue timing (HH:MM:SS,mmm --> HH:MM:SS,mmm)");
    CHECK(caption_file_refusal("c.vtt", "WEBVTT\n\n" + good + "00:00:02.000 --> 00:00:03.000\nCaf" +
                                            "\xe9 cr\xe8me\n") == "c.vtt:7: not UTF-8");
    CHECK(caption_file_refusal("c.srt", "1\n00:00:01,000 --> 00:00:02,000\n\xbf"
                                        "D\xf3nde?\n") == "c.srt:3: not UTF-8");
    CHECK(caption_file_refusal("d.vtt", "WEBVTT\n\nSTYLE\n::cue { color: yellow }\n\n" + good) ==
          "d.vtt:3: a STYLE or REGION block, which FFmpeg does not read past: remove it (screens "
          "draw every cue the same way)");
    CHECK(caption_file_refusal("e.vtt", "WEBVTT\n") == "e.vtt: no cues in it");
    CHECK(caption_file_refusal("e.srt", "") == "e.srt: no cues in it");
    CHECK(caption_file_refusal("f.txt", "WEBVTT\n\n" + good) ==
          "f.txt: expected a WebVTT (.vtt) or SubRip (.srt) file");
    CHECK(caption_file_refusal("g.vtt", "WEBVTT\n\n" + std::string(kMaxCaptionBytes, 'x')) ==
          "g.vtt: " + std::to_string(kMaxCaptionBytes + 8) + " bytes, over the " +
              std::to_string(kMaxCaptionBytes) + " a caption file may have");
    test::TempDir dir;
    CHECK(!read_caption_file(dir / "missing.vtt"));
}

TEST_CASE("cues stay in the file's order, so that caption_problem can name one out of order") {
    const auto cues = read_captions_text("order.vtt", "WEBVTT\n\n"
                                                      "00:00:02.000 --> 00:00:03.000\nSecond\n\n"
                                                      "00:00:01.000 --> 00:00:01.500\nFirst\n\n"
                                                      "00:00:04.000 --> 00:00:04.000\nEmpty\n\n"
                                                      "00:00:05.000 --> 00:00:06.000\n\n"
                                                      "00:00:07.000 --> 00:00:08.000\nSame\n\n"
                                                      "00:00:07.000 --> 00:00:08.000\nSame\n");
    REQUIRE(cues.size() == 5); // the second "Same", FFmpeg drops
    CHECK(cues[0].text == "Second");
    CHECK(cues[0].line == 3);
    CHECK(cues[1].text == "First");
    CHECK(cues[1].line == 6);
    CHECK(caption_problem(cues, 10, "order.vtt") ==
          "order.vtt:6: cue at 00:00:01.000: it starts before the cue before it");
    CHECK(cues[2].line == 9);
    CHECK(caption_problem({cues[2]}, 10, "order.vtt") ==
          "order.vtt:9: cue at 00:00:04.000: it ends before it starts");
    CHECK(cues[3].text.empty());
    CHECK(cues[3].line == 12);
    CHECK(caption_problem({cues[3]}, 10, "order.vtt") ==
          "order.vtt:12: cue at 00:00:05.000: it has no text");
    CHECK(cues[4].line == 14);
}

TEST_CASE("an MP4's mov_text stream tagged spa gives Spanish cues") {
    test::TempDir dir;
    const fs::path srt = dir.write("es.srt", kSpanishSrt);
    const fs::path mp4 = video_with_streams(
        "captions-mov-text-spa.mp4", {"-i", srt.string(), "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:s", "mov_text", "-metadata:s:s:0", "language=spa"});
    auto streams = read_embedded_captions(mp4);
    REQUIRE_MESSAGE(streams, streams.error().message);
    REQUIRE(streams->size() == 1);
    const EmbeddedCaptions& es = streams->front();
    CHECK(es.lang == "es");
    REQUIRE(es.cues.size() == 2); // the empty samples between cues left out
    CHECK(es.cues[0].start == doctest::Approx(0.2));
    CHECK(es.cues[0].end == doctest::Approx(0.9));
    CHECK(es.cues[0].text == "¿Ves algo raro?\nLlama ahora.");
    CHECK(es.cues[1].start == doctest::Approx(1.2));
    CHECK(es.cues[1].end == doctest::Approx(1.8));
    CHECK(es.cues[1].text == "Señal « niño »");
    CHECK(es.cues[0].line == 0);
    CHECK(caption_problem(es.cues, 2, "x").empty());
}

TEST_CASE("a Matroska file's SubRip, ASS and WebVTT streams by language, untagged ones left out") {
    test::TempDir dir;
    const fs::path srt = dir.write("es.srt", kSpanishSrt);
    const fs::path vtt =
        dir.write("en.vtt", "WEBVTT\n\n00:00:00.500 --> 00:00:01.500\n<i>Call</i> now\n");
    const fs::path mkv = video_with_streams("captions-three-streams.mkv", {"-i",
                                                                           srt.string(),
                                                                           "-i",
                                                                           vtt.string(),
                                                                           "-i",
                                                                           srt.string(),
                                                                           "-map",
                                                                           "0",
                                                                           "-map",
                                                                           "1",
                                                                           "-map",
                                                                           "2",
                                                                           "-map",
                                                                           "3",
                                                                           "-c:v",
                                                                           "libx264",
                                                                           "-pix_fmt",
                                                                           "yuv420p",
                                                                           "-c:s:0",
                                                                           "ass",
                                                                           "-c:s:1",
                                                                           "webvtt",
                                                                           "-c:s:2",
                                                                           "subrip",
                                                                           "-metadata:s:s:0",
                                                                           "language=fre",
                                                                           "-metadata:s:s:1",
                                                                           "language=eng",
                                                                           "-metadata:s:s:2",
                                                                           "language=und"});
    auto streams = read_embedded_captions(mkv);
    REQUIRE_MESSAGE(streams, streams.error().message);
    REQUIRE(streams->size() == 2);
    CHECK((*streams)[0].lang == "fr");
    REQUIRE((*streams)[0].cues.size() == 2);
    CHECK((*streams)[0].cues[1].text == "Señal « niño »");
    CHECK((*streams)[1].lang == "en");
    REQUIRE((*streams)[1].cues.size() == 1);
    CHECK((*streams)[1].cues[0].text == "Call now");
    CHECK((*streams)[1].cues[0].start == doctest::Approx(0.5));

    // A video without subtitle streams has none; a file that is no video is refused.
    const fs::path plain =
        video_with_streams("captions-none.mp4", {"-c:v", "libx264", "-pix_fmt", "yuv420p"});
    auto none = read_embedded_captions(plain);
    REQUIRE(none);
    CHECK(none->empty());
    auto text = read_embedded_captions(srt);
    REQUIRE(!text);
    CHECK(text.error().message.starts_with(srt.string() + ": cannot be read as media"));
}

TEST_CASE("a Matroska file with sound times its cues from the video's first frame, as the player "
          "counts") {
    // ffmpeg moves an MKV's timestamps up by the AAC priming (23 ms), so that the
    // video starts at 0.023 and the cue written for 0.5 s lies at 0.523.
    test::TempDir dir;
    const fs::path srt = dir.write("en.srt", "1\n00:00:00,500 --> 00:00:01,500\nCall now\n");
    auto args = words("-f lavfi -i sine=duration=2 -i SRT -map 0 -map 1 -map 2 -c:v libx264 "
                      "-pix_fmt yuv420p -c:a aac -c:s subrip -metadata:s:s:0 language=eng");
    std::replace(args.begin(), args.end(), std::string("SRT"), srt.string());
    const fs::path mkv = video_with_streams("captions-with-sound.mkv", args);
    auto streams = read_embedded_captions(mkv);
    REQUIRE_MESSAGE(streams, streams.error().message);
    REQUIRE(streams->size() == 1);
    REQUIRE((*streams)[0].cues.size() == 1);
    CHECK((*streams)[0].cues[0].start == doctest::Approx(0.5).epsilon(0.002));
    CHECK((*streams)[0].cues[0].end == doctest::Approx(1.5).epsilon(0.002));
}

TEST_CASE("short_language: ISO 639-2 to the two letters channels use") {
    CHECK(short_language("eng") == "en");
    CHECK(short_language("spa") == "es");
    CHECK(short_language("fra") == "fr");
    CHECK(short_language("fre") == "fr");
    CHECK(short_language("deu") == "de");
    CHECK(short_language("ger") == "de");
    CHECK(short_language("por") == "pt");
    CHECK(short_language("zho") == "zh");
    CHECK(short_language("chi") == "zh");
    CHECK(short_language("vie") == "vi");
    CHECK(short_language("kor") == "ko");
    CHECK(short_language("tgl") == "tl");
    CHECK(short_language("ENG") == "en");
    CHECK(short_language("en") == "en");
    CHECK(short_language("en-US") == "en");
    CHECK(short_language("hmn") == "hmn"); // Hmong has no two-letter code
    CHECK(short_language("und") == "und");
}
