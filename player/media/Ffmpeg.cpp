#include "Ffmpeg.hpp"

#include "core/MediaLimits.hpp"

extern "C" {
#include <libavutil/avstring.h>
#include <libavutil/mem.h>
}

#include <algorithm>
#include <fstream>
#include <string_view>
#include <vector>

namespace milepost {

namespace {

// The formats a publisher may hand over by mistake or an attacker on purpose,
// named the way a person would.
std::string describe(const AVInputFormat& format) {
    const std::string name = format.name;
    std::string what;
    if (name == "hls")
        what = "an HLS playlist";
    else if (name == "dash")
        what = "a DASH manifest";
    else if (name == "concat")
        what = "an FFmpeg concat script";
    else if (name.find("_pipe") != std::string::npos || name == "image2")
        what = "a picture";
    else if (format.long_name && *format.long_name)
        what = std::string("a file in FFmpeg's \"") + format.long_name + "\" format";
    else
        what = "a file in another format";
    return what + " (" + name + ")";
}

} // namespace

int open_media_input(AVFormatContext** ctx, const std::filesystem::path& file, MediaKind kind,
                     const AVInputFormat* forced) {
    // No single FFmpeg allocation over kMaxFfmpegAllocation, for the whole process,
    // from the first file opened: a few KB of MP4 can declare a table of a GB
    // (found by the probe fuzzer), and FFmpeg then fails the file, not the Pi.
    static const bool capped = (av_max_alloc(kMaxFfmpegAllocation), true);
    (void)capped;
    AVDictionary* options = nullptr;
    av_dict_set(&options, "format_whitelist", demuxers_of(kind), 0);
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    const int rc = avformat_open_input(ctx, file.c_str(), forced, &options);
    av_dict_free(&options); // what the demuxer did not take
    return rc;
}

namespace {

// Whether the header said all that read_stream_info() would work out.
bool header_complete(const AVFormatContext* format) {
    if (!std::string_view(format->iformat->name).starts_with("mov,") || !(format->duration > 0))
        return false;
    bool video = false;
    for (unsigned i = 0; i < format->nb_streams; ++i) {
        const AVStream* s = format->streams[i];
        const AVCodecParameters* p = s->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
            if (p->codec_id == AV_CODEC_ID_NONE || p->width <= 0 || p->height <= 0 ||
                s->start_time == AV_NOPTS_VALUE || s->time_base.num <= 0)
                return false;
            video = true;
        } else if (p->codec_type == AVMEDIA_TYPE_AUDIO) {
            if (p->codec_id == AV_CODEC_ID_NONE || p->sample_rate <= 0 ||
                p->ch_layout.nb_channels <= 0)
                return false;
        }
    }
    return video;
}

} // namespace

Result<FormatPtr> open_media(const std::filesystem::path& file, MediaKind kind,
                             const AVInputFormat* forced) {
    AVFormatContext* raw = nullptr;
    int rc = open_media_input(&raw, file, kind, forced);
    if (rc < 0)
        return Error{"cannot be read as media: " + av_error_text(rc)};
    FormatPtr format(raw);
    if ((rc = read_stream_info(format.get())) < 0)
        return Error{"its streams cannot be read: " + av_error_text(rc)};
    return format;
}

int64_t container_start(const AVFormatContext* format) {
    if (format->start_time != AV_NOPTS_VALUE)
        return format->start_time;
    int64_t start = AV_NOPTS_VALUE;
    for (unsigned i = 0; i < format->nb_streams; ++i) {
        const AVStream* s = format->streams[i];
        const AVMediaType type = s->codecpar->codec_type;
        if (s->start_time == AV_NOPTS_VALUE ||
            (type != AVMEDIA_TYPE_VIDEO && type != AVMEDIA_TYPE_AUDIO))
            continue;
        const int64_t t = av_rescale_q(s->start_time, s->time_base, AVRational{1, AV_TIME_BASE});
        start = start == AV_NOPTS_VALUE ? t : std::min(start, t);
    }
    return start == AV_NOPTS_VALUE ? 0 : start;
}

double stream_start(const AVStream* stream) {
    return stream->start_time == AV_NOPTS_VALUE
               ? 0
               : static_cast<double>(stream->start_time) * av_q2d(stream->time_base);
}

int read_stream_info(AVFormatContext* format) {
    if (header_complete(format))
        return 0;
    const unsigned n = format->nb_streams;
    std::vector<AVDictionary*> options(n, nullptr);
    for (AVDictionary*& d : options)
        av_dict_set_int(&d, "max_pixels", kMaxDecodePixels, 0);
    const int rc = avformat_find_stream_info(format, n ? options.data() : nullptr);
    for (AVDictionary*& d : options)
        av_dict_free(&d);
    return rc;
}

std::optional<std::string> foreign_format(const std::filesystem::path& file, MediaKind kind) {
    std::ifstream in(file, std::ios::binary);
    // FFmpeg's probe wants AVPROBE_PADDING_SIZE zero bytes after the data.
    std::vector<unsigned char> bytes(64 * 1024 + AVPROBE_PADDING_SIZE, 0);
    in.read(reinterpret_cast<char*>(bytes.data()), 64 * 1024);
    const auto got = static_cast<int>(in.gcount());
    if (got <= 0)
        return std::nullopt;
    const std::string name = file.string();
    AVProbeData probe{};
    probe.filename = name.c_str();
    probe.buf = bytes.data();
    probe.buf_size = got;
    // Only a confident guess names the file (hls and concat score 100); a weak one
    // is left to the open, which the whitelist refuses anyway.
    int score = AVPROBE_SCORE_RETRY;
    const AVInputFormat* format = av_probe_input_format2(&probe, 1, &score);
    if (!format)
        return std::nullopt;
    if (av_match_list(format->name, demuxers_of(kind), ',') > 0)
        return std::nullopt;
    return refusal_text(kind, describe(*format));
}

const char* demuxers_of(MediaKind kind) {
    switch (kind) {
    case MediaKind::Video:
        return kVideoDemuxers;
    case MediaKind::Picture:
        return kPictureDemuxers;
    case MediaKind::Captions:
        return kCaptionDemuxers;
    }
    return "";
}

std::string refusal_text(MediaKind kind, const std::string& what) {
    switch (kind) {
    case MediaKind::Video:
        return "it is " + what + ", not a video container Milepost plays";
    case MediaKind::Picture:
        return "an image item must be PNG or JPEG, this is " + what;
    case MediaKind::Captions:
        return "it is " + what + ", not a WebVTT or SubRip caption file";
    }
    return what;
}

} // namespace milepost
