// read_stream_info(): an MP4's header is taken as it is, without decoding; what the
// player reads of it is what avformat_find_stream_info would have worked out; and
// probe_video_length(), a channel source's video length read the same way.
#include "media/Ffmpeg.hpp"
#include "media/Probe.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace milepost;

namespace {

FormatPtr open(const std::filesystem::path& file) {
    AVFormatContext* raw = nullptr;
    REQUIRE(open_media_input(&raw, file, MediaKind::Video) == 0);
    return FormatPtr(raw);
}

// Every fact the probe and the pipeline read, read both ways.
void check_same_facts(const std::filesystem::path& file) {
    CAPTURE(file);
    FormatPtr ours = open(file);
    FormatPtr full = open(file);
    REQUIRE(read_stream_info(ours.get()) >= 0);
    REQUIRE(avformat_find_stream_info(full.get(), nullptr) >= 0);
    CHECK(container_start(ours.get()) == container_start(full.get()));
    CHECK(container_start(full.get()) == full->start_time);
    CHECK(ours->duration == full->duration);
    REQUIRE(ours->nb_streams == full->nb_streams);
    for (unsigned i = 0; i < full->nb_streams; ++i) {
        CAPTURE(i);
        const AVStream* a = ours->streams[i];
        const AVStream* b = full->streams[i];
        CHECK(a->codecpar->codec_type == b->codecpar->codec_type);
        CHECK(a->codecpar->codec_id == b->codecpar->codec_id);
        CHECK(a->start_time == b->start_time);
        CHECK(av_cmp_q(a->time_base, b->time_base) == 0);
        if (b->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            CHECK(a->codecpar->width == b->codecpar->width);
            CHECK(a->codecpar->height == b->codecpar->height);
            CHECK(av_cmp_q(av_guess_frame_rate(ours.get(), const_cast<AVStream*>(a), nullptr),
                           av_guess_frame_rate(full.get(), const_cast<AVStream*>(b), nullptr)) ==
                  0);
            CHECK(av_cmp_q(
                      av_guess_sample_aspect_ratio(ours.get(), const_cast<AVStream*>(a), nullptr),
                      av_guess_sample_aspect_ratio(full.get(), const_cast<AVStream*>(b),
                                                   nullptr)) == 0);
        } else if (b->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
            CHECK(a->codecpar->sample_rate == b->codecpar->sample_rate);
            CHECK(a->codecpar->ch_layout.nb_channels == b->codecpar->ch_layout.nb_channels);
        }
    }
}

// Whether read_stream_info() decoded: only a decoder tells the pictures' format.
bool decoded(const std::filesystem::path& file) {
    FormatPtr format = open(file);
    REQUIRE(read_stream_info(format.get()) >= 0);
    const int video = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    REQUIRE(video >= 0);
    return format->streams[video]->codecpar->format != AV_PIX_FMT_NONE;
}

const std::vector<std::string> kPicture = {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30"};
const std::vector<std::string> kSound = {"-f", "lavfi", "-i", "sine=frequency=440"};

std::filesystem::path clip(const std::string& name, std::vector<std::string> more,
                           bool sound = false) {
    std::vector<std::string> args = kPicture;
    if (sound)
        args.insert(args.end(), kSound.begin(), kSound.end());
    args.insert(args.end(), {"-t", "2", "-c:v", "libx264", "-preset", "veryfast"});
    if (sound)
        args.insert(args.end(), {"-c:a", "aac"});
    args.insert(args.end(), more.begin(), more.end());
    return test::make_media(name, args);
}

} // namespace

TEST_CASE("an MP4's streams are read from its header, not decoded, and say what decoding "
          "them would") {
    // B-frames and sound; a start 1.4 s in (an edit list); a MOV.
    const std::vector<std::filesystem::path> files = {
        clip("info-av.mp4", {"-bf", "3"}, true),
        clip("info-offset.mp4", {"-output_ts_offset", "1.4"}),
        clip("info-sound.mov", {}, true),
    };
    for (const auto& file : files) {
        CAPTURE(file);
        CHECK_FALSE(decoded(file));
        check_same_facts(file);
    }
    FormatPtr offset = open(files[1]);
    REQUIRE(read_stream_info(offset.get()) >= 0);
    CHECK(container_start(offset.get()) == 1'400'000);
}

TEST_CASE("streams whose header does not say it all are decoded: Matroska's start, a "
          "fragmented MP4's length") {
    const std::vector<std::filesystem::path> files = {
        clip("info-sound.mkv", {}, true),
        clip("info-fragmented.mp4", {"-movflags", "frag_keyframe+empty_moov"}, true),
    };
    for (const auto& file : files) {
        CAPTURE(file);
        CHECK(decoded(file));
        check_same_facts(file);
    }
}

TEST_CASE("a channel source's video length is read from its header, without decoding a picture") {
    const auto good = clip("length-good.mp4", {});
    auto length = probe_video_length(good);
    REQUIRE(length);
    CHECK(*length == doctest::Approx(2.0).epsilon(0.02));
    // The same file with its pictures zeroed: its header still says 2 s, and only
    // decoding, as probe_media (milepost-pack) does, finds it cannot be shown.
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // ffmpeg writes the pictures (mdat) before the index (moov) unless told otherwise.
    const size_t mdat = bytes.find("mdat"), moov = bytes.find("moov", mdat);
    REQUIRE(mdat != std::string::npos);
    REQUIRE(moov != std::string::npos);
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(mdat + 4),
              bytes.begin() + static_cast<std::ptrdiff_t>(moov - 4), '\0');
    const auto zeroed = good.parent_path() / "length-zeroed.mp4";
    std::ofstream(zeroed, std::ios::binary) << bytes;
    length = probe_video_length(zeroed);
    REQUIRE(length);
    CHECK(*length == doctest::Approx(2.0).epsilon(0.02));
    auto facts = probe_media(zeroed, false);
    REQUIRE_FALSE(facts);
    CHECK(facts.error().message.find("no picture could be decoded") != std::string::npos);
    // Two frames 90,000 s apart: longer than the day an item may last, as pack says.
    const auto day_long =
        test::make_media("length-day-long.mkv",
                         {"-f", "lavfi", "-i", "color=c=red:s=64x64:r=1:d=2", "-vf",
                          "setpts=N*90000/TB", "-fps_mode", "passthrough", "-c:v", "libx264"});
    length = probe_video_length(day_long);
    REQUIRE_FALSE(length);
    CHECK(length.error().message ==
          "it runs 90001 s, over the 86400 s (a day) an item may last: cut it shorter");
    // Not media at all: why, as the player's warning gives it.
    const auto text = good.parent_path() / "length-text.mp4";
    std::ofstream(text) << "not a video\n";
    length = probe_video_length(text);
    REQUIRE_FALSE(length);
    CHECK_FALSE(length.error().message.empty());
}
