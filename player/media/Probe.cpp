#include "Probe.hpp"

#include "core/MediaLimits.hpp"
#include "media/Ffmpeg.hpp"

namespace milepost {

namespace {

// Before FFmpeg reads it: a picture must be a PNG or a JPEG whose header gives a
// size a screen can decode; a video must be in one of the containers the player
// opens. Returns the demuxer a picture is read with.
Result<const AVInputFormat*> check_before_opening(const std::filesystem::path& file, bool image) {
    const MediaKind kind = image ? MediaKind::Picture : MediaKind::Video;
    if (image) {
        auto header = checked_picture_header(file);
        if (header)
            return av_find_input_format(header->type == PictureType::Png ? "png_pipe"
                                                                         : "jpeg_pipe");
        if (read_picture_header(file))
            return header.error(); // a PNG or JPEG of a size a screen does not decode
        auto refused = foreign_format(file, kind);
        return Error{refused ? *refused : refusal_text(kind, header.error().message)};
    }
    if (read_picture_header(file))
        return Error{"a still picture: make it an image item"};
    if (auto refused = foreign_format(file, kind))
        return Error{*refused};
    return nullptr;
}

// The stream's decoder, opened with the player's pixel cap.
Result<CodecPtr> probe_open_decoder(const AVCodec* codec, const AVStream* stream) {
    CodecPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx || avcodec_parameters_to_context(ctx.get(), stream->codecpar) < 0)
        return Error{std::string("the ") + codec->name + " decoder does not open"};
    ctx->max_pixels = kMaxDecodePixels;
    if (avcodec_open2(ctx.get(), codec, nullptr) < 0)
        return Error{std::string("the ") + codec->name + " decoder does not open"};
    return ctx;
}

// Decodes the first picture of stream `index` into `frame` (2,000 packets at most):
// a file the player could not show is refused now, not on a screen.
bool probe_decode_first_picture(AVFormatContext* format, AVCodecContext* ctx, int index,
                                AVFrame* frame) {
    PacketPtr packet(av_packet_alloc());
    int packets = 0;
    while (packets < 2000) {
        const int rc = av_read_frame(format, packet.get());
        if (rc < 0) {
            avcodec_send_packet(ctx, nullptr);
        } else if (packet->stream_index != index) {
            av_packet_unref(packet.get());
            continue;
        } else {
            ++packets;
            avcodec_send_packet(ctx, packet.get());
            av_packet_unref(packet.get());
        }
        if (avcodec_receive_frame(ctx, frame) == 0)
            return true;
        if (rc < 0)
            return false;
    }
    return false;
}

// A video's length in seconds as its container or stream says: it must have one,
// of a day at most.
Result<double> stated_length(const AVFormatContext* format, const AVStream* stream) {
    double length = 0;
    if (format->duration > 0)
        length = static_cast<double>(format->duration) / AV_TIME_BASE;
    else if (stream->duration > 0)
        length = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    if (!(length > 0))
        return Error{"its length is unknown: set a duration on the item"};
    // A screen refuses a manifest with an item over a day (core/Channel.hpp).
    if (length > kMaxItemSeconds)
        return Error{"it runs " + std::to_string(static_cast<long long>(length)) + " s, over the " +
                     std::to_string(static_cast<int>(kMaxItemSeconds)) +
                     " s (a day) an item may last: cut it shorter"};
    return length;
}

// A video's length, frame rate and sound.
Result<void> probe_video_facts(AVFormatContext* format, AVStream* stream, int index,
                               MediaFacts& facts) {
    auto length = stated_length(format, stream);
    if (!length)
        return length.error();
    facts.duration = *length;
    AVRational rate = av_guess_frame_rate(format, stream, nullptr);
    if (rate.num > 0 && rate.den > 0)
        facts.fps = av_q2d(rate);
    const AVCodec* audio = nullptr;
    if (av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, index, &audio, 0) >= 0 && audio)
        facts.audio = audio->name;
    return {};
}

// Opens `file` as the player would and reads what its streams are.
Result<FormatPtr> open_and_read(const std::filesystem::path& file, bool image) {
    auto checked = check_before_opening(file, image);
    if (!checked)
        return checked.error();
    return open_media(file, image ? MediaKind::Picture : MediaKind::Video, *checked);
}

} // namespace

Result<double> probe_video_length(const std::filesystem::path& file) {
    auto format = open_and_read(file, false);
    if (!format)
        return format.error();
    const int index = av_find_best_stream(format->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (index < 0)
        return Error{"no video stream in it"};
    return stated_length(format->get(), (*format)->streams[index]);
}

Result<MediaFacts> probe_media(const std::filesystem::path& file, bool image) {
    auto opened = open_and_read(file, image);
    if (!opened)
        return opened.error();
    FormatPtr format = std::move(*opened);
    const AVCodec* codec = nullptr;
    int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (index == AVERROR_DECODER_NOT_FOUND)
        return Error{"no decoder for its picture in this FFmpeg build"};
    if (index < 0)
        return Error{image ? "no picture in it" : "no video stream in it"};
    AVStream* stream = format->streams[index];
    const bool still = stream->codecpar->codec_id == AV_CODEC_ID_PNG ||
                       stream->codecpar->codec_id == AV_CODEC_ID_MJPEG;
    if (image && !still)
        return Error{refusal_text(MediaKind::Picture, codec->name)};
    if (!image && (still || stream->disposition & AV_DISPOSITION_ATTACHED_PIC))
        return Error{"a still picture: make it an image item"};
    // The size the stream declares, before a frame that size is decoded.
    if (!image)
        if (auto problem = video_size_problem(stream->codecpar->width, stream->codecpar->height))
            return Error{*problem};
    auto ctx = probe_open_decoder(codec, stream);
    if (!ctx)
        return ctx.error();
    FramePtr frame(av_frame_alloc());
    if (!probe_decode_first_picture(format.get(), ctx->get(), index, frame.get()))
        return Error{std::string("no picture could be decoded (") + codec->name + ")"};
    const auto problem = image ? picture_size_problem(frame->width, frame->height)
                               : video_size_problem(frame->width, frame->height);
    if (problem)
        return Error{*problem};
    MediaFacts facts;
    facts.codec = codec->name;
    facts.width = frame->width;
    facts.height = frame->height;
    if (!image)
        if (auto r = probe_video_facts(format.get(), stream, index, facts); !r)
            return r.error();
    return facts;
}

} // namespace milepost
