#pragma once
// One RAII owner per FFmpeg handle (STYLE.md rule 4), and FFmpeg's error codes
// turned into words once, here.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/hwcontext.h>
#include <libswscale/swscale.h>
}

#include "core/Result.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace milepost {

struct AvDeleter {
    void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
    void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
    void operator()(AVFrame* p) const { av_frame_free(&p); }
    void operator()(AVPacket* p) const { av_packet_free(&p); }
    void operator()(SwsContext* p) const { sws_freeContext(p); }
    void operator()(AVBufferRef* p) const { av_buffer_unref(&p); }
};

using FormatPtr = std::unique_ptr<AVFormatContext, AvDeleter>;
using CodecPtr = std::unique_ptr<AVCodecContext, AvDeleter>;
using FramePtr = std::unique_ptr<AVFrame, AvDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, AvDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, AvDeleter>;
using BufferPtr = std::unique_ptr<AVBufferRef, AvDeleter>;

inline std::string av_error_text(int code) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

// What an item's file must be. Only the demuxers of its kind are ever used.
enum class MediaKind { Video, Picture, Captions };

// FFmpeg's names for the containers Milepost plays (the mov demuxer reads MP4,
// MOV and 3GP, matroska reads MKV and WebM) and the pictures it shows. Left out
// on purpose: hls, dash, concat, image2 and the like, which open other files or
// URLs named inside the file.
inline constexpr const char* kVideoDemuxers = "mov,matroska,mpegts,avi";
inline constexpr const char* kPictureDemuxers = "png_pipe,jpeg_pipe";
// A video's caption files (media/Captions.hpp): WebVTT and SubRip.
inline constexpr const char* kCaptionDemuxers = "webvtt,srt";
// The demuxers of `kind`, as a format_whitelist.
const char* demuxers_of(MediaKind kind);

// The largest single allocation FFmpeg may make in a Milepost process (set by
// open_media_input through av_max_alloc): far above a UHD frame (12 MB as
// yuv420p, 33 MB as RGBA) and any index table of a real file.
inline constexpr std::size_t kMaxFfmpegAllocation = 256u << 20;

// avformat_open_input for an item's file: only the demuxers of `kind`
// (format_whitelist) and only local files (protocol_whitelist=file), so that no
// file can make FFmpeg read another file or a URL. `*ctx` may be allocated
// beforehand (to set an interrupt callback); `forced`: that demuxer, no probing.
// Returns FFmpeg's code, as avformat_open_input does.
int open_media_input(AVFormatContext** ctx, const std::filesystem::path& file, MediaKind kind,
                     const AVInputFormat* forced = nullptr);

// What the player reads of a file's streams (codec, size, start, length, frame
// rate, sound) made complete. An MP4's or MOV's header holds all of it: the mov
// demuxer reads the whole index at open. Elsewhere, or when a fact is missing (a
// fragmented MP4's length), avformat_find_stream_info works it out by decoding,
// with every decoder it tries told to refuse frames over kMaxDecodePixels
// (core/MediaLimits.hpp). For H.264 that decoding is up to 7 frames: 32-35 CPU ms
// and 1,600 page faults for 1080p on an x86 core, several times that on a Pi, and
// an item is opened twice (probed, then played), the second time while the item
// before it plays. mpv leaves it out for MP4 too. Matroska's header has no
// start times, so it is decoded there as before.
// Returns FFmpeg's code, as avformat_find_stream_info does.
int read_stream_info(AVFormatContext* format);
// open_media_input, then read_stream_info: the file opened as the player reads it,
// or why not ("cannot be read as media: ...", "its streams cannot be read: ...").
Result<FormatPtr> open_media(const std::filesystem::path& file, MediaKind kind,
                             const AVInputFormat* forced = nullptr);

// Where the file's sound and pictures start, in AV_TIME_BASE units (0 when not
// known): the earliest start of its video and audio streams.
int64_t container_start(const AVFormatContext* format);
// Where `stream` starts, in seconds (0 when not known): the video's is what the
// player counts a video's time from, and its captions' with it. Read after
// read_stream_info(), which finds it where the header has none (Matroska).
double stream_start(const AVStream* stream);

// Why a file of `kind` is refused, from what it is (`what`: "an HLS playlist (hls)"):
// "it is an HLS playlist (hls), not a video container Milepost plays" /
// "an image item must be PNG or JPEG, this is an HLS playlist (hls)".
std::string refusal_text(MediaKind kind, const std::string& what);

// When FFmpeg would take `file` (from its first 64 KiB, opening nothing else) for
// something other than the containers of `kind`, the sentence refusing it, which
// names what it is (refusal_text). nullopt when it is one of them or nothing
// FFmpeg knows.
std::optional<std::string> foreign_format(const std::filesystem::path& file, MediaKind kind);

} // namespace milepost
