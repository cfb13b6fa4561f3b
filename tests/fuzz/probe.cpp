// A media file as milepost-pack's probe reads it (media/Probe.cpp: open, find the
// picture stream, open its decoder, decode the first picture), over an in-memory
// file through a custom AVIOContext, with the caps a hostile file needs: a time
// limit through the interrupt callback, a pixel cap on the decoder (max_pixels)
// and only the containers Milepost plays (format_whitelist), so that no demuxer
// (hls, concat) opens other files. Memory is capped by libFuzzer (-rss_limit_mb,
// -malloc_limit_mb; scripts/fuzz sets them).
//
// probe_media() takes a path and opens it itself, so the steps are repeated here
// with the product's FFmpeg owners (media/Ffmpeg.hpp) rather than called.
#include "FuzzSupport.hpp"
#include "media/Ffmpeg.hpp"

#include <chrono>
#include <cstring>

namespace {

using Clock = std::chrono::steady_clock;

// Whether a video or picture in `data` has a first picture that decodes.
constexpr auto kTimeLimit = std::chrono::seconds(2);
constexpr int kMaxPixels = 3840 * 2160 * 2; // pack refuses more than 4096 px a side anyway
constexpr const char* kContainers = "mov,matroska,mpegts,avi,png_pipe,jpeg_pipe";

struct Memory {
    const std::uint8_t* data;
    std::size_t size;
    std::size_t pos = 0;
};

int read_packet(void* opaque, std::uint8_t* buf, int buf_size) {
    auto* m = static_cast<Memory*>(opaque);
    const std::size_t n =
        std::min<std::size_t>(static_cast<std::size_t>(buf_size), m->size - m->pos);
    if (n == 0)
        return AVERROR_EOF;
    std::memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return static_cast<int>(n);
}

std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* m = static_cast<Memory*>(opaque);
    if (whence & AVSEEK_SIZE)
        return static_cast<std::int64_t>(m->size);
    std::int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET:
        break;
    case SEEK_CUR:
        base = static_cast<std::int64_t>(m->pos);
        break;
    case SEEK_END:
        base = static_cast<std::int64_t>(m->size);
        break;
    default:
        return -1;
    }
    if (offset > static_cast<std::int64_t>(m->size) - base || offset < -base)
        return -1;
    m->pos = static_cast<std::size_t>(base + offset);
    return static_cast<std::int64_t>(m->pos);
}

int interrupt(void* opaque) {
    return Clock::now() > *static_cast<const Clock::time_point*>(opaque) ? 1 : 0;
}

struct IoDeleter {
    void operator()(AVIOContext* p) const {
        av_freep(&p->buffer);
        avio_context_free(&p);
    }
};
using IoPtr = std::unique_ptr<AVIOContext, IoDeleter>;

void probe(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    Memory memory{data, size};
    const Clock::time_point deadline = Clock::now() + kTimeLimit;

    constexpr int kBuffer = 4096;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBuffer));
    if (!buffer)
        return;
    IoPtr io(avio_alloc_context(buffer, kBuffer, 0, &memory, read_packet, nullptr, seek));
    if (!io) {
        av_free(buffer);
        return;
    }
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw)
        return;
    raw->pb = io.get();
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
    raw->interrupt_callback = {interrupt, const_cast<Clock::time_point*>(&deadline)};
    AVDictionary* options = nullptr;
    av_dict_set(&options, "format_whitelist", kContainers, 0);
    av_dict_set(&options, "protocol_whitelist", "", 0);
    // avformat_open_input frees the context on failure.
    const int opened = avformat_open_input(&raw, nullptr, nullptr, &options);
    av_dict_free(&options);
    if (opened < 0)
        return;
    FormatPtr format(raw);
    if (avformat_find_stream_info(format.get(), nullptr) < 0)
        return;
    const AVCodec* codec = nullptr;
    const int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (index < 0 || !codec)
        return;
    CodecPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx || avcodec_parameters_to_context(ctx.get(), format->streams[index]->codecpar) < 0)
        return;
    ctx->max_pixels = kMaxPixels;
    ctx->thread_count = 1; // reproducible, and the machine is shared
    if (avcodec_open2(ctx.get(), codec, nullptr) < 0)
        return;
    PacketPtr packet(av_packet_alloc());
    FramePtr frame(av_frame_alloc());
    if (!packet || !frame)
        return;
    bool decoded = false;
    for (int packets = 0;
         !decoded && packets < 2000 && !interrupt(const_cast<Clock::time_point*>(&deadline));) {
        const int rc = av_read_frame(format.get(), packet.get());
        if (rc < 0) {
            avcodec_send_packet(ctx.get(), nullptr);
        } else if (packet->stream_index != index) {
            av_packet_unref(packet.get());
            continue;
        } else {
            ++packets;
            avcodec_send_packet(ctx.get(), packet.get());
            av_packet_unref(packet.get());
        }
        decoded = avcodec_receive_frame(ctx.get(), frame.get()) == 0;
        if (rc < 0)
            break;
    }
    if (decoded && (frame->width <= 0 || frame->height <= 0 ||
                    static_cast<std::int64_t>(frame->width) * frame->height > kMaxPixels))
        __builtin_trap(); // max_pixels let through what it should refuse
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    av_log_set_level(AV_LOG_QUIET);
    probe(data, size);
    return 0;
}
